/** Turning `--input` files and preprocessing flags into net inputs, shared by `run` and `diff`. */
import { extname } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { loadImage, readInputNpy, transformImage, type TransformOptions } from '../engine/preprocess.js';
import { layerDef } from '../layers/index.js';
import type { Blob } from '../layers/types.js';
import { withInputShapes, type CaffeNet } from '../net/model.js';

export interface InputFlags {
  input: string[];
  mean?: string;
  meanValues?: string;
  scale?: string;
  rawScale?: string;
  rgb?: boolean;
}

const number = (flag: string, v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new PortafilterError(`${flag} expects a number, got '${v}'`);
  return n;
};

/** The net's input blobs (data-layer tops, labels aside) and their current shapes. */
export function netInputs(model: CaffeNet): { name: string; shape: number[] }[] {
  return model.graph.layers
    .filter((l) => layerDef(l.type)?.role === 'data')
    .flatMap((l) => l.tops.map((name, i) => ({ name, shape: model.shapes.layers[l.index].topShapes[i] })))
    .filter((i) => i.shape.length > 1);
}

/**
 * Reads each `--input` (`FILE` for a one-input net, or `NAME=FILE`), reshapes the net to the batch of
 * the inputs given (a .npy feeds its own shape, an image 1×C×H×W), and returns both.
 */
export async function prepareInputs(model: CaffeNet, flags: InputFlags): Promise<{ model: CaffeNet; inputs: Record<string, Blob> }> {
  const declared = netInputs(model);
  if (flags.input.length === 0) throw new PortafilterError('give an input: --input IMAGE or --input X.npy');
  if (flags.mean && flags.meanValues) throw new PortafilterError('give either --mean FILE or --mean-values, not both');
  const transform: Omit<TransformOptions, 'shape'> = {
    bgr: !flags.rgb,
    rawScale: flags.rawScale !== undefined ? number('--raw-scale', flags.rawScale) : undefined,
    inputScale: flags.scale !== undefined ? number('--scale', flags.scale) : undefined,
    mean: flags.mean ? { file: flags.mean } : flags.meanValues ? { values: flags.meanValues.split(',').map((v) => number('--mean-values', v)) } : undefined,
  };
  const inputs: Record<string, Blob> = {};
  for (const spec of flags.input) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    const [name, file] = m && declared.some((d) => d.name === m[1]) ? [m[1], m[2]] : [undefined, spec];
    const target = name !== undefined ? declared.find((d) => d.name === name) : declared.length === 1 ? declared[0] : undefined;
    if (!target)
      throw new PortafilterError(
        `the net has ${declared.length} inputs (${declared.map((d) => d.name).join(', ')}): name the one to feed, --input NAME=FILE`,
      );
    if (extname(file).toLowerCase() === '.npy') {
      inputs[target.name] = readInputNpy(file);
    } else {
      const [, c, h, w] = target.shape;
      inputs[target.name] = await transformImage(await loadImage(file), { ...transform, shape: [1, c, h, w] });
    }
  }
  const reshaped = withInputShapes(
    model,
    Object.fromEntries(Object.entries(inputs).map(([name, blob]) => [name, blob.shape])),
  );
  return { model: reshaped, inputs };
}
