/** `portafilter convert`: export the converted model for Keras, TF.js, ONNX or as .npy weights. */
import { exportModel, parseExportFormat, type ExportResult } from '../export/index.js';
import { DEFAULT_ORDERING, parseOrdering } from '../engine/index.js';
import { loadCaffeNet } from '../net/model.js';
import { parseInputShapes } from './inspect.js';

export interface ConvertFlags {
  format?: string;
  out: string;
  ordering?: string;
  flipKernels?: boolean;
  mean?: string;
  force?: boolean;
  inputShape?: string[];
  json?: boolean;
}

export async function convert(prototxt: string, caffemodel: string, flags: ConvertFlags, log: (line: string) => void): Promise<ExportResult> {
  const format = parseExportFormat(flags.format);
  const model = await loadCaffeNet({ prototxt, caffemodel, inputShapes: parseInputShapes(flags.inputShape) });
  let last = '';
  return exportModel(model, {
    format,
    out: flags.out,
    ordering: parseOrdering(flags.ordering) ?? DEFAULT_ORDERING,
    flipKernels: flags.flipKernels,
    mean: flags.mean,
    force: flags.force === true,
    onProgress: (stage) => {
      if (stage !== last && !flags.json) log(`${stage}…`);
      last = stage;
    },
  });
}

export function convertSummary(result: ExportResult): string {
  const lines = [`wrote ${result.format}: ${result.files[0]}`];
  for (const f of result.files.slice(1)) lines.push(`  and ${f}`);
  if (result.customLayers.length > 0) lines.push(`custom layers (their Python and JS modules are next to the model): ${result.customLayers.join(', ')}`);
  for (const n of result.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
