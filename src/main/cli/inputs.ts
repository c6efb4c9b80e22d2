/** The `--input` flags of `run` and `diff`, turned into the engine's input preparation (engine/inputs.ts). */
import { PortafilterError } from '../../shared/errors.js';
import { prepareInputs as prepare } from '../engine/inputs.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';

/** As commander gives them: empty values and non-decimal numbers are refused there (index.ts). */
export interface InputFlags {
  input: string[];
  mean?: string;
  meanValues?: number[];
  scale?: number;
  rawScale?: number;
  rgb?: boolean;
}

/** Reads the inputs and reshapes the net to them; messages name the flags. */
export async function prepareInputs(model: CaffeNet, flags: InputFlags): Promise<{ model: CaffeNet; inputs: Record<string, Blob> }> {
  if (flags.input.length === 0) throw new PortafilterError('give an input: --input IMAGE or --input X.npy');
  if (flags.mean !== undefined && flags.meanValues !== undefined) throw new PortafilterError('give either --mean FILE or --mean-values, not both');
  return prepare(model, {
    inputs: flags.input,
    rgb: flags.rgb,
    rawScale: flags.rawScale,
    scale: flags.scale,
    mean: flags.mean,
    meanValues: flags.meanValues,
    nameHint: '--input NAME=FILE',
    names: { scale: '--scale', rawScale: '--raw-scale', mean: '--mean', meanValues: '--mean-values', inputShape: '--input-shape' },
  });
}
