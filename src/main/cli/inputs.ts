/** The `--input` flags of `run` and `diff`, turned into the engine's input preparation (engine/inputs.ts). */
import { PortafilterError } from '../../shared/errors.js';
import { prepareInputs as prepare } from '../engine/inputs.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';

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

/** Checks and parses the flags (in the flags' own words), then reads the inputs and reshapes the net to them. */
export async function prepareInputs(model: CaffeNet, flags: InputFlags): Promise<{ model: CaffeNet; inputs: Record<string, Blob> }> {
  if (flags.input.length === 0) throw new PortafilterError('give an input: --input IMAGE or --input X.npy');
  if (flags.mean && flags.meanValues) throw new PortafilterError('give either --mean FILE or --mean-values, not both');
  return prepare(model, {
    inputs: flags.input,
    rgb: flags.rgb,
    rawScale: flags.rawScale !== undefined ? number('--raw-scale', flags.rawScale) : undefined,
    scale: flags.scale !== undefined ? number('--scale', flags.scale) : undefined,
    mean: flags.mean,
    meanValues: !flags.mean && flags.meanValues ? flags.meanValues.split(',').map((v) => number('--mean-values', v)) : undefined,
    nameHint: '--input NAME=FILE',
  });
}
