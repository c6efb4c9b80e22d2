/** `portafilter convert`: export the converted model for Keras, TF.js, ONNX or as .npy weights, and with --verify load it back and check it. */
import { PortafilterError } from '../../shared/errors.js';
import { exportModel, parseExportFormat, type ExportResult, type Verification, type VerifyInput } from '../export/index.js';
import { DEFAULT_ORDERING, parseOrdering } from '../engine/index.js';
import { loadCaffeNet } from '../net/model.js';
import { prepareInputs, type InputFlags } from './inputs.js';
import { netOptions, type NetFlags } from './inspect.js';

export interface ConvertFlags extends Partial<InputFlags>, NetFlags {
  format?: string;
  out: string;
  ordering?: string;
  flipKernels?: boolean;
  force?: boolean;
  json?: boolean;
  verify?: boolean;
}

const INPUT_FLAGS: [keyof InputFlags, string][] = [
  ['input', '--input'],
  ['meanValues', '--mean-values'],
  ['scale', '--scale'],
  ['rawScale', '--raw-scale'],
  ['rgb', '--rgb'],
];

export async function convert(prototxt: string, caffemodel: string, flags: ConvertFlags, log: (line: string) => void): Promise<ExportResult> {
  const format = parseExportFormat(flags.format);
  const given = INPUT_FLAGS.filter(([k]) => (k === 'input' ? (flags.input?.length ?? 0) > 0 : flags[k] !== undefined)).map(([, name]) => name);
  if (!flags.verify && given.length > 0) throw new PortafilterError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} for the input of --verify; add --verify, or leave ${given.length === 1 ? 'it' : 'them'} out`);
  const verifyInput = flags.verify && (flags.input?.length ?? 0) > 0;
  if (flags.mean !== undefined && format !== 'npy' && !verifyInput)
    throw new PortafilterError('--mean is for --format npy (written as mean_image.npy) or for the image of --verify --input (subtracted from it)');
  if (flags.verify && !verifyInput && given.length > 0) throw new PortafilterError(`${given.join(', ')} preprocess the --input image of --verify; give --input too`);
  const model = await loadCaffeNet({ prototxt, caffemodel, ...netOptions(flags) });
  let verify: true | VerifyInput | undefined;
  if (verifyInput) {
    const prepared = await prepareInputs(model, { ...flags, input: flags.input ?? [] });
    verify = { ...prepared, source: `${flags.input!.join(', ')}, preprocessed` };
  } else if (flags.verify) verify = true;
  let last = '';
  return exportModel(model, {
    format,
    out: flags.out,
    ordering: parseOrdering(flags.ordering) ?? DEFAULT_ORDERING,
    flipKernels: flags.flipKernels,
    mean: format === 'npy' ? flags.mean : undefined,
    force: flags.force === true,
    verify,
    onProgress: (stage) => {
      if (stage !== last && !flags.json) log(`${stage}…`);
      last = stage;
    },
  });
}

const fmt = (n: number): string => (Number.isFinite(n) ? n.toPrecision(3) : String(n));

/** What --verify found, in lines: the consumer, the input, each output's agreement, the problems. */
export function verificationLines(v: Verification): string[] {
  const lines = [`${v.ok ? 'verified' : 'verification FAILED'}: loaded back with ${v.consumer}, run on ${v.input}`];
  for (const o of v.outputs) {
    const top = o.top1 ? `, top-1 ${o.top1.exported} (reference ${o.top1.reference})` : '';
    lines.push(`  ${o.ok ? 'ok  ' : 'FAIL'} ${o.blob} [${o.shape.join(', ')}]: max |Δ| ${fmt(o.maxAbs)}, max rel ${fmt(o.maxRel)}, ${fmt(o.ratio)}× the tolerance${top}`);
  }
  for (const p of v.problems) lines.push(`  problem: ${p}`);
  return lines;
}

export function convertSummary(result: ExportResult): string {
  const lines = [`wrote ${result.format}: ${result.files[0]}`];
  for (const f of result.files.slice(1)) lines.push(`  and ${f}`);
  if (result.customLayers.length > 0) lines.push(`custom layers (their Python and JS modules are next to the model): ${result.customLayers.join(', ')}`);
  for (const n of result.notes) lines.push(`note: ${n}`);
  if (result.verification) lines.push(...verificationLines(result.verification));
  return lines.join('\n');
}
