/**
 * Where a run stops being numbers: NaN or ±Infinity from a finite input means a layer overflowed float32
 * (or computed 0/0, ∞−∞, log of a negative…). Scores of NaN read like scores, so a run says which layer
 * first gave a non-finite value, in execution order, instead of printing them quietly. Run and diff share
 * this; the run's own values are scanned when it captured every layer, and otherwise the net is run once
 * more with capture only when an output is non-finite, so a healthy run pays one scan of its outputs.
 */
import type { Blob } from '../layers/types.js';
import type { Engine, LayerOutput, RunResult } from './types.js';

/** The first index of `data` that is NaN or ±Infinity, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** A flat index as an N,C,H,W position: 7 in a 2×2×2 blob is [1, 1, 1]. */
export function position(shape: readonly number[], index: number): number[] {
  const at: number[] = [];
  for (let d = shape.length - 1, rest = index; d >= 0; d--) {
    at.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return at;
}

export interface NonFiniteValue {
  /** The layer that gave it, and its type; for an input, the input blob (type ''). */
  layer: string;
  type: string;
  /** Which top of the layer, and the blob it writes. */
  top: number;
  blob: string;
  /** Where in the blob (Caffe's layout) and what: NaN, Infinity or -Infinity. */
  at: number[];
  value: number;
}

const where = (v: Pick<NonFiniteValue, 'blob' | 'at' | 'value'>): string => `${v.value} at ${v.blob}[${v.at.join(', ')}]`;

/** The first non-finite value of a blob, or undefined. */
export function nonFiniteIn(blob: Blob): { at: number[]; value: number } | undefined {
  const i = firstNonFinite(blob.data);
  return i < 0 ? undefined : { at: position(blob.shape, i), value: blob.data[i] };
}

/** The first layer, in execution order, with a non-finite value in one of its tops. */
export function firstNonFiniteLayer(layers: readonly LayerOutput[]): NonFiniteValue | undefined {
  for (const l of layers)
    for (const [top, t] of l.tops.entries()) {
      const found = nonFiniteIn(t.value);
      if (found) return { layer: l.layer, type: l.type, top, blob: t.blob, ...found };
    }
  return undefined;
}

/** The first net input holding a non-finite value. */
export function firstNonFiniteInput(inputs: Record<string, Blob>): { input: string; at: number[]; value: number } | undefined {
  for (const [input, blob] of Object.entries(inputs)) {
    const found = nonFiniteIn(blob);
    if (found) return { input, ...found };
  }
  return undefined;
}

/** The warning for a run whose values stopped being finite, in one line. */
export function nonFiniteWarning(first: NonFiniteValue, outputs: RunResult['outputs']): string {
  const bad = outputs.filter((o) => firstNonFinite(o.value.data) >= 0).map((o) => `'${o.blob}'`);
  return (
    `layer '${first.layer}' (${first.type}) is the first to give a non-finite value, ${where(first)}, from a finite input` +
    (bad.length > 0 ? `; output${bad.length > 1 ? 's' : ''} ${bad.join(', ')} hold${bad.length > 1 ? '' : 's'} NaN or Infinity` : '; the outputs are finite') +
    ' (float32 overflow? check the input scale and the weights)'
  );
}

/**
 * The warnings for a finished run: none when every value it holds is finite. `result` captured every
 * layer when `captured`; otherwise, only when an output is non-finite, `engine` runs `inputs` again with
 * capture to find the first layer.
 */
export async function nonFiniteWarnings(
  engine: Engine,
  inputs: Record<string, Blob>,
  result: RunResult,
  captured: boolean,
  signal?: AbortSignal,
): Promise<string[]> {
  let first = captured ? firstNonFiniteLayer(result.layers) : undefined;
  if (!captured && result.outputs.some((o) => firstNonFinite(o.value.data) >= 0)) {
    const again = await engine.run(inputs, { capture: true, signal });
    first = firstNonFiniteLayer(again.layers);
  }
  if (first) return [nonFiniteWarning(first, result.outputs)];
  const bad = result.outputs.filter((o) => firstNonFinite(o.value.data) >= 0);
  // Only a backend that is not deterministic gets here: say what is known rather than nothing.
  return bad.length > 0
    ? [`output${bad.length > 1 ? 's' : ''} ${bad.map((o) => `'${o.blob}'`).join(', ')} hold NaN or Infinity from a finite input, but the run again with every layer captured gave none`]
    : [];
}
