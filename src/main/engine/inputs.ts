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
}

/** The net's input blobs (data-layer tops, labels aside) and their current shapes. */
export function netInputs(model: CaffeNet): { name: string; shape: number[] }[] {
  return model.graph.layers
    .filter((l) => layerDef(l.type)?.role === 'data')
    .flatMap((l) => l.tops.map((name, i) => ({ name, shape: model.shapes.layers[l.index].topShapes[i] })))
    .filter((i) => i.shape.length > 1);
}

/**
 * Reads each input (`FILE` for a one-input net, or `NAME=FILE`), reshapes the net to the batch of the
 * inputs given (a .npy feeds its own shape, an image 1×C×H×W), and returns both.
 */
export async function prepareInputs(model: CaffeNet, spec: InputPreparation): Promise<{ model: CaffeNet; inputs: Record<string, Blob> }> {
  const declared = netInputs(model);
  if (spec.inputs.length === 0) throw new PortafilterError('give an input: an image, or a .npy in Caffe layout N,C,H,W');
  if (spec.mean && spec.meanValues) throw new PortafilterError('give either a mean file or mean values, not both');
  const transform: Omit<TransformOptions, 'shape'> = {
    bgr: !spec.rgb,
    rawScale: spec.rawScale,
    inputScale: spec.scale,
    mean: spec.mean ? { file: spec.mean } : spec.meanValues ? { values: spec.meanValues } : undefined,
  };
  const inputs: Record<string, Blob> = {};
  for (const given of spec.inputs) {
    const m = /^([^=]+)=(.+)$/.exec(given);
    const [name, file] = m && declared.some((d) => d.name === m[1]) ? [m[1], m[2]] : [undefined, given];
    const target = name !== undefined ? declared.find((d) => d.name === name) : declared.length === 1 ? declared[0] : undefined;
    if (!target)
      throw new PortafilterError(
        `the net has ${declared.length} inputs (${declared.map((d) => d.name).join(', ')}): name the one to feed, ${spec.nameHint ?? 'NAME=FILE'}`,
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
