/** `portafilter run`: the converted model on one input — top-k predictions, every layer's output on request. */
import { readFileSync } from 'node:fs';
import { PortafilterError } from '../../shared/errors.js';
import { writeDump } from '../engine/dump.js';
import { createEngine, parseEngineChoice, parseOrdering } from '../engine/index.js';
import type { Blob } from '../layers/types.js';
import { loadCaffeNet } from '../net/model.js';
import { dims } from '../engine/diff.js';
import { engineLines, whatRan } from './engine-report.js';
import { prepareInputs, type InputFlags } from './inputs.js';
import { parseInputShapes } from './inspect.js';

export interface RunFlags extends InputFlags {
  top?: string;
  labels?: string;
  engine?: string;
  ordering?: string;
  flipKernels?: boolean;
  dump?: string;
  json?: boolean;
  inputShape?: string[];
}

export interface Prediction {
  index: number;
  label?: string;
  score: number;
}

/** synset_words.txt lines ("n01440764 tench, Tinca tinca") or one label per line. */
export function readLabels(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PortafilterError(`cannot read the labels: ${(e as Error).message}`, { file });
  }
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
const isClassScores = (v: Blob): boolean => v.shape.length === 2 || (v.shape.length === 4 && v.shape[2] === 1 && v.shape[3] === 1);

export async function run(prototxt: string, caffemodel: string, flags: RunFlags): Promise<{ text: string; json: unknown }> {
  const k = flags.top !== undefined ? Number(flags.top) : 5;
  if (!Number.isInteger(k) || k < 1) throw new PortafilterError(`--top expects a positive whole number, got '${flags.top}'`);
  const labels = flags.labels ? readLabels(flags.labels) : undefined;
  const loaded = await loadCaffeNet({ prototxt, caffemodel, inputShapes: parseInputShapes(flags.inputShape) });
  const { model, inputs } = await prepareInputs(loaded, flags);
  const engine = await createEngine(model, {
    engine: parseEngineChoice(flags.engine),
    ordering: parseOrdering(flags.ordering),
    flipKernels: flags.flipKernels,
  });
  try {
    const result = await engine.run(inputs, { capture: flags.dump !== undefined });
    const dumped = flags.dump ? writeDump(flags.dump, result) : [];
    const outputs = result.outputs.map((o) => ({
      blob: o.blob,
      shape: o.value.shape,
      ...(isClassScores(o.value) ? { top: topK(o.value, Math.min(k, o.value.data.length / Math.max(o.value.shape[0], 1)), labels) } : {}),
    }));
    if (labels) {
      for (const o of result.outputs)
        if (isClassScores(o.value) && o.value.data.length / o.value.shape[0] !== labels.length)
          throw new PortafilterError(`has ${labels.length} labels but output '${o.blob}' has ${o.value.data.length / o.value.shape[0]} classes`, { file: flags.labels });
    }
    const json = {
      ...whatRan(result, engine.skipped),
      inputs: Object.entries(inputs).map(([name, b]) => ({ name, shape: b.shape })),
      outputs,
      milliseconds: Math.round(result.milliseconds * 100) / 100,
      ...(flags.dump ? { dump: { dir: flags.dump, files: dumped.length } } : {}),
    };
    const lines = [
      ...engineLines(result, engine.skipped, ` (${result.milliseconds.toFixed(1)} ms)`),
      `input: ${Object.entries(inputs).map(([name, b]) => `${name} ${dims(b.shape)}`).join(', ')}`,
    ];
    for (const o of outputs) {
      lines.push(`output ${o.blob}: ${dims(o.shape)}`);
      o.top?.forEach((preds, s) => {
        if (o.top!.length > 1) lines.push(`  sample ${s}:`);
        for (const p of preds) lines.push(`  ${p.score.toFixed(6)}  ${String(p.index).padStart(4)}${p.label ? `  ${p.label}` : ''}`);
      });
    }
    if (flags.dump) lines.push(`wrote ${dumped.length} layer outputs to ${flags.dump}`);
    return { text: lines.join('\n'), json };
  } finally {
    engine.dispose();
  }
}
