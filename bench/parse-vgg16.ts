/**
 * parse_vgg16: reading a VGG16-sized caffemodel (138 M float parameters, ≈ 528 MiB) with our reader
 * versus a full protobufjs decode. Each measurement runs in a fresh child process so peak RSS
 * (process.resourceUsage().maxRSS) belongs to that reader alone.
 *
 * The model is synthetic: VGG16's 13 conv + 3 fc layer names and blob shapes (plus its ReLU, pooling,
 * dropout and softmax layers), V2 format, seeded random weights. It is written once into
 * os.tmpdir()/portafilter-bench/ and reused while its size matches.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, Log } from './index.js';
import { Bytes, FileWriter, varintSize } from './protobuf-writer.js';

interface LayerSpec {
  name: string;
  type: string;
  bottom: string;
  top: string;
  /** Convolution/InnerProduct: [weights shape, bias shape] */
  blobs: number[][];
  param?: Uint8Array;
}

/** VGG16 (Simonyan & Zisserman, configuration D) as in VGG_ILSVRC_16_layers_deploy.prototxt. */
function vgg16(): LayerSpec[] {
  const layers: LayerSpec[] = [];
  let blob = 'data';
  let channels = 3;
  const convParam = (n: number) => new Bytes().bytes(106, new Bytes().uint(1, n).packed(3, [1]).packed(4, [3]).finish()).finish();
  const blocks = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];
  blocks.forEach((block, b) => {
    block.forEach((n, i) => {
      const name = `conv${b + 1}_${i + 1}`;
      layers.push({ name, type: 'Convolution', bottom: blob, top: name, blobs: [[n, channels, 3, 3], [n]], param: convParam(n) });
      layers.push({ name: `relu${b + 1}_${i + 1}`, type: 'ReLU', bottom: name, top: name, blobs: [] });
      blob = name;
      channels = n;
    });
    const pool = `pool${b + 1}`;
    const poolParam = new Bytes().bytes(121, new Bytes().uint(1, 0).uint(2, 2).uint(3, 2).finish()).finish();
    layers.push({ name: pool, type: 'Pooling', bottom: blob, top: pool, blobs: [], param: poolParam });
    blob = pool;
  });
  let inputs = 512 * 7 * 7;
  for (const [i, n] of [[6, 4096], [7, 4096], [8, 1000]]) {
    const name = `fc${i}`;
    layers.push({ name, type: 'InnerProduct', bottom: blob, top: name, blobs: [[n, inputs], [n]], param: new Bytes().bytes(117, new Bytes().uint(1, n).finish()).finish() });
    blob = name;
    inputs = n;
    if (i < 8) {
      layers.push({ name: `relu${i}`, type: 'ReLU', bottom: name, top: name, blobs: [] });
      layers.push({ name: `drop${i}`, type: 'Dropout', bottom: name, top: name, blobs: [] });
    }
  }
  layers.push({ name: 'prob', type: 'Softmax', bottom: blob, top: 'prob', blobs: [] });
  return layers;
}

const count = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** The BlobProto bytes before its data: shape (field 7) and the data tag + length (field 5, packed). */
function blobHead(shape: number[]): Uint8Array {
  return new Bytes().bytes(7, new Bytes().packed(1, shape).finish()).tag(5, 2).varint(count(shape) * 4).finish();
}
const blobSize = (shape: number[]) => blobHead(shape).length + count(shape) * 4;

function layerHead(l: LayerSpec): Uint8Array {
  const b = new Bytes().string(1, l.name).string(2, l.type).string(3, l.bottom).string(4, l.top).finish();
  return l.param ? Uint8Array.from([...b, ...l.param]) : b;
}
const layerSize = (l: LayerSpec) => layerHead(l).length + l.blobs.reduce((n, s) => n + 1 + varintSize(blobSize(s)) + blobSize(s), 0);

/** Expected size of the whole file, to decide whether a cached copy is complete. */
function fileSize(layers: LayerSpec[], header: Uint8Array): number {
  return header.length + layers.reduce((n, l) => n + 2 + varintSize(layerSize(l)) + layerSize(l), 0);
}

/** Writes the synthetic model (into a temp name, renamed when complete). Random floats in ±0.05 from xorshift32. */
function writeModel(path: string, layers: LayerSpec[], header: Uint8Array, log: Log): void {
  const tmp = `${path}.${process.pid}.partial`;
  const out = new FileWriter(tmp);
  out.write(header);
  let state = 0x9e3779b9;
  const chunk = new Float32Array(1 << 20);
  const bits = new Uint32Array(chunk.length);
  for (const l of layers) {
    out.tag(100, 2);
    out.varint(layerSize(l));
    out.write(layerHead(l));
    for (const shape of l.blobs) {
      out.tag(7, 2);
      out.varint(blobSize(shape));
      out.write(blobHead(shape));
      for (let left = count(shape); left > 0; ) {
        const n = Math.min(left, chunk.length);
        for (let i = 0; i < n; i++) {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          bits[i] = state >>> 0;
        }
        for (let i = 0; i < n; i++) chunk[i] = (bits[i] / 4294967296 - 0.5) * 0.1;
        out.write(new Uint8Array(chunk.buffer, 0, n * 4));
        left -= n;
      }
    }
    if (l.blobs.length > 0) log(`  wrote ${l.name} (${(out.written / 2 ** 20).toFixed(0)} MiB so far)`);
  }
  out.close();
  renameSync(tmp, path);
}

export function ensureModel(log: Log): { path: string; bytes: number; params: number } {
  const layers = vgg16();
  const header = new Bytes().string(1, 'VGG_ILSVRC_16_layers (synthetic)').finish();
  const dir = join(tmpdir(), 'portafilter-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'vgg16-synthetic-v2.caffemodel');
  const bytes = fileSize(layers, header);
  const params = layers.reduce((n, l) => n + l.blobs.reduce((m, s) => m + count(s), 0), 0);
  if (!existsSync(path) || statSync(path).size !== bytes) {
    log(`writing ${path} (${(bytes / 2 ** 20).toFixed(0)} MiB, ${params.toLocaleString('en')} parameters) ...`);
    writeModel(path, layers, header, log);
  }
  return { path, bytes, params };
}

// ---------------------------------------------------------------------------------------------------
// Child processes

interface ChildResult {
  seconds: number;
  peak_rss_mb: number;
  params: number;
}

const here = fileURLToPath(import.meta.url);

function child(mode: 'ours' | 'protobufjs' | 'baseline', file: string): ChildResult {
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
