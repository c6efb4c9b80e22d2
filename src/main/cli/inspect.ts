import type { ModelSummary } from '../../shared/api.js';
import { PortafilterError, ShapeError } from '../../shared/errors.js';
import type { NetState } from '../net/graph.js';
import { loadCaffeNet, type LoadOptions } from '../net/model.js';
import { summarize } from '../service/summary.js';

/** The options every command that reads a net takes: input shapes and Caffe's net state (which layers are in). */
export interface NetFlags {
  inputShape?: string[];
  /** TEST (the default, inference) or TRAIN. */
  phase?: string;
  stage?: string[];
  level?: number;
}

export interface InspectOptions extends NetFlags {
  json?: boolean;
}

/** `--phase train` -> 'TRAIN': Caffe's Phase enum names, in either case. */
export function parsePhase(value: string | undefined): NetState['phase'] {
  if (value === undefined) return 'TEST';
  const phase = value.toUpperCase();
  if (phase !== 'TEST' && phase !== 'TRAIN') throw new PortafilterError(`--phase expects TEST or TRAIN (Caffe's Phase), got '${value}'`);
  return phase;
}

/** The flags as loadCaffeNet's input shapes and net state (NetState: phase, level, stages, as \`caffe test\` or pycaffe pass them). */
export const netOptions = (flags: NetFlags): Pick<LoadOptions, 'inputShapes' | 'state'> => ({
  inputShapes: parseInputShapes(flags.inputShape),
  state: { phase: parsePhase(flags.phase), level: flags.level ?? 0, stages: flags.stage ?? [] },
});

const INT_MAX = 2147483647;

/**
 * `--input-shape data=1,3,224,224` (repeatable; `x` separates too) -> { data: [1,3,224,224] }. Each
 * dimension is a decimal integer, and the shape must fit a Caffe blob: Blob::Reshape (blob.cpp) CHECKs
 * every dimension >= 0 and shape[i] <= INT_MAX / count, so the count stays within INT_MAX.
 */
export function parseInputShapes(specs: string[] = []): Record<string, number[]> {
  const out = new Map<string, number[]>();
  for (const spec of specs) {
    const fail = (reason: string): never => {
      throw new ShapeError(`'${spec}': ${reason}`, { field: '--input-shape' });
    };
    const eq = spec.indexOf('=');
    if (eq < 0) fail('expected NAME=N,C,H,W (e.g. data=1,3,224,224)');
    const name = spec.slice(0, eq).trim();
    if (name === '') fail('the input name before the = is empty (expected NAME=N,C,H,W)');
    if (out.has(name)) fail(`input '${name}' is given a shape twice`);
    let count = 1;
    const dims = spec
      .slice(eq + 1)
      .split(/[,x]/)
      .map((raw, i) => {
        const text = raw.trim();
        if (text === '') fail(`dimension ${i} is empty (expected NAME=N,C,H,W)`);
        if (/^-\d+$/.test(text)) fail(`dimension ${i} (${text}) is negative`);
        if (!/^\d+$/.test(text)) fail(`dimension ${i} ('${text}') is not a decimal integer`);
        const d = Number(text);
        if (d > INT_MAX) fail(`dimension ${i} (${text}) is above INT_MAX (${INT_MAX}), more than a Caffe blob dimension holds`);
        if (count !== 0 && d > Math.floor(INT_MAX / count))
          fail(`the shape holds more than INT_MAX (${INT_MAX}) values, more than a Caffe blob can (Blob::Reshape: blob size exceeds INT_MAX)`);
        count *= d;
        return d;
      });
    out.set(name, dims);
  }
  // fromEntries: a name such as __proto__ stays a key.
  return Object.fromEntries(out);
}

/** The `--json` form: one object, shapes in Caffe's N,C,H,W order, types as Caffe V2 type strings. */
export function inspectJson(s: ModelSummary): unknown {
  return {
    inputs: s.inputs.map((i) => ({ name: i.name, shape: i.shape })),
    layers: s.layers.map((l) => ({
      name: l.name,
      type: l.type,
      bottoms: l.bottoms,
      tops: l.tops,
      top_shapes: l.top_shapes,
      blob_shapes: l.blob_shapes,
    })),
    phase: s.state.phase,
    ...(s.state.stages.length > 0 ? { stages: s.state.stages } : {}),
    ...(s.state.level !== 0 ? { level: s.state.level } : {}),
    excluded: s.state.excluded,
  };
}

const dims = (s: number[] | null): string => (s === null ? 'unknown' : s.length === 0 ? 'scalar' : s.join('×'));

export function inspectTable(s: ModelSummary): string {
  const rows = s.layers.map((l) => [
    l.name,
    l.type,
    l.bottoms.join(', '),
    l.tops.join(', ') + (l.inPlace ? ' (in place)' : ''),
    l.top_shapes.map(dims).join('; ') + (l.dataDependent ? ' (at most; depends on the data)' : ''),
    l.params > 0 ? l.params.toLocaleString('en-US') : '',
  ]);
  const header = ['layer', 'type', 'bottoms', 'tops', 'output shape (N×C×H×W)', 'params'];
  const unknown = s.layers.filter((l) => l.unknown !== undefined).length;
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === r.length - 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const out = [
    `${s.name || '(unnamed net)'}  ${s.prototxt}${s.caffemodel ? `  +  ${s.caffemodel}` : ''}`,
    `format: prototxt ${s.prototxtFormat}${s.weightsFormat ? `, caffemodel ${s.weightsFormat}` : ''}; ` +
      `inputs: ${s.inputs.map((i) => `${i.name} ${dims(i.shape)}`).join(', ') || 'none'}; outputs: ${s.outputs.join(', ')}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${s.layers.length} layers, ${s.totalParams.toLocaleString('en-US')} parameters` +
      (unknown > 0 ? ` (not counting the ${unknown} layer${unknown === 1 ? '' : 's'} of unknown shape)` : '') +
      (s.caffemodel && unknown === 0 ? '; every weight blob matches the shape the prototxt implies' : ''),
  ];
  for (const note of s.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

export async function inspect(prototxt: string, caffemodel: string | undefined, options: InspectOptions): Promise<string> {
  // Looking only: shapes the file does not give are listed as unknown, with the reason, not refused.
  const model = await loadCaffeNet({ prototxt, caffemodel, ...netOptions(options), tolerant: true });
  const summary = summarize('cli', model);
  return options.json ? JSON.stringify(inspectJson(summary)) : inspectTable(summary);
}
