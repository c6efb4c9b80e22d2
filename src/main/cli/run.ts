/** `portafilter run`: the converted model on one input — top-k predictions, every layer's output on request. */
import { PortafilterError } from '../../shared/errors.js';
import { prepareDump, writeDump } from '../engine/dump.js';
import { nonFiniteWarnings } from '../engine/finite.js';
import { createEngine, parseEngineChoice, parseOrdering, checkFlipOrdering } from '../engine/index.js';
import { loadCaffeNet } from '../net/model.js';
import { dims } from '../engine/diff.js';
import { engineLines, whatRan } from './engine-report.js';
import { prepareInputs, type InputFlags } from './inputs.js';
import { isClassScores, readLabels, topK } from '../engine/predictions.js';

export { readLabels } from '../engine/predictions.js';
import { netOptions, type NetFlags } from './inspect.js';

export interface RunFlags extends InputFlags, NetFlags {
  /** A whole number from 1 (index.ts parses it). */
  top?: number;
  labels?: string;
  engine?: string;
  ordering?: string;
  flipKernels?: boolean;
  dump?: string;
  /** Write the dump into a non-empty folder that is not an earlier dump. */
  force?: boolean;
  json?: boolean;
}

export async function run(prototxt: string, caffemodel: string, flags: RunFlags): Promise<{ text: string; json: unknown }> {
  const k = flags.top ?? 5;
  if (!Number.isSafeInteger(k) || k < 1) throw new PortafilterError(`--top expects a whole number from 1, got ${k}`);
  checkFlipOrdering(parseOrdering(flags.ordering), flags.flipKernels);
  const labels = flags.labels !== undefined ? readLabels(flags.labels) : undefined;
  if (flags.force && flags.dump === undefined) throw new PortafilterError('--force is for --dump DIR (writing into a folder of other files); there is no --dump here');
  // Before the model is read and run: a bad dump folder fails in a second, not after the forward pass.
  const dumpFolder = flags.dump !== undefined ? prepareDump(flags.dump, { force: flags.force }) : undefined;
  const loaded = await loadCaffeNet({ prototxt, caffemodel, ...netOptions(flags) });
  const { model, inputs } = await prepareInputs(loaded, flags);
  const engine = await createEngine(model, {
    engine: parseEngineChoice(flags.engine),
    ordering: parseOrdering(flags.ordering),
    flipKernels: flags.flipKernels,
  });
  try {
    const result = await engine.run(inputs, { capture: dumpFolder !== undefined });
    const warnings = await nonFiniteWarnings(engine, inputs, result, dumpFolder !== undefined);
    const dumped = dumpFolder ? writeDump(dumpFolder, result) : [];
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
      ...(flags.dump !== undefined ? { dump: { dir: flags.dump, files: dumped.length } } : {}),
      warnings,
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
    if (flags.dump !== undefined) lines.push(`wrote ${dumped.length} layer outputs to ${flags.dump}`);
    for (const w of warnings) lines.push(`warning: ${w}`);
    return { text: lines.join('\n'), json };
  } finally {
    engine.dispose();
  }
}
