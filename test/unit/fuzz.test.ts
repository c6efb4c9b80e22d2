/**
 * Seeded, time-bounded fuzzing of every reader and of the command line's options (issue 8).
 *
 * Readers: each case is one seeded mutation of a real fixture (bit flips, edge bytes, insertions,
 * deletions, a duplicated chunk, a splice with another file, a truncation, another kind of file
 * altogether), or a folder, a FIFO, a /proc file, /dev/null, a missing or an empty file in its place,
 * fed to a reader's public entry point (test/helpers/fuzz-readers.ts). The cases run in a worker
 * thread that says when each starts and ends; the watchdog here fails a case that runs past
 * CASE_TIMEOUT_MS, ends the worker and carries on in a new one. Every case must either succeed or
 * throw a PortafilterError naming the input file and, where the format has places, the place; a cut
 * that the independent oracles (test/helpers/fuzz-mutations.ts) say cannot be complete must fail.
 *
 * Command line: seeded mutations of valid `inspect`, `run`, `diff`, `convert` command lines on LeNet,
 * each spawned with a timeout. Exit 0 or 1 only; a failure is one `portafilter: error:` line and no
 * stack trace; a convert that says it wrote the model wrote it and left nothing hidden beside it.
 *
 * PORTAFILTER_FUZZ_SEED changes the base seed, PORTAFILTER_FUZZ_SCALE multiplies the case counts,
 * PORTAFILTER_FUZZ_ONLY=reader:seed[:special] or cli:seed replays the one case a failure names.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/main/caffe/npy.js';
import { fixture } from '../helpers/fixtures.js';
import { READERS, SPECIALS, type FuzzCase, type Observation, type ReaderName, type Special, type Specials } from '../helpers/fuzz-readers.js';
import type { FromWorker, ToWorker } from '../helpers/fuzz-worker.js';
import { hashString, mulberry32 } from '../helpers/prng.js';

const MKFIFO = '/usr/bin/mkfifo';
const SEED = Number(process.env.PORTAFILTER_FUZZ_SEED ?? 0xf022_0008) >>> 0;
const SCALE = Number(process.env.PORTAFILTER_FUZZ_SCALE ?? 1);
const ONLY = process.env.PORTAFILTER_FUZZ_ONLY;

/** Seeded mutations per reader (the special paths come on top: one case per reader and kind). */
const CASES: Record<ReaderName, number> = {
  prototxt: 1000,
  'net+weights': 800,
  caffemodel: 600,
  binaryproto: 300,
  mean: 300,
  npy: 500,
  'npy-folder': 300,
  image: 400,
  'input-npy': 200,
  labels: 100,
};
const CLI_CASES = 60;
/** A case that runs longer than this hangs: no reader needs a second on these files. */
const CASE_TIMEOUT_MS = 10_000;
/** The reader cases stop starting after this (the suite must stay well under its 15 minutes). */
const READER_BUDGET_MS = 90_000;
const SPAWN_TIMEOUT_MS = 30_000;
const CLI_BUDGET_MS = 90_000;
const CLI_PARALLEL = 2;

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/portafilter.js');
const work = mkdtempSync(join(tmpdir(), 'portafilter-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function makeFifo(path: string): string {
  const made = spawnSync(MKFIFO, [path], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.stderr}`);
  return path;
}

function specialPaths(dir: string): Specials {
  mkdirSync(join(dir, 'a-folder'), { recursive: true });
  writeFileSync(join(dir, 'empty'), '');
  return {
    folder: join(dir, 'a-folder'),
    fifo: makeFifo(join(dir, 'a-fifo')),
    proc: '/proc/self/status',
    devnull: '/dev/null',
    missing: join(dir, 'no-such-file'),
    empty: join(dir, 'empty'),
  };
}

// ---------------------------------------------------------------------------------------------------
// Reader cases

function readerCases(): FuzzCase[] {
  if (ONLY && !ONLY.startsWith('cli:')) {
    const [reader, seed, special] = ONLY.split(':');
    if (!(READERS as readonly string[]).includes(reader)) throw new Error(`PORTAFILTER_FUZZ_ONLY: no reader '${reader}' (${READERS.join(', ')})`);
    return [{ id: `${reader} replay`, reader: reader as ReaderName, seed: Number(seed) >>> 0, special: special as Special | undefined }];
  }
  if (ONLY) return [];
  const perReader = READERS.map((reader) => {
    const random = mulberry32(SEED ^ hashString(reader));
    const seed = (): number => Math.floor(random() * 2 ** 32);
    const cases: FuzzCase[] = SPECIALS.map((special) => ({ id: `${reader} ${special}`, reader, seed: seed(), special }));
    for (let n = 0; n < Math.round(CASES[reader] * SCALE); n++) cases.push({ id: `${reader} #${n}`, reader, seed: seed() });
    return cases;
  });
  // Round robin, so that a run cut short by its time budget still covers every reader.
  const out: FuzzCase[] = [];
  for (let k = 0; out.length < perReader.flat().length; k++) for (const cases of perReader) if (k < cases.length) out.push(cases[k]);
  return out;
}

const replay = (c: FuzzCase): string => `PORTAFILTER_FUZZ_ONLY=${c.reader}:${hex(c.seed)}${c.special ? `:${c.special}` : ''}`;

/** The worker, its TypeScript entry loaded through tsx as src/main/service/worker-client.ts does for tests. */
function startWorker(workDir: string, specials: Specials): Worker {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  const api = pathToFileURL(join(dirname(manifest), exported.import.default)).href;
  const entry = new URL('../helpers/fuzz-worker.ts', import.meta.url).href;
  const worker = new Worker(`import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}));`, {
    eval: true,
    workerData: { workDir, specials },
    stdout: true, // a reader's stray console output is not the test's: read and dropped
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  return worker;
}

interface ReaderRun {
  observations: Observation[];
  /** hangs, crashes, and faults of the fuzz itself, by case */
  failures: string[];
  started: number;
}

/**
 * Runs the cases in a worker under a watchdog: a case that does not end within CASE_TIMEOUT_MS, or
 * that takes the worker down, is a failure naming it; the worker is then ended and a fresh one takes
 * the rest. No case starts after the budget.
 */
async function runReaders(cases: FuzzCase[], workDir: string, specials: Specials): Promise<ReaderRun> {
  const run: ReaderRun = { observations: [], failures: [], started: 0 };
  const deadline = performance.now() + READER_BUDGET_MS;
  let next = 0;
  while (next < cases.length && performance.now() < deadline) {
    const worker = startWorker(workDir, specials);
    next = await new Promise<number>((resolve) => {
      let current: { index: number; since: number } | undefined;
      let resume = next;
      let ready = false;
      let finished = false;
      const finish = (from: number, why?: string) => {
        if (finished) return;
        finished = true;
        clearInterval(watchdog);
        if (why) run.failures.push(why);
        void worker.terminate();
        resolve(from);
      };
      const readyBy = performance.now() + 120_000;
      const watchdog = setInterval(() => {
        const now = performance.now();
        if (current && now - current.since > CASE_TIMEOUT_MS) {
          const c = cases[current.index];
          finish(current.index + 1, `${c.id} (${replay(c)}): no end after ${CASE_TIMEOUT_MS / 1000} s: the reader hangs (the worker was ended)`);
        } else if (!ready && now > readyBy) finish(cases.length, 'the fuzz worker did not start within 120 s');
        else if (!current && now > deadline) finish(cases.length);
      }, 100);
      worker.on('message', (m: FromWorker) => {
        // An ended worker may still have a message on its way: its cases are the next worker's now.
        if (finished) return;
        if (m.type === 'ready') {
          ready = true;
          worker.postMessage({ type: 'run', cases: cases.slice(next).map((c, k) => ({ index: next + k, case: c })) } satisfies ToWorker);
        } else if (m.type === 'start') {
          current = { index: m.index, since: performance.now() };
          run.started++;
        } else if (m.type === 'end' || m.type === 'harness') {
          if (m.type === 'end') run.observations.push(m.obs);
          else run.failures.push(`${cases[m.index].id} (${replay(cases[m.index])}): the fuzz could not build the case: ${m.message}`);
          current = undefined;
          resume = m.index + 1;
          // The budget is checked between cases: the worker is ended rather than told, it holds nothing.
          if (performance.now() > deadline) finish(cases.length);
        } else if (m.type === 'done') finish(cases.length);
      });
      worker.on('error', (e) => {
        const c = current ? cases[current.index] : undefined;
        finish(current ? current.index + 1 : cases.length, `${c ? `${c.id} (${replay(c)})` : 'the fuzz worker, before any case'}: the worker died: ${e.stack ?? e.message}`);
      });
      worker.on('exit', (code) => {
        const c = current ? cases[current.index] : undefined;
        // A worker that dies before it is ready would die again: the run stops there.
        finish(current ? current.index + 1 : ready ? resume : cases.length, finished ? undefined : `${c ? `${c.id} (${replay(c)})` : 'the fuzz worker'}: the worker exited (code ${code})`);
      });
    });
  }
  return run;
}

const hasPlace = (o: Observation & { outcome: { ok: false } }): boolean => {
  const { location: l = {}, layerLines } = o.outcome.error;
  return (
    (l.line !== undefined && l.line >= 1) ||
    (l.offset !== undefined && l.offset >= 0) ||
    (l.layer !== undefined && l.layer !== '') ||
    (l.field !== undefined && l.field !== '') ||
    (layerLines !== undefined && layerLines.length > 0 && layerLines.every((n) => n !== undefined && n >= 1))
  );
};

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What is wrong with one observed case; nothing when it behaved. */
function judge(o: Observation): string[] {
  const problems: string[] = [];
  if (!o.outcome.ok) {
    const e = o.outcome.error;
    if (!e.typed) return [`threw ${e.name}, not a PortafilterError: ${e.message}\n      ${(e.stack ?? '').split('\n').slice(1, 4).join('\n      ')}`];
    const file = e.location?.file;
    const named = file !== undefined && (o.inputs.includes(file) || (o.folder !== undefined && dirname(file) === o.folder));
    if (!named) problems.push(`${e.name} names ${file === undefined ? 'no file' : `the file ${file}`}, not the input (${o.inputs.join(' or ')}): ${e.message}`);
    const placed = o.place !== 'none' && !(o.wholeFile && !e.location?.line);
    if (placed && !hasPlace(o as Observation & { outcome: { ok: false } }))
      problems.push(`${e.name} gives no place in the file (a line, a byte offset, a layer or a field): ${e.message}`);
    // A prototxt's syntax errors have a line:column, since the text has one everywhere.
    if (placed && e.name === 'CaffeParseError' && file?.endsWith('.prototxt') && e.location?.line === undefined)
      problems.push(`CaffeParseError without a line: ${e.message}`);
    if (o.mustLoad) problems.push(`refused an input that is complete (${o.mustLoad}): ${e.message}`);
    return problems;
  }
  if (o.mustFail) problems.push(`succeeded on an input that cannot be complete: ${o.mustFail}`);
  if (o.layersExpected && o.layersGot && o.layersGot.join('\n') !== o.layersExpected.join('\n'))
    problems.push(`read layers [${o.layersGot.join(', ')}] where protobufjs reads [${o.layersExpected.join(', ')}]`);
  if (o.weights) {
    const { missing, kept, got, notes } = o.weights;
    for (const l of kept) if (!got.includes(l)) problems.push(`the caffemodel still holds layer '${l}' but its weights were not loaded`);
    for (const l of missing) {
      if (got.includes(l)) problems.push(`layer '${l}' has weights although the cut caffemodel no longer holds it`);
      const said = notes.some((n) => /no weights/.test(n) && new RegExp(`[:,]\\s${escape(l)}(,|\\s\\(|$)`).test(n));
      if (!said) problems.push(`the cut caffemodel lacks layer '${l}', and no note says it has no weights (notes: ${JSON.stringify(notes)})`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Command-line cases

const lenet = {
  prototxt: fixture('models/lenet_mnist/deploy.prototxt'),
  caffemodel: fixture('models/lenet_mnist/weights.caffemodel'),
  png: fixture('models/lenet_mnist/digit_7.png'),
  npy: fixture('models/lenet_mnist/digit_3.npy'),
  dumps: fixture('models/lenet_mnist/expected/digit_3'),
};

interface CliCase {
  id: string;
  seed: number;
  args: string[];
  what: string[];
}

/** Values a number option does not take: empty, non-decimal, non-finite, spaced, out of range. */
const BAD_VALUES = ['', ' ', '0x10', '1e999', 'NaN', 'Infinity', '-Infinity', ' 1', '1 ', '-1', '0', '99999999999999999999', '1.5', '+1', '1,2', '--json', '0b1', 'é'];
const SHAPES = [
  'data=1,1,99999,99999',
  'data=2147483647,1,28,28',
  'data=100000,1,28,28',
  'data=1,1,28',
  'data=1,1,28,28,1',
  'data=0,1,28,28',
  'data=-1,1,28,28',
  'data=1,1,2147483648,1',
  'data=1,1,0x1c,28',
  'data=',
  '=1,1,28,28',
  'nodata=1,1,28,28',
  'data=1x1x28x28',
  'data=1,3,28,28',
  'data=2,1,28,28',
];
const UNKNOWN = ['--bogus', '-z', '--inputs', '--input-shapes', '---json', '--JSON', '--no-json'];
const VALUED = new Set(['--input', '--mean', '--mean-values', '--scale', '--raw-scale', '--engine', '--ordering', '--input-shape', '--top', '--labels', '--dump', '--against', '--naming', '--format', '--out']);
const PATH_OPTIONS = new Set(['--input', '--mean', '--labels', '--dump', '--against', '--out']);
const OUTPUT_OPTIONS = new Set(['--out', '--dump']);

interface CliPaths {
  labels: string;
  mean: string;
  specials: Specials;
}

/** One seeded command line: a valid one on LeNet, then one or two mutations of it. */
function cliCase(n: number, seed: number, caseDir: string, paths: CliPaths): CliCase {
  const random = mulberry32(seed);
  const int = (k: number): number => Math.floor(random() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const maybe = (p: number, ...xs: string[]): string[] => (random() < p ? xs : []);
  const command = pick(['inspect', 'run', 'diff', 'convert'] as const);
  const positional = [lenet.prototxt, lenet.caffemodel];
  let options: string[];
  switch (command) {
    case 'inspect':
      if (random() < 0.4) positional.pop();
      options = [...maybe(0.5, '--json'), ...maybe(0.3, '--input-shape', 'data=1,1,28,28')];
      break;
    case 'run':
      options = [
        '--input', random() < 0.7 ? lenet.png : lenet.npy,
        '--scale', '0.00390625',
        '--engine', pick(['reference', 'onnxruntime', 'cpu', 'auto']),
        ...maybe(0.3, '--top', '3'),
        ...maybe(0.3, '--labels', paths.labels),
        ...maybe(0.2, '--mean-values', '0'),
        ...maybe(0.2, '--mean', paths.mean),
        ...maybe(0.2, '--raw-scale', '255'),
        ...maybe(0.3, '--json'),
        ...maybe(0.2, '--dump', join(caseDir, 'dump')),
        ...maybe(0.2, '--ordering', 'channels_first'),
      ];
      if (options.includes('--mean') && options.includes('--mean-values')) options.splice(options.indexOf('--mean'), 2);
      break;
    case 'diff':
      options = [
        '--input', lenet.npy,
        '--engine', pick(['cpu', 'reference', 'onnxruntime']),
        ...maybe(0.4, '--against', random() < 0.5 ? lenet.dumps : 'reference'),
        ...maybe(0.2, '--naming', pick(['auto', 'layers', 'blobs'])),
        ...maybe(0.3, '--json'),
      ];
      break;
    case 'convert': {
      const format = pick(['npy', 'onnx', 'keras', 'h5', 'tfjs'] as const);
      const out = join(caseDir, { npy: 'weights', onnx: 'model.onnx', keras: 'model.keras', h5: 'model.h5', tfjs: 'tfjs' }[format]);
      options = [
        '--format', format,
        '--out', out,
        ...maybe(0.2, '--ordering', 'channels_first'),
        ...maybe(0.2, '--force'),
        ...maybe(0.3, '--json'),
        ...(format === 'npy' ? maybe(0.3, '--mean', paths.mean) : []),
      ];
      if (options.includes('channels_first') && random() < 0.5) options.push('--flip-kernels');
      break;
    }
  }
  const what: string[] = [];
  const valueAt = (): number | undefined => {
    const at = options.flatMap((o, i) => (VALUED.has(o) && i + 1 < options.length ? [i + 1] : []));
    return at.length > 0 ? pick(at) : undefined;
  };
  const specialPath = (): string => {
    const kind = pick(['folder', 'fifo', 'proc', 'cpuinfo', 'devnull', 'missing', 'empty', 'png', 'prototxt', 'caffemodel'] as const);
    return kind === 'cpuinfo' ? '/proc/cpuinfo' : kind === 'png' ? lenet.png : kind === 'prototxt' ? lenet.prototxt : kind === 'caffemodel' ? lenet.caffemodel : paths.specials[kind];
  };
  // Made in the case's own folder, so that no two cases running at once write beside each other.
  const outputPath = (): string => {
    const kind = pick(['proc-new', 'proc-file', 'existing', 'busy', 'fifo', 'devnull', 'no-parent', 'under-a-file', 'empty-folder'] as const);
    switch (kind) {
      case 'proc-new':
        return '/proc/fuzz.onnx';
      case 'proc-file':
        return '/proc/self/status';
      case 'devnull':
        return '/dev/null';
      case 'existing':
        writeFileSync(join(caseDir, 'existing.onnx'), 'not a model');
        return join(caseDir, 'existing.onnx');
      case 'busy':
        mkdirSync(join(caseDir, 'busy'));
        writeFileSync(join(caseDir, 'busy', 'notes.txt'), 'mine');
        return join(caseDir, 'busy');
      case 'fifo':
        return makeFifo(join(caseDir, 'a-fifo'));
      case 'no-parent':
        return join(caseDir, 'no/parent/model.onnx');
      case 'under-a-file':
        return join(paths.labels, 'child');
      case 'empty-folder':
        mkdirSync(join(caseDir, 'empty-folder'));
        return join(caseDir, 'empty-folder');
    }
  };
  // Weighted so that most command lines get past commander to the readers and writers.
  const KINDS = [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 5, 5, 6, 6, 6, 7, 8];
  for (let k = random() < 0.7 ? 1 : 2; k > 0; k--) {
    switch (pick(KINDS)) {
      case 0: {
        const at = valueAt();
        if (at === undefined) break;
        const value = pick(BAD_VALUES);
        what.push(`${options[at - 1]} ${JSON.stringify(options[at])} -> ${JSON.stringify(value)}`);
        options[at] = value;
        break;
      }
      case 1: {
        const shape = pick(SHAPES);
        const at = options.indexOf('--input-shape');
        if (at >= 0) options[at + 1] = shape;
        else options.push('--input-shape', shape);
        what.push(`--input-shape ${shape}`);
        break;
      }
      case 2: {
        const at = valueAt();
        if (at === undefined) break;
        const again = [options[at - 1], OUTPUT_OPTIONS.has(options[at - 1]) ? join(caseDir, `again-${basenameOf(options[at])}`) : options[at]];
        options.push(...again);
        what.push(`${again[0]} given twice`);
        break;
      }
      case 3: {
        const u = pick(UNKNOWN);
        options.push(...(u === '--inputs' ? [u, lenet.png] : [u]));
        what.push(`unknown option ${u}`);
        break;
      }
      case 4:
        if (positional.length === 2) {
          positional.reverse();
          what.push('prototxt and caffemodel swapped');
        }
        break;
      case 5: {
        const pathSlots = [
          ...positional.map((_, i) => ({ kind: 'positional' as const, i })),
          ...options.flatMap((o, i) => (PATH_OPTIONS.has(o) && !OUTPUT_OPTIONS.has(o) && options[i + 1] !== 'reference' && i + 1 < options.length ? [{ kind: 'option' as const, i: i + 1 }] : [])),
        ];
        const slot = pick(pathSlots);
        const p = specialPath();
        if (slot.kind === 'positional') positional[slot.i] = p;
        else options[slot.i] = p;
        what.push(`${slot.kind === 'positional' ? `argument ${slot.i + 1}` : options[slot.i - 1]} -> ${p}`);
        break;
      }
      case 6: {
        const at = options.findIndex((o) => OUTPUT_OPTIONS.has(o));
        const p = outputPath();
        if (at >= 0) options[at + 1] = p;
        else if (command === 'run') options.push('--dump', p);
        else break;
        what.push(`${options[at >= 0 ? at : options.length - 2]} -> ${p}`);
        break;
      }
      case 7: {
        if (random() < 0.5 && positional.length > 0) {
          what.push(`argument ${positional.length} dropped`);
          positional.pop();
        } else {
          const flags = options.flatMap((o, i) => (o.startsWith('-') ? [i] : []));
          if (flags.length === 0) break;
          const at = pick(flags);
          const n = VALUED.has(options[at]) ? 2 : 1;
          what.push(`${options[at]} dropped`);
          options.splice(at, n);
        }
        break;
      }
      case 8:
        positional.push(pick([lenet.png, lenet.npy, lenet.prototxt]));
        what.push('an extra argument');
    }
  }
  return { id: `cli #${n}`, seed, args: [command, ...positional, ...options], what };
}

const basenameOf = (p: string): string => p.split('/').pop() || 'x';

interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string): Promise<Spawned> {
  return new Promise((resolve) => {
    // PORTAFILTER_DEBUG makes the CLI print the stack of an error that is not a PortafilterError, which
    // the one-line rule then catches: without it a TypeError would pass for a clean one-line error.
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, PORTAFILTER_DEBUG: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, SPAWN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

/** The last value given to an option (commander keeps the last of a repeated one). */
const lastValue = (args: string[], option: string): string | undefined => {
  const at = args.lastIndexOf(option);
  return at >= 0 ? args[at + 1] : undefined;
};

function judgeCli(c: CliCase, r: Spawned, cwd: string): string[] {
  if (r.timedOut) return [`no exit within ${SPAWN_TIMEOUT_MS / 1000} s (killed)`];
  if (r.signal) return [`ended by ${r.signal}`];
  if (r.code !== 0 && r.code !== 1) return [`exit code ${r.code}`];
  const problems: string[] = [];
  const lines = r.stderr.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
  if (lines.some((l) => /^\s+at\s/.test(l)) || lines.some((l) => /^\w*Error\b/.test(l))) problems.push('a stack trace on stderr');
  const errors = lines.filter((l) => l.startsWith('portafilter: error: '));
  if (r.code === 1) {
    const diverged = c.args[0] === 'diff' && r.stderr === '' && /first divergence|nothing was compared|"ok":false/.test(r.stdout);
    if (!diverged) {
      if (errors.length !== 1) problems.push(`exit 1 with ${errors.length} 'portafilter: error:' lines`);
      else {
        const at = lines.indexOf(errors[0]);
        // Before the error: only convert's progress lines. After it: only commander's usage help.
        const before = lines.slice(0, at).filter((l) => !(c.args[0] === 'convert' && l.endsWith('…')));
        const after = lines.slice(at + 1);
        // commander may suggest the option meant, on the line after its own: still one error, said once.
        if (/^\(Did you mean .*\?\)$/.test(after[0] ?? '')) after.shift();
        const usage = after.length === 0 || (after[0] === '' && after[1]?.startsWith('Usage: portafilter '));
        if (before.length > 0) problems.push(`stderr has other lines before the error: ${JSON.stringify(before)}`);
        if (!usage) problems.push(`stderr goes on after the error line: ${JSON.stringify(after.slice(0, 3))}`);
        if (errors[0].trim() === 'portafilter: error:') problems.push('the error line says nothing');
      }
    }
  } else if (errors.length > 0) problems.push(`exit 0 with an error line: ${errors[0]}`);
  const given = lastValue(c.args, '--out');
  if (c.args[0] === 'convert' && given !== undefined && !given.startsWith('-')) {
    const out = resolve(cwd, given);
    if (r.code === 0 && !existsSync(out)) problems.push(`exit 0 but nothing at --out ${out}`);
    // A finished export moved its staging folder and lock away; a failed one removed them (README).
    let beside: string[] = [];
    try {
      beside = readdirSync(dirname(out)).filter((f) => f.startsWith('.portafilter-'));
    } catch {
      // no folder there to leave anything in
    }
    if (beside.length > 0) problems.push(`exit ${r.code}, and left ${beside.join(', ')} beside ${out}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------

describe('fuzzing every reader and the command line', () => {
  let specials: Specials;
  beforeAll(() => {
    specials = specialPaths(join(work, 'specials'));
  });

  it('each reader, on seeded mutations of the real fixtures, succeeds or throws a typed error naming the file and the place, never hangs, and never accepts a cut file', async () => {
    const cases = readerCases();
    if (cases.length === 0) return;
    const readerWork = join(work, 'readers');
    mkdirSync(readerWork);
    const run = await runReaders(cases, readerWork, specials);
    const failures = [...run.failures];
    for (const o of run.observations) {
      const problems = judge(o);
      if (problems.length > 0) {
        const c = cases.find((x) => x.id === o.id)!;
        failures.push(`${o.id} (${replay(c)}): ${o.what}\n    ${problems.join('\n    ')}`);
      }
    }
    const ran = new Set(run.observations.map((o) => o.reader));
    if (process.env.PORTAFILTER_FUZZ_VERBOSE) {
      const tally: Record<string, Record<string, number>> = {};
      for (const o of run.observations) {
        const t = (tally[o.reader] ??= {});
        const key = o.outcome.ok ? 'ok' : o.outcome.error.name;
        t[key] = (t[key] ?? 0) + 1;
        for (const k of ['mustFail', 'mustLoad', 'wholeFile'] as const) if (o[k]) t[k] = (t[k] ?? 0) + 1;
        if (o.weights?.missing.length) t.missingWeights = (t.missingWeights ?? 0) + 1;
      }
      const slowest = [...run.observations].sort((a, b) => b.ms - a.ms).slice(0, 3).map((o) => `${o.id} ${o.ms.toFixed(0)} ms`);
      console.log(JSON.stringify({ started: run.started, tally, slowest }, null, 1));
    }
    expect(failures.join('\n'), `${failures.length} failing reader case(s) of ${run.started} (base seed ${hex(SEED)})`).toBe('');
    // A budget that cut the run short must still have run most of it, and every reader.
    expect(run.started, 'reader cases started within the time budget').toBeGreaterThanOrEqual(Math.min(cases.length, Math.ceil(cases.length / 2)));
    if (!ONLY) expect([...ran].sort()).toEqual([...READERS].sort());
    // The mutations must reach both outcomes, and the oracles must have had cuts to judge, both ways.
    if (!ONLY) {
      const n = run.observations.length;
      const count = (keep: (o: Observation) => unknown): number => run.observations.filter(keep).length;
      expect(count((o) => o.outcome.ok), 'cases that load').toBeGreaterThan(0.05 * n);
      expect(count((o) => !o.outcome.ok), 'cases refused').toBeGreaterThan(0.5 * n);
      expect(count((o) => o.mustFail && !o.what.includes(' in place of ')), 'cuts the oracles say must fail').toBeGreaterThan(0.05 * n);
      expect(count((o) => o.mustLoad), 'cuts the oracles say must load').toBeGreaterThan(0.002 * n);
      expect(count((o) => o.weights && o.weights.missing.length > 0), 'nets loaded with a cut caffemodel').toBeGreaterThan(0.002 * n);
    }
  }, READER_BUDGET_MS + 4 * CASE_TIMEOUT_MS + 150_000);

  it('the CLI, on seeded mutations of valid inspect, run, diff and convert command lines, exits 0 or 1 with one clear error line', async () => {
    if (ONLY && !ONLY.startsWith('cli:')) return;
    const cliWork = join(work, 'cli');
    mkdirSync(cliWork);
    const paths: CliPaths = { labels: join(cliWork, 'digits.txt'), mean: join(cliWork, 'mean.npy'), specials };
    writeFileSync(paths.labels, '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
    writeNpy(paths.mean, [1, 28, 28], new Float32Array(28 * 28));
    // The first run may build out/cli from changed sources; it must not count against a case's timeout.
    expect(spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', timeout: 300_000 }).status).toBe(0);

    const random = mulberry32(SEED ^ hashString('cli'));
    const seeds = ONLY ? [Number(ONLY.split(':')[1]) >>> 0] : Array.from({ length: Math.round(CLI_CASES * SCALE) }, () => Math.floor(random() * 2 ** 32));
    const cases = seeds.map((seed, n) => {
      const dir = join(cliWork, `case-${n}`);
      mkdirSync(dir);
      return { c: cliCase(n, seed, dir, paths), dir };
    });
    const failures: string[] = [];
    const deadline = performance.now() + CLI_BUDGET_MS;
    let next = 0, ran = 0;
    const lane = async (): Promise<void> => {
      while (next < cases.length && performance.now() < deadline) {
        const { c, dir } = cases[next++];
        const r = await cli(c.args, dir);
        ran++;
        if (process.env.PORTAFILTER_FUZZ_VERBOSE) console.log(`${c.id} exit ${r.code}: ${c.args.join(' ')} [${c.what.join('; ')}] ${r.stderr.split('\n')[0]}`);
        const problems = judgeCli(c, r, dir);
        if (problems.length > 0)
          failures.push(
            `${c.id} (PORTAFILTER_FUZZ_ONLY=cli:${hex(c.seed)}): portafilter ${c.args.map((a) => (/^[\w./=,:-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}\n` +
              `    mutations: ${c.what.join('; ') || 'none'}\n    ${problems.join('\n    ')}\n    exit ${r.code}${r.signal ? ` ${r.signal}` : ''}; stderr: ${JSON.stringify(r.stderr.slice(0, 600))}`,
          );
      }
    };
    await Promise.all(Array.from({ length: CLI_PARALLEL }, lane));
    expect(failures.join('\n'), `${failures.length} failing CLI case(s) of ${ran} (base seed ${hex(SEED)})`).toBe('');
    expect(ran, 'CLI cases run within the time budget').toBeGreaterThanOrEqual(Math.ceil(cases.length / 2));
  }, CLI_BUDGET_MS + SPAWN_TIMEOUT_MS * 2 + 300_000);
});
