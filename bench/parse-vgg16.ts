/**
 * parse_vgg16: reading a VGG16-sized caffemodel (138 M float parameters, ≈ 528 MiB) with our reader
 * versus a full protobufjs decode. Each measurement runs in a fresh child process so peak RSS
 * (process.resourceUsage().maxRSS) belongs to that reader alone.
 *
 * The model is synthetic: VGG16's 13 conv + 3 fc layer names and blob shapes (plus its ReLU, pooling,
 * dropout and softmax layers), V2 format, deterministic weights. It is written once into
 * os.tmpdir()/portafilter-bench/ and reused while its size matches.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, Log } from './types.js';
import { Bytes, syntheticModelSize, writeSyntheticCaffeModel, type SyntheticLayer, type SyntheticNet } from '../test/helpers/caffemodel-writer.js';

/** VGG16 (Simonyan & Zisserman, configuration D) as in VGG_ILSVRC_16_layers_deploy.prototxt, V2. */
function vgg16(): SyntheticNet {
  const layers: SyntheticLayer[] = [];
  let blob = 'data';
  let channels = 3;
  const add = (name: string, type: string, top: string, blobs: number[][] = [], params?: Uint8Array): void => {
    layers.push({ name, type, bottom: blob, top, blobs: blobs.map((shape) => ({ shape })), params });
    blob = top;
  };
  const convParam = (n: number) => new Bytes().bytes(106, new Bytes().uint(1, n).packed(3, [1]).packed(4, [3]).finish()).finish();
  const poolParam = new Bytes().bytes(121, new Bytes().uint(1, 0).uint(2, 2).uint(3, 2).finish()).finish();
  [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]].forEach((block, b) => {
    block.forEach((n, i) => {
      const name = `conv${b + 1}_${i + 1}`;
      add(name, 'Convolution', name, [[n, channels, 3, 3], [n]], convParam(n));
      add(`relu${b + 1}_${i + 1}`, 'ReLU', name);
      channels = n;
    });
    add(`pool${b + 1}`, 'Pooling', `pool${b + 1}`, [], poolParam);
  });
  let inputs = 512 * 7 * 7;
  for (const [i, n] of [[6, 4096], [7, 4096], [8, 1000]]) {
    add(`fc${i}`, 'InnerProduct', `fc${i}`, [[n, inputs], [n]], new Bytes().bytes(117, new Bytes().uint(1, n).finish()).finish());
    inputs = n;
    if (i < 8) {
      add(`relu${i}`, 'ReLU', `fc${i}`);
      add(`drop${i}`, 'Dropout', `fc${i}`);
    }
  }
  add('prob', 'Softmax', 'prob');
  return { name: 'VGG_ILSVRC_16_layers (synthetic)', format: 'V2', layers };
}

/** The deploy prototxt of the same net (VGG_ILSVRC_16_layers_deploy.prototxt's layers, V2 text), for `inspect`. */
export function vgg16Prototxt(): string {
  const lines = ['name: "VGG_ILSVRC_16_layers (synthetic)"', 'input: "data"', 'input_shape { dim: 1 dim: 3 dim: 224 dim: 224 }'];
  let blob = 'data';
  const layer = (name: string, type: string, top: string, extra = ''): void => {
    lines.push(`layer { name: "${name}" type: "${type}" bottom: "${blob}" top: "${top}"${extra ? ` ${extra}` : ''} }`);
    blob = top;
  };
  [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]].forEach((block, b) => {
    block.forEach((n, i) => {
      const name = `conv${b + 1}_${i + 1}`;
      layer(name, 'Convolution', name, `convolution_param { num_output: ${n} pad: 1 kernel_size: 3 }`);
      layer(`relu${b + 1}_${i + 1}`, 'ReLU', name);
    });
    layer(`pool${b + 1}`, 'Pooling', `pool${b + 1}`, 'pooling_param { pool: MAX kernel_size: 2 stride: 2 }');
  });
  for (const [i, n] of [[6, 4096], [7, 4096], [8, 1000]]) {
    layer(`fc${i}`, 'InnerProduct', `fc${i}`, `inner_product_param { num_output: ${n} }`);
    if (i < 8) {
      layer(`relu${i}`, 'ReLU', `fc${i}`);
      layer(`drop${i}`, 'Dropout', `fc${i}`, 'dropout_param { dropout_ratio: 0.5 }');
    }
  }
  layer('prob', 'Softmax', 'prob');
  return lines.join('\n') + '\n';
}

export function ensureModel(log: Log): { path: string; prototxt: string; bytes: number; params: number } {
  const net = vgg16();
  const dir = join(tmpdir(), 'portafilter-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'vgg16-synthetic-v2.caffemodel');
  const bytes = syntheticModelSize(net);
  const params = net.layers.reduce((n, l) => n + l.blobs.reduce((m, b) => m + b.shape.reduce((a, d) => a * d, 1), 0), 0);
  if (!existsSync(path) || statSync(path).size !== bytes) {
    log(`writing ${path} (${(bytes / 2 ** 20).toFixed(0)} MiB, ${params.toLocaleString('en')} parameters) ...`);
    writeSyntheticCaffeModel(path, net, (l, written) => {
      if (l.blobs.length > 0) log(`  wrote ${l.name} (${(written / 2 ** 20).toFixed(0)} MiB so far)`);
    });
  }
  const prototxt = join(dir, 'vgg16-synthetic-deploy.prototxt');
  writeFileSync(prototxt, vgg16Prototxt());
  return { path, prototxt, bytes, params };
}

// ---------------------------------------------------------------------------------------------------
// Child processes

export interface ChildResult {
  seconds: number;
  peak_rss_mb: number;
  params: number;
}

const here = fileURLToPath(import.meta.url);

/** One reading of `file` in a fresh process: 'ours' is the reader alone (readCaffeModel), timed inside that process. */
export function child(mode: 'ours' | 'protobufjs' | 'baseline', file: string): ChildResult {
  const flags = mode === 'protobufjs' ? ['--max-old-space-size=16384'] : [];
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', here, '--child', mode, file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`the ${mode} child failed (status ${r.status}, signal ${r.signal})`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

async function childMain(mode: string, file: string): Promise<void> {
  const { readCaffeModel } = await import('../src/main/caffe/caffemodel.js');
  const { messageType } = await import('../src/main/caffe/schema.js');
  const { readFileSync } = await import('node:fs');
  messageType('NetParameter'); // the schema is loaded before the clock starts, in every mode
  let params = 0;
  const t0 = performance.now();
  if (mode === 'ours') {
    const model = await readCaffeModel(file);
    for (const l of model.layers) for (const b of l.blobs) params += b.data.length;
  } else if (mode === 'protobufjs') {
    const net = messageType('NetParameter').decode(readFileSync(file)) as unknown as { layer: Array<{ blobs: Array<{ data: number[] }> }> };
    for (const l of net.layer) for (const b of l.blobs) params += b.data.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS / 1024; // kB -> MiB
  process.stdout.write(JSON.stringify({ seconds, peak_rss_mb: peak, params } satisfies ChildResult) + '\n');
}

/** Runs of our reader (each in a fresh process); the machine may be shared, so the median is reported. */
const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const parseVgg16: Benchmark = {
  name: 'parse_vgg16',
  title: 'Reading a VGG16-sized caffemodel (V2, 138 M float parameters)',
  async run(log, options) {
    const { path, bytes, params } = ensureModel(log);
    const fileMb = bytes / 2 ** 20;
    log('baseline child (node + tsx + reader modules, no reading) ...');
    const baseline = child('baseline', path);
    const runs: ChildResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      log(`our reader, run ${i + 1}/${RUNS} ...`);
      runs.push(child('ours', path));
    }
    for (const r of runs) if (r.params !== params) throw new Error(`our reader found ${r.params} parameters, expected ${params}`);
    const ours = { seconds: median(runs.map((r) => r.seconds)), peak_rss_mb: median(runs.map((r) => r.peak_rss_mb)) };
    const metrics: Record<string, number> = {
      seconds: ours.seconds,
      best_seconds: Math.min(...runs.map((r) => r.seconds)),
      peak_rss_mb: ours.peak_rss_mb,
      file_mb: fileMb,
      rss_to_file: ours.peak_rss_mb / fileMb,
      baseline_rss_mb: baseline.peak_rss_mb,
      params,
    };
    const rows: Array<[string, string]> = [
      ['file', `${path}`],
      ['file size', `${fileMb.toFixed(1)} MiB, ${params.toLocaleString('en')} parameters`],
      [`our reader (median of ${RUNS})`, `${ours.seconds.toFixed(3)} s (best ${metrics.best_seconds.toFixed(3)} s), peak RSS ${ours.peak_rss_mb.toFixed(0)} MiB (${metrics.rss_to_file.toFixed(2)}x the file; target <= 1.3x)`],
      ['  a child doing nothing', `peak RSS ${baseline.peak_rss_mb.toFixed(0)} MiB`],
    ];
    if (!options.skipSlow) {
      log('protobufjs full decode (about 20 s and 3 GB) ...');
      const pb = child('protobufjs', path);
      if (pb.params !== params) throw new Error(`protobufjs found ${pb.params} parameters, expected ${params}`);
      Object.assign(metrics, {
        protobufjs_seconds: pb.seconds,
        protobufjs_peak_rss_mb: pb.peak_rss_mb,
        speedup: pb.seconds / ours.seconds,
        rss_saving: pb.peak_rss_mb / ours.peak_rss_mb,
      });
      rows.push(
        ['protobufjs decode', `${pb.seconds.toFixed(2)} s, peak RSS ${pb.peak_rss_mb.toFixed(0)} MiB (${(pb.peak_rss_mb / fileMb).toFixed(2)}x the file)`],
        ['ours vs protobufjs', `${metrics.speedup.toFixed(1)}x faster, ${metrics.rss_saving.toFixed(1)}x less memory`],
      );
    }
    return { metrics, rows };
  },
};

if (process.argv[2] === '--child' && process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  await childMain(process.argv[3], process.argv[4]);
}
