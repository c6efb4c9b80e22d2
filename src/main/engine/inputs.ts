/**
 * Turning input files and preprocessing settings into net inputs: shared by the CLI's `run` and
 * `diff` and by the service's runModel and diffModel. An image goes through pycaffe's Transformer
 * steps (preprocess.ts); a .npy is fed as is, in Caffe's N,C,H,W layout.
 */
import { extname } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { layerDef } from '../layers/index.js';
import type { Blob } from '../layers/types.js';
import { withInputShapes, type CaffeNet } from '../net/model.js';
import { nonFiniteIn } from './finite.js';
import { checkMemory } from './memory.js';
import { loadImage, readInputNpy, transformImage, type TransformOptions } from './preprocess.js';

export interface InputPreparation {
  /** `FILE` for a one-input net, or `NAME=FILE`; an image (JPEG, PNG, …) or a .npy. */
  inputs: string[];
  /** A mean file (.binaryproto or .npy) to subtract. */
  mean?: string;
  /** Or a mean per channel, in the net's channel order. */
  meanValues?: number[];
  /** Transformer input_scale: multiplies the result last. */
  scale?: number;
  /** Transformer raw_scale: multiplies the [0,1] image first (default 255). */
  rawScale?: number;
  /** Keep RGB (default: swap to BGR). */
  rgb?: boolean;
  /** How the caller spells "name the input", for the message when a net has several (default `NAME=FILE`). */
  nameHint?: string;
  /** How the caller names each setting in messages (the CLI: its options). */
  names?: Partial<Record<Setting, string>>;
}

type Setting = 'scale' | 'rawScale' | 'mean' | 'meanValues' | 'inputShape';
const SETTING_WORDS: Record<Setting, string> = {
  scale: 'the input scale',
  rawScale: 'the raw scale',
  mean: 'the mean file',
  meanValues: 'the mean values',
  inputShape: 'the input shape',
};

/** The net's input blobs (data-layer tops, labels aside) and their current shapes; `unknown` where the file does not give one (the first top only). */
export function netInputs(model: CaffeNet): { name: string; shape: number[]; unknown?: string }[] {
  return model.graph.layers
    .filter((l) => layerDef(l.type)?.role === 'data')
    .flatMap((l) => {
      const info = model.shapes.layers[l.index];
      if (info.unknown !== undefined) return [{ name: l.tops[0], shape: [], unknown: info.unknown }];
      return l.tops.map((name, i) => ({ name, shape: info.topShapes[i] })).filter((i) => i.shape.length > 1);
    });
}

/**
 * Reads each input (`FILE` for a one-input net, or `NAME=FILE`), reshapes the net to the batch of the
 * inputs given (a .npy feeds its own shape, an image 1×C×H×W), and returns both. Before an image is
 * decoded the run's memory is checked at the final shapes (memory.ts); after preprocessing every input
 * must be finite, or the run would print NaN scores as if they were scores.
 */
export async function prepareInputs(model: CaffeNet, spec: InputPreparation): Promise<{ model: CaffeNet; inputs: Record<string, Blob> }> {
  const declared = netInputs(model);
  const words = { ...SETTING_WORDS, ...spec.names };
  if (spec.inputs.length === 0) throw new PortafilterError('give an input: an image, or a .npy in Caffe layout N,C,H,W');
  if (spec.mean && spec.meanValues) throw new PortafilterError(`give either ${words.mean} or ${words.meanValues}, not both`);
  for (const [setting, value] of [['scale', spec.scale], ['rawScale', spec.rawScale]] as const)
    if (value !== undefined && !Number.isFinite(value)) throw new PortafilterError(`${words[setting]} must be a finite number, got ${value}`);
  if (spec.meanValues?.some((v) => !Number.isFinite(v))) throw new PortafilterError(`${words.meanValues} must be finite numbers, got ${spec.meanValues.join(',')}`);

  // Which file feeds which input: each input once, so a second file never silently wins.
  const files = new Map<string, string>();
  for (const given of spec.inputs) {
    const m = /^([^=]+)=(.*)$/.exec(given);
    const [name, file] = m && declared.some((d) => d.name === m[1]) ? [m[1], m[2]] : [undefined, given];
    if (file === '') throw new PortafilterError(`'${given}' names the input '${name}' but no file to feed it`);
    const target = name !== undefined ? declared.find((d) => d.name === name) : declared.length === 1 ? declared[0] : undefined;
    if (!target)
      throw new PortafilterError(
        `the net has ${declared.length} inputs (${declared.map((d) => d.name).join(', ')}): name the one to feed, ${spec.nameHint ?? 'NAME=FILE'}`,
      );
    const before = files.get(target.name);
    if (before !== undefined) throw new PortafilterError(`the input '${target.name}' is given twice ('${before}' and '${file}'): give one file per input`);
    files.set(target.name, file);
  }

  const inputs: Record<string, Blob> = {};
  const images: { name: string; file: string; shape: number[] }[] = [];
  for (const [name, file] of files) {
    const target = declared.find((d) => d.name === name)!;
    const asked = model.inputShapes[name];
    if (extname(file).toLowerCase() === '.npy') {
      const blob = readInputNpy(file);
      if (asked && (blob.shape.length !== asked.length || blob.shape.some((d, i) => d !== asked[i])))
        throw new PortafilterError(
          `has shape ${blob.shape.join('×')}, but ${words.inputShape} ${name}=${asked.join(',')} asks for ${asked.join('×')}: a .npy feeds its own shape, so give one of them`,
          { file },
        );
      inputs[name] = blob;
    } else {
      if (target.unknown !== undefined)
        throw new PortafilterError(
          `is an image, but the net input '${name}' has no size to resize it to (${target.unknown}): give ${words.inputShape} ${name}=1,C,H,W, or feed a .npy, which brings its own shape`,
          { file },
        );
      const [n, c, h, w] = target.shape;
      if (asked && n !== 1)
        throw new PortafilterError(`${words.inputShape} ${name}=${asked.join(',')} asks for a batch of ${n}, but an image feeds one: give a .npy of ${n} samples, or batch 1`, { file });
      images.push({ name, file, shape: [1, c, h, w] });
    }
  }
  let reshaped: CaffeNet;
  try {
    reshaped = withInputShapes(model, {
      ...Object.fromEntries(Object.entries(inputs).map(([name, blob]) => [name, blob.shape])),
      ...Object.fromEntries(images.map((i) => [i.name, i.shape])),
    });
  } catch (e) {
    // A .npy feeds its own shape: when the net cannot take it, the file is what the user must change.
    const fed = Object.entries(inputs);
    if (!(e instanceof PortafilterError) || fed.length !== 1) throw e;
    const [name, blob] = fed[0];
    throw new PortafilterError(`its shape [${blob.shape.join(', ')}], fed to the input '${name}', does not fit the net: ${e.message}`, { file: files.get(name), field: 'shape' }, e.details);
  }
  checkMemory(reshaped, {
    origin: (name) => {
      const file = files.get(name);
      if (file !== undefined && inputs[name]) return `the shape of the input file ${file}`;
      if (model.inputShapes[name]) return `${words.inputShape} ${name}=${model.inputShapes[name].join(',')}`;
      return undefined;
    },
  });

  const transform: Omit<TransformOptions, 'shape'> = {
    bgr: !spec.rgb,
    rawScale: spec.rawScale,
    inputScale: spec.scale,
    mean: spec.mean ? { file: spec.mean } : spec.meanValues ? { values: spec.meanValues, name: words.meanValues } : undefined,
  };
  for (const { name, file, shape } of images) inputs[name] = await transformImage(await loadImage(file), { ...transform, shape });

  for (const [name, blob] of Object.entries(inputs)) {
    const bad = nonFiniteIn(blob);
    if (!bad) continue;
    const file = files.get(name)!;
    const at = `${bad.value} at ${name}[${bad.at.join(', ')}]`;
    if (!images.some((i) => i.name === name)) throw new PortafilterError(`holds ${at}: the input must be finite numbers`, { file, field: `data[${bad.at.join(', ')}]` });
    const settings = [
      spec.rawScale !== undefined ? `${words.rawScale} ${spec.rawScale}` : undefined,
      spec.mean ? `${words.mean} ${spec.mean}` : spec.meanValues ? `${words.meanValues} ${spec.meanValues.join(',')}` : undefined,
      spec.scale !== undefined ? `${words.scale} ${spec.scale}` : undefined,
    ].filter((x) => x !== undefined);
    throw new PortafilterError(
      `the input '${name}' is not finite after preprocessing (${at}) with ${settings.join(', ') || 'the default settings'}: ` +
        `float32 holds magnitudes up to 3.4e38; refusing to run on it`,
      { file },
    );
  }
  return { model: reshaped, inputs };
}
