/** `portafilter diff`: the converted model against the Caffe-semantics reference or real Caffe's dumps, layer by layer. */
import { PortafilterError } from '../../shared/errors.js';
import { compareModel, type CompareReport } from '../engine/compare.js';
import { dims } from '../engine/diff.js';
import { parseEngineChoice, parseOrdering, checkFlipOrdering } from '../engine/index.js';
import { loadCaffeNet } from '../net/model.js';
import { prepareInputs, type InputFlags } from './inputs.js';
import { netOptions, type NetFlags } from './inspect.js';
import { engineLines } from './engine-report.js';

export interface DiffFlags extends InputFlags, NetFlags {
  against?: string;
  naming?: string;
  engine?: string;
  ordering?: string;
  flipKernels?: boolean;
  json?: boolean;
}

export async function diff(prototxt: string, caffemodel: string, flags: DiffFlags): Promise<CompareReport> {
  const naming = flags.naming ?? 'auto';
  if (naming !== 'auto' && naming !== 'layers' && naming !== 'blobs') throw new PortafilterError(`--naming expects auto, layers or blobs, got '${naming}'`);
  checkFlipOrdering(parseOrdering(flags.ordering), flags.flipKernels);
  const loaded = await loadCaffeNet({ prototxt, caffemodel, ...netOptions(flags) });
  const { model, inputs } = await prepareInputs(loaded, flags);
  return compareModel(model, inputs, {
    against: flags.against ?? 'reference',
    naming,
    engine: parseEngineChoice(flags.engine ?? 'tfjs'),
    ordering: parseOrdering(flags.ordering),
    flipKernels: flags.flipKernels,
  });
}

const num = (v: number | undefined): string => (v === undefined ? '' : Number.isNaN(v) ? 'NaN' : v === 0 ? '0' : v.toExponential(2));

export function diffTable(report: CompareReport): string {
  const rows = report.rows.map((r, i) => [
    r.top === 0 ? r.layer : `${r.layer} [${r.top}]`,
    r.type,
    dims(r.caffeShape),
    dims(r.kerasShape),
    num(r.maxAbs),
    num(r.maxRel),
    r.status === 'ok' ? 'ok' : r.status === 'missing' ? '—' : r.status === 'shape' ? `SHAPE ${dims(r.expectedShape)}` : 'DIVERGED',
    i === report.first ? '◀ first divergence' : '',
  ]);
  const header = ['layer', 'type', 'Caffe shape', 'Keras shape', 'max abs', 'max rel', 'status', ''];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  const compared = report.rows.filter((r) => r.status !== 'missing').length;
  const out = [
    ...engineLines(report, report.skipped ?? []),
    `against: ${report.against === 'reference' ? 'the Caffe-semantics reference' : report.against}${report.naming ? ` (dumps named by ${report.naming === 'layers' ? 'layer' : 'blob'})` : ''}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
  ];
  if (report.first !== undefined) {
    const r = report.rows[report.first];
    out.push(`first divergence: layer '${r.layer}' (${r.type})${r.cause ? ` — ${r.cause}` : ''}`);
  } else out.push(`all ${compared} compared outputs within tolerance`);
  if (compared === 0) out.push('note: nothing was compared: no dump file matched a layer or blob name');
  if (report.unmatched.length > 0) out.push(`note: ${report.unmatched.length} dump file(s) matched no layer or blob: ${report.unmatched.slice(0, 10).join(', ')}${report.unmatched.length > 10 ? ', …' : ''}`);
  for (const w of report.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}
