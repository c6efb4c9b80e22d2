import type { ModelSummary } from '../../shared/api.js';
import { loadCaffeNet } from '../net/model.js';
import { summarize } from '../service/summary.js';

export interface InspectOptions {
  json?: boolean;
  inputShape?: string[];
}

/** `--input-shape data=1,3,224,224` (repeatable) -> { data: [1,3,224,224] } */
export function parseInputShapes(specs: string[] = []): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of specs) {
    const m = /^([^=]+)=(\d+(?:[,x]\d+)*)$/.exec(spec.trim());
    if (!m) throw new Error(`--input-shape expects NAME=N,C,H,W (e.g. data=1,3,224,224), got '${spec}'`);
    out[m[1]] = m[2].split(/[,x]/).map(Number);
  }
  return out;
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
  };
}

const dims = (s: number[]): string => (s.length === 0 ? 'scalar' : s.join('×'));

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
      (s.caffemodel ? '; every weight blob matches the shape the prototxt implies' : ''),
  ];
  for (const note of s.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

export async function inspect(prototxt: string, caffemodel: string | undefined, options: InspectOptions): Promise<string> {
  const model = await loadCaffeNet({ prototxt, caffemodel, inputShapes: parseInputShapes(options.inputShape) });
  const summary = summarize('cli', model);
  return options.json ? JSON.stringify(inspectJson(summary)) : inspectTable(summary);
}
