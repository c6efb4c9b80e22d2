/**
 * The Run view's rules: the engine choices, the preprocessing form as pycaffe Transformer settings,
 * the input as runModel takes it, the charts of predictions and outputs as ECharts options, and the
 * arithmetic of the activation map grid (where a map sits, which value is under the pointer). Pure
 * (test/unit/renderer/run.test.ts); the components supply the canvas and the theme's colours.
 */
import type { ActivationInfo, ENGINE_CHOICE_NAMES, Prediction, Preprocess, RunInfo, RunInput, WeightStats } from '../../../shared/api.js';
import { formatShape } from './format.js';
import { compactCount, type ChartColours } from './histogram.js';
import { formatDuration, formatValue } from './numbers.js';

export type EngineChoice = (typeof ENGINE_CHOICE_NAMES)[number];

/** runModel's engine choices, in the CLI's --engine order, with what each means to a user. */
export const ENGINE_CHOICES: readonly { id: EngineChoice; label: string; title: string }[] = [
  { id: 'auto', label: 'auto', title: 'The fastest engine that starts here: tfjs-node with a GPU, tfjs-node, then TF.js wasm, then TF.js cpu' },
  { id: 'tfjs', label: 'TF.js (best backend)', title: 'The converted Keras model in TF.js, on the best TF.js backend that loads' },
  { id: 'tfjs-node-gpu', label: 'tfjs-node GPU', title: 'TF.js with libtensorflow and CUDA (an optional install)' },
  { id: 'tfjs-node', label: 'tfjs-node', title: 'TF.js with libtensorflow on the CPU (an optional install)' },
  { id: 'onnxruntime', label: 'ONNX Runtime', title: 'The ONNX export of the model, run by onnxruntime' },
  { id: 'wasm', label: 'TF.js wasm', title: 'TF.js on WebAssembly (SIMD and threads where available)' },
  { id: 'cpu', label: 'TF.js cpu', title: 'TF.js in plain JavaScript: slow, available everywhere' },
  { id: 'reference', label: 'reference (Caffe)', title: "Portafilter's own executor of Caffe's layer semantics: no Keras model, slow, the yardstick the others are diffed against" },
];

/** What the Preprocessing fields hold, as typed. */
export interface PreprocessForm {
  mean: string;
  /** Comma separated, in the net's channel order. */
  meanValues: string;
  rawScale: string;
  inputScale: string;
  /** Keep RGB instead of Caffe's BGR. */
  rgb: boolean;
}

export const emptyPreprocess = (): PreprocessForm => ({ mean: '', meanValues: '', rawScale: '', inputScale: '', rgb: false });

/** Settings as the fields show them (the demo's own, which demoModel gives). */
export const preprocessForm = (p: Preprocess): PreprocessForm => ({
  mean: p.mean ?? '',
  meanValues: (p.meanValues ?? []).join(', '),
  rawScale: p.rawScale === undefined ? '' : String(p.rawScale),
  inputScale: p.scale === undefined ? '' : String(p.scale),
  rgb: p.rgb === true,
});

/** '0.017', '1e-3' or a fraction as recipes write it ('1/256'); null when it is not a number. */
export function parseNumber(text: string): number | null {
  const t = text.trim();
  const fraction = /^([^/]+)\/([^/]+)$/.exec(t);
  if (fraction) {
    const [top, bottom] = [parseNumber(fraction[1]), parseNumber(fraction[2])];
    return top === null || bottom === null || bottom === 0 ? null : top / bottom;
  }
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
  return Number(t);
}

/** '104, 117, 123' -> [104, 117, 123]; spaces alone also separate. */
export function parseNumberList(text: string): { values: number[] } | { problem: string } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const values: number[] = [];
  for (const part of parts) {
    const v = parseNumber(part);
    if (v === null) return { problem: `mean values: ${JSON.stringify(part)} is not a number` };
    values.push(v);
  }
  return { values };
}

/** The form as runModel's preprocess, or what is wrong with it; blank fields are left to the service's defaults. */
export function toPreprocess(form: PreprocessForm): { preprocess: Preprocess } | { problem: string } {
  const preprocess: Preprocess = {};
  const mean = form.mean.trim();
  const values = parseNumberList(form.meanValues);
  if ('problem' in values) return values;
  if (mean && values.values.length > 0) return { problem: 'give a mean file or mean values, not both' };
  if (mean) preprocess.mean = mean;
  if (values.values.length > 0) preprocess.meanValues = values.values;
  for (const [field, key, label] of [
    ['rawScale', 'rawScale', 'raw scale'],
    ['inputScale', 'scale', 'input scale'],
  ] as const) {
    if (!form[field].trim()) continue;
    const v = parseNumber(form[field]);
    if (v === null || !(v > 0) || !Number.isFinite(v)) return { problem: `${label}: ${JSON.stringify(form[field].trim())} is not a positive number` };
    preprocess[key] = v;
  }
  if (form.rgb) preprocess.rgb = true;
  return { preprocess };
}

/** The input the user chose: one of the demo's samples, or a path on the host. */
export type InputChoice = { kind: 'sample'; name: string } | { kind: 'file'; path: string };

export function toRunInput(choice: InputChoice): { input: RunInput } | { problem: string } {
  if (choice.kind === 'sample') return { input: { sample: choice.name } };
  const path = choice.path.trim();
  if (!path) return { problem: 'choose an input: the path of an image or a .npy' };
  return { input: { file: path } };
}

/** 'digit_3.png' -> 'digit_3': the button reads as the sample, not the file. */
export const sampleLabel = (name: string): string => name.replace(/\.[^.]+$/, '');

/** The open model is the bundled demo (whose samples runModel knows by name). */
export const isDemoModel = (prototxt: string | undefined, demoPrototxt: string | undefined): boolean => prototxt !== undefined && prototxt === demoPrototxt;

/** 'tfjs wasm (SIMD, 1 thread) · 12.3 ms': what ran and how long it took. */
export const engineLine = (info: Pick<RunInfo, 'engineDetail' | 'milliseconds'>): string => `${info.engineDetail} · ${formatDuration(info.milliseconds)}`;

/** Which model ran, in words: 'the ONNX export, channels_first with flipped kernels'. */
export function ranWhat(info: Pick<RunInfo, 'form' | 'ordering' | 'flipKernels'>): string {
  const form = { reference: 'the reference executor', onnx: 'the ONNX export', keras: 'the converted Keras model' }[info.form];
  return info.ordering ? `${form}, ${info.ordering}${info.flipKernels ? ' with flipped kernels' : ''}` : form;
}

/** `data 1×3×227×227`: what a run feeds, for the prompt before the first run. */
export const inputsText = (inputs: readonly { name: string; shape: readonly number[] | null }[]): string => inputs.map((i) => `${i.name} ${formatShape(i.shape)}`).join(', ');

/** A prediction as a chart and a list name it. */
export const predictionName = (p: Prediction): string => p.label ?? `class ${p.index}`;

/** Long synset labels ('n01440764 tench, Tinca tinca') cut for an axis, whole in the tooltip. */
export const shortLabel = (text: string, max = 28): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const tooltip = (c: ChartColours) => ({
  confine: true,
  backgroundColor: c.tooltipBg,
  borderColor: c.line,
  textStyle: { color: c.text, fontSize: 11 },
});

/** The top-k as horizontal bars, the best on top; scores below 0 (logits) extend the axis left. */
export function predictionsOption(top: readonly Prediction[], c: ChartColours): Record<string, unknown> {
  const rows = [...top].reverse();
  const low = Math.min(0, ...rows.map((p) => p.score));
  return {
    animation: false,
    grid: { left: 8, right: 48, top: 4, bottom: 4, containLabel: true },
    tooltip: { ...tooltip(c), trigger: 'item', formatter: (p: { dataIndex: number }) => `${predictionName(rows[p.dataIndex])} (index ${rows[p.dataIndex].index}): ${formatValue(rows[p.dataIndex].score)}` },
    xAxis: { type: 'value', min: low, axisLabel: { show: false }, splitLine: { show: false } },
    yAxis: {
      type: 'category',
      data: rows.map((p) => shortLabel(predictionName(p))),
      axisLabel: { color: c.text, fontSize: 11 },
      axisLine: { lineStyle: { color: c.line } },
      axisTick: { show: false },
    },
    series: [
      {
        type: 'bar',
        data: rows.map((p, i) => ({ value: p.score, itemStyle: { color: c.bar, opacity: i === rows.length - 1 ? 1 : 0.55 } })),
        barWidth: '62%',
        label: { show: true, position: 'right', color: c.text, fontSize: 11, formatter: (p: { value: number }) => formatValue(p.value) },
      },
    ],
  };
}

/** Sample 0's part of an output's values (the first of N). */
export function firstSample(values: Float32Array, shape: readonly number[]): Float32Array {
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  return shape.length > 1 && per <= values.length ? values.subarray(0, per) : values;
}

/** Bars are readable up to this many values; beyond, a line (sampled by ECharts where it is dense). */
export const MAX_BARS = 64;

/** Values by index: bars for a few, a line for many. */
export function valuesOption(values: ArrayLike<number>, c: ChartColours, name: string): Record<string, unknown> {
  const data = Array.from(values, (v, i) => [i, v]);
  const bars = values.length <= MAX_BARS;
  return {
    animation: false,
    grid: { left: 48, right: 12, top: 8, bottom: 22 },
    tooltip: { ...tooltip(c), trigger: 'axis', formatter: (ps: { value: [number, number] }[]) => (ps[0] ? `${name}[${ps[0].value[0]}] = ${formatValue(ps[0].value[1])}` : '') },
    xAxis: {
      type: 'value',
      min: bars ? -0.5 : 0,
      max: bars ? values.length - 0.5 : Math.max(1, values.length - 1),
      axisLabel: { color: c.text, fontSize: 10, formatter: (v: number) => (Number.isInteger(v) ? compactCount(v) : ''), hideOverlap: true },
      axisLine: { lineStyle: { color: c.line } },
      splitLine: { show: false },
    },
    yAxis: { type: 'value', scale: true, axisLabel: { color: c.text, fontSize: 10, formatter: (v: number) => formatValue(v) }, splitLine: { lineStyle: { color: c.line, opacity: 0.5 } } },
    series: [
      bars
        ? { type: 'bar', data, itemStyle: { color: c.bar }, barWidth: '70%' }
        : { type: 'line', data, showSymbol: false, sampling: 'lttb', lineStyle: { color: c.bar, width: 1 }, itemStyle: { color: c.bar } },
    ],
  };
}

/** How an activation is drawn: channel maps (N,C,H,W), one value per unit (N,K or N,K,1,1), or only its statistics. */
export type ActivationKind = 'maps' | 'vector' | 'stats';

export function activationKind(shape: readonly number[]): ActivationKind {
  if (shape.length === 2 || (shape.length === 4 && shape[2] === 1 && shape[3] === 1)) return 'vector';
  if (shape.length === 4) return 'maps';
  return 'stats';
}

export type Normalise = 'channel' | 'shared';
export type Colormap = 'viridis' | 'magma' | 'gray';
export const NORMALISE_CHOICES: readonly { id: Normalise; label: string; title: string }[] = [
  { id: 'channel', label: 'per channel', title: "Each map from its own min to its own max: every channel's pattern shows, their strengths do not compare" },
  { id: 'shared', label: 'shared', title: "Every map from the top's min to its max: strong and dead channels show as such" },
];
export const COLORMAP_CHOICES: readonly Colormap[] = ['viridis', 'magma', 'gray'];

/** What one activation call asks beyond its layer: the cache's key, with the layer, top and run. */
export interface ActivationAsk {
  runId: string;
  layer: string;
  top: number;
  tiles?: { offset: number; limit: number; normalise: Normalise; colormap: Colormap };
  raw: boolean;
}

export const activationKey = (a: ActivationAsk): string =>
  [a.runId, a.layer, a.top, a.tiles ? `${a.tiles.offset}+${a.tiles.limit}/${a.tiles.normalise}/${a.tiles.colormap}` : '-', a.raw ? 'raw' : ''].join('\u0000');

/** HistogramChart draws WeightStats; an activation has the same statistics, its top standing for the blob. */
export function activationHistogram(a: ActivationInfo): WeightStats {
  return {
    layer: a.layer,
    blob: a.top,
    shape: a.shape,
    count: a.count,
    min: a.min,
    max: a.max,
    mean: a.mean,
    std: a.std,
    zeroFraction: a.zeroFraction,
    nanCount: a.nanCount,
    infCount: a.infCount,
    edges: a.edges,
    counts: a.counts,
  };
}

/** `conv1 → conv1 · 1×20×24×24`: which blob an activation is, and its shape. */
export const activationHeading = (a: Pick<ActivationInfo, 'layer' | 'blob' | 'shape'>): string => `${a.blob === a.layer ? a.blob : `${a.layer} → ${a.blob}`} · ${formatShape(a.shape)}`;

/** Sample 0's value at channel c, row y, column x of a C,H,W block (the raw values of an N,C,H,W top). */
export function valueAt(raw: Float32Array, shape: readonly number[], c: number, y: number, x: number): number | null {
  const [, channels, height, width] = shape;
  if (shape.length !== 4 || c < 0 || c >= channels || y < 0 || y >= height || x < 0 || x >= width) return null;
  const i = (c * height + y) * width + x;
  return i < raw.length ? raw[i] : null;
}
