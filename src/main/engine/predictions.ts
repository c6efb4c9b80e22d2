/** Class scores read as predictions: labels files, top-k. Shared by the CLI's `run` and the service's runModel. */
import { PortafilterError } from '../../shared/errors.js';
import { readInputFile } from '../caffe/input-file.js';
import type { Blob } from '../layers/types.js';

export interface Prediction {
  index: number;
  label?: string;
  score: number;
}

/** synset_words.txt lines ("n01440764 tench, Tinca tinca") or one label per line. */
export function readLabels(file: string): string[] {
  const text = readInputFile(file, (reason, cause) => {
    const e = new PortafilterError(`cannot read the labels: ${reason.replace(/^cannot read: /, '')}`, { file });
    if (cause !== undefined) e.cause = cause;
    return e;
  }).toString('utf8');
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return lines.map((l) => l.replace(/^n\d{8}\s+/, '').trim());
}

/** The k largest values of each sample of a (N, K) or (N, K, 1, 1) output. */
export function topK(value: Blob, k: number, labels?: string[]): Prediction[][] {
  const n = value.shape[0] ?? 1;
  const per = value.data.length / Math.max(n, 1);
  return Array.from({ length: n }, (_, s) => {
    const scores = value.data.subarray(s * per, (s + 1) * per);
    return [...scores.keys()]
      .sort((a, b) => scores[b] - scores[a])
      .slice(0, k)
      .map((index) => ({ index, score: scores[index], ...(labels?.[index] !== undefined ? { label: labels[index] } : {}) }));
  });
}

/** Outputs that read as class scores: (N, K) or (N, K, 1, 1). */
export const isClassScores = (v: Blob): boolean => v.shape.length === 2 || (v.shape.length === 4 && v.shape[2] === 1 && v.shape[3] === 1);

