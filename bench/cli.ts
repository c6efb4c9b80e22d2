/**
 * The command line as a user meets it: `bin/portafilter.js` started directly (its shebang runs node),
 * timed from outside, wall time and peak RSS of that process.
 *
 *   cli_startup       `portafilter --help`, and `inspect` of the LeNet fixture with its caffemodel
 *   parse_vgg16_cli   `inspect --json` of a 553 MB (528 MiB) VGG16 caffemodel, beside our reader alone
 *                     (in-process, as parse_vgg16 times it) and beside Google's protobuf for Python
 *                     reading and parsing the same file (bench/python_protobuf_parse.py)
 *
 * Peak RSS comes from the child itself (process.resourceUsage at exit, injected with NODE_OPTIONS
 * --import so the bin runs unchanged). Medians of several runs after a warm-up; a command and its
 * yardstick run in turn, and their ratio is the median of the pairs' ratios.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import type { Benchmark, Log } from './types.js';
import { child, ensureModel } from './parse-vgg16.js';

const BIN = fileURLToPath(new URL('../bin/portafilter.js', import.meta.url));
const FIXTURES = process.env.PORTAFILTER_FIXTURES ?? fileURLToPath(new URL('../test/fixtures', import.meta.url));
const PYTHON = '/usr/bin/python3';
const PYTHON_PARSE = fileURLToPath(new URL('./python_protobuf_parse.py', import.meta.url));

/** Written to fd 3 as the child exits: its own peak RSS in kB. */
const RSS_HOOK = "--import=data:text/javascript,import{writeSync}from'node:fs';process.on('exit',()=>{try{writeSync(3,String(process.resourceUsage().maxRSS))}catch{}})";

interface Timing {
  seconds: number;
  peak_rss_mb: number;
}

/** One run of `command args` (a node script or the bin), its wall time and peak RSS. */
function timeNode(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timing {
  const t0 = performance.now();
  const r = spawnSync(command, args, {
    env: { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${RSS_HOOK}`.trim() },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (status ${r.status}): ${r.stderr?.toString().trim()}`);
  return { seconds, peak_rss_mb: Number(r.output[3]?.toString()) / 1024 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medianOf = (runs: Timing[]): Timing => ({ seconds: median(runs.map((r) => r.seconds)), peak_rss_mb: median(runs.map((r) => r.peak_rss_mb)) });
const ms = (s: number): string => `${(s * 1000).toFixed(0)} ms`;

function repeat(runs: number, log: Log, label: string, once: () => Timing): Timing[] {
  once(); // warm-up: the page cache and the built CLI (out/cli) are ready for every counted run
  const out: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    log(`  ${label}, run ${i + 1}/${runs}`);
    out.push(once());
  }
  return out;
}

export const cliStartup: Benchmark = {
  name: 'cli_startup',
  title: 'Starting the command line: portafilter --help, and inspect of LeNet (wall time, peak RSS)',
  async run(log) {
    const RUNS = 9;
    const lenet = [join(FIXTURES, 'models/lenet_mnist/deploy.prototxt'), join(FIXTURES, 'models/lenet_mnist/weights.caffemodel')];
    const node = medianOf(repeat(RUNS, log, 'node -e 0', () => timeNode(process.execPath, ['-e', '0'])));
    const help = medianOf(repeat(RUNS, log, 'portafilter --help', () => timeNode(BIN, ['--help'])));
    const inspect = medianOf(repeat(RUNS, log, 'portafilter inspect lenet', () => timeNode(BIN, ['inspect', ...lenet])));
    const metrics: Record<string, number | string> = {
      help_seconds: help.seconds,
      help_peak_rss_mb: help.peak_rss_mb,
      inspect_lenet_seconds: inspect.seconds,
      inspect_lenet_peak_rss_mb: inspect.peak_rss_mb,
      node_seconds: node.seconds,
      node_peak_rss_mb: node.peak_rss_mb,
    };
    const rows: Array<[string, string]> = [
      [`portafilter --help (median of ${RUNS})`, `${ms(help.seconds)}, peak RSS ${help.peak_rss_mb.toFixed(0)} MiB (target < 250 ms and 100 MB)`],
      ['portafilter inspect LeNet + caffemodel', `${ms(inspect.seconds)}, peak RSS ${inspect.peak_rss_mb.toFixed(0)} MiB`],
      ['node -e 0 (the floor)', `${ms(node.seconds)}, peak RSS ${node.peak_rss_mb.toFixed(0)} MiB`],
    ];
    if (process.env.NODE_EXTRA_CA_CERTS) {
      // Node reads and parses those certificates at every start, before any of our code runs.
      const { NODE_EXTRA_CA_CERTS: _, ...without } = process.env;
      const bare = medianOf(repeat(RUNS, log, 'node -e 0 without NODE_EXTRA_CA_CERTS', () => timeNode(process.execPath, ['-e', '0'], without)));
      metrics.node_without_extra_ca_seconds = bare.seconds;
      rows.push(['  node -e 0 without NODE_EXTRA_CA_CERTS', `${ms(bare.seconds)} (this machine sets NODE_EXTRA_CA_CERTS; every node start pays the difference)`]);
    }
    return { metrics, rows };
  },
};

/** Caffe's schema as a FileDescriptorSet, for the Python side (no protoc needed). */
function caffeDescriptorSet(dir: string): string {
  // The same proto/caffe.proto the reader uses.
  const parsed = protobuf.parse(readFileSync(fileURLToPath(new URL('../proto/caffe.proto', import.meta.url)), 'utf8'), new protobuf.Root(), { keepCase: true });
  parsed.root.resolveAll();
  const file = join(dir, 'caffe.descriptor-set.pb');
  writeFileSync(file, descriptor.FileDescriptorSet.encode((parsed.root as unknown as { toDescriptor(syntax: string): protobuf.Message }).toDescriptor('proto2')).finish());
  return file;
}

interface PythonParse extends Timing {
  params: number;
  protobuf: string;
}

function pythonParse(descriptorSet: string, file: string): PythonParse | string {
  const r = spawnSync(PYTHON, [PYTHON_PARSE, descriptorSet, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return (r.stderr || r.error?.message || '').trim().split('\n').at(-1) ?? 'failed';
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PythonParse;
}

export const parseVgg16Cli: Benchmark = {
  name: 'parse_vgg16_cli',
  title: 'portafilter inspect --json of a 553 MB VGG16 caffemodel, end to end, beside the reader alone and Python protobuf',
  async run(log) {
    const RUNS = 5;
    const { path, prototxt, bytes, params } = ensureModel(log);
    const fileMb = bytes / 2 ** 20;
    const dir = join(tmpdir(), 'portafilter-bench');
    mkdirSync(dir, { recursive: true });
    const descriptorSet = caffeDescriptorSet(dir);
    const inspect = (): Timing => timeNode(BIN, ['inspect', prototxt, path, '--json']);

    const probe = pythonParse(descriptorSet, path);
    const cli: Timing[] = [];
    const py: PythonParse[] = [];
    const ratios: number[] = [];
    inspect();
    for (let i = 0; i < RUNS; i++) {
      log(`  inspect --json${typeof probe === 'string' ? '' : ' and the Python parse'}, run ${i + 1}/${RUNS}`);
      cli.push(inspect());
      if (typeof probe !== 'string') {
        const p = pythonParse(descriptorSet, path);
        if (typeof p === 'string') throw new Error(`the Python parse failed: ${p}`);
        if (p.params !== params) throw new Error(`Python protobuf found ${p.params} parameters, expected ${params}`);
        py.push(p);
        ratios.push(cli[i].seconds / p.seconds);
      }
    }
    const readers = repeat(RUNS, log, 'our reader alone', () => child('ours', path));
    const ours = medianOf(cli);
    const reader = medianOf(readers);
    const metrics: Record<string, number | string> = {
      file_mb: fileMb,
      params,
      inspect_json_seconds: ours.seconds,
      inspect_json_peak_rss_mb: ours.peak_rss_mb,
      inspect_rss_to_file: ours.peak_rss_mb / fileMb,
      reader_seconds: reader.seconds,
      reader_peak_rss_mb: reader.peak_rss_mb,
    };
    const rows: Array<[string, string]> = [
      ['file', `${path} (${fileMb.toFixed(0)} MiB = ${(bytes / 1e6).toFixed(0)} MB, ${params.toLocaleString('en')} parameters)`],
      [`portafilter inspect --json (median of ${RUNS})`, `${ours.seconds.toFixed(3)} s end to end, peak RSS ${ours.peak_rss_mb.toFixed(0)} MiB (${(ours.peak_rss_mb / fileMb).toFixed(2)}x the file; target <= 1.3x)`],
      ['our reader alone, in-process', `${reader.seconds.toFixed(3)} s, peak RSS ${reader.peak_rss_mb.toFixed(0)} MiB`],
    ];
    if (typeof probe === 'string') {
      metrics.python = `not measured: ${probe}`;
      rows.push(['Python protobuf', `not measured (${probe}); Debian: apt-get install -y python3-protobuf`]);
    } else {
      const p = medianOf(py);
      Object.assign(metrics, {
        python_protobuf: py[0].protobuf,
        python_parse_seconds: p.seconds,
        python_peak_rss_mb: p.peak_rss_mb,
        inspect_to_python: median(ratios),
      });
      rows.push(
        [`Python protobuf ${py[0].protobuf}, read + parse`, `${p.seconds.toFixed(3)} s, peak RSS ${p.peak_rss_mb.toFixed(0)} MiB`],
        ['inspect --json / Python read + parse', `${median(ratios).toFixed(2)}x (median of the ${RUNS} pairs; target <= 1.0x)`],
      );
    }
    return { metrics, rows };
  },
};
