/**
 * `portafilter` — the command line. Each command is a thin layer over the same code the GUI uses.
 * A command's module is imported only when that command runs: `--help` and `inspect` never load
 * TF.js, onnxruntime, h5wasm, esbuild or sharp.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { PortafilterError } from '../../shared/errors.js';
import type { convert } from './convert.js';
import type { diff } from './diff.js';
import type { inspect } from './inspect.js';
import type { run } from './run.js';
import type { report } from './report.js';

/** An option's value as given. Empty is refused: `--mean ''` is an unset shell variable, never a wish to be ignored. */
function given(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a value, got an empty one');
  return value;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, given(value)];

/** The net options of every command that reads a net: input shapes and Caffe's net state (phase, stages, level). */
const netOptions = (cmd: Command): Command =>
  cmd
    .addOption(new Option('--input-shape <name=N,C,H,W>', 'feed a shape other than the declared one; also the shape of a data layer read from a database (repeatable)').argParser(collect))
    .option('--phase <phase>', "Caffe's phase deciding which layers are in (include/exclude rules): TEST (the default) or TRAIN", given)
    .addOption(new Option('--stage <name>', "a stage of Caffe's net state, for include/exclude rules naming stages (repeatable)").argParser(collect))
    .option('--level <n>', "the level of Caffe's net state, for rules with min_level/max_level (default 0)", (v: string) => parseDecimal(v, { whole: true }));

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const WHOLE = /^\d+$/;

/**
 * The one reader of numbers in options: decimal only, and finite. Number() alone would take 0x10 as 16
 * and also 0b1, 0o7, Infinity, '' and ' 1 ', none of which a user types meaning a number here.
 */
export function parseDecimal(value: string, range: { whole?: boolean; min?: number; max?: number; expected?: string } = {}): number {
  const { whole = false, min, max } = range;
  const expected =
    range.expected ??
    (whole ? `a whole number in decimal digits${min !== undefined ? ` from ${min}` : ''}${max !== undefined ? ` to ${max}` : ''} (e.g. 5)` : 'a decimal number (e.g. -1.5, 1e-3, 0.017)');
  if (value === '') throw new InvalidArgumentError(`expected ${expected}, got an empty value`);
  if (!(whole ? WHOLE : DECIMAL).test(value))
    throw new InvalidArgumentError(`expected ${expected}; ${whole ? 'hex, Infinity, spaces, signs, fractions and exponents' : 'hex, binary, octal, Infinity and spaces'} are not read as numbers`);
  const n = Number(value);
  if (!Number.isFinite(n) || (whole && !Number.isSafeInteger(n))) throw new InvalidArgumentError(`expected ${expected}; this one is too large to hold exactly`);
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) throw new InvalidArgumentError(`expected ${expected}`);
  return n;
}

const decimal = (value: string): number => parseDecimal(value);
const count = (value: string): number => parseDecimal(value, { whole: true, min: 1 });
const parsePort = (value: string): number => parseDecimal(value, { whole: true, min: 0, max: 65535, expected: 'a port number from 0 to 65535 (0 = any free port)' });

/** `104,117,123`: one decimal number per channel. */
function decimals(value: string): number[] {
  const parts = value.split(',');
  return parts.map((part, i) => {
    try {
      return parseDecimal(part);
    } catch (e) {
      const which = parts.length === 1 ? '' : `value ${i + 1} of ${parts.length}${part === '' ? ' is empty' : ` ('${part}')`}: `;
      throw new InvalidArgumentError(`${which}${(e as Error).message}; give one per channel, separated by commas (e.g. 104,117,123)`);
    }
  });
}

/**
 * Commander's Command, except that a bad option value is one line: the help it prints after other
 * usage errors would bury the line naming the option.
 */
class Cli extends Command {
  override createCommand(name?: string): Command {
    return new Cli(name);
  }
  override error(message: string, errorOptions?: { code?: string; exitCode?: number }): never {
    if (errorOptions?.code === 'commander.invalidArgument') this.showHelpAfterError(false);
    return super.error(message, errorOptions);
  }
}

export function program(): Command {
  const cli = new Cli('portafilter')
    .description('Migrate Caffe models to Keras / TensorFlow and prove the migrated model computes the same numbers.')
    .configureOutput({ outputError: (text, write) => write(`portafilter: ${text}`) })
    .showHelpAfterError();

  netOptions(
    cli
      .command('inspect')
      .description("read a Caffe model and report every layer's shape exactly as Caffe computes it")
      .argument('<prototxt>', 'network definition (.prototxt, V0, V1 or V2)')
      .argument('[caffemodel]', 'trained weights (.caffemodel, legacy or current); checked against the prototxt'),
  )
    .option('--json', 'print one JSON object instead of the table')
    .action(async (prototxt: string, caffemodel: string | undefined, opts: Parameters<typeof inspect>[2]) => {
      const { inspect } = await import('./inspect.js');
      process.stdout.write((await inspect(prototxt, caffemodel, opts)) + '\n');
    });

  /** pycaffe Transformer's preprocessing, then the engine and the converted model's form: run, diff and report. */
  const runOptions = (cmd: Command, engine: { default: string; help: string }): Command =>
    netOptions(cmd)
      .option('--mean <file>', 'mean to subtract: .binaryproto or .npy (full C,H,W image at the input size, else its per-channel mean)', given)
      .option('--mean-values <values>', 'per-channel mean to subtract, in the net\'s channel order (e.g. 104,117,123 for B,G,R)', decimals)
      .option('--scale <s>', 'multiply the input last (Transformer input_scale, e.g. 0.017)', decimal)
      .option('--raw-scale <r>', 'multiply the [0,1] image first (Transformer raw_scale; default 255)', decimal)
      .option('--rgb', 'keep RGB channel order (default: swap to BGR, as most Caffe models expect)')
      .option('--engine <engine>', `auto, tfjs (the Keras model on the best TF.js backend), tfjs-node-gpu, tfjs-node, onnxruntime, wasm, cpu or reference; ${engine.help}`, given, engine.default)
      .option('--ordering <ordering>', 'the converted model\'s ordering: channels_last (TensorFlow, the default) or channels_first (Theano)', given)
      .option('--flip-kernels', 'flip convolution kernels 180° for true-convolution backends (channels_first only)')
      .option('--json', 'print one JSON object');

  const inputOptions = (cmd: Command, engine: { default: string; help: string }): Command =>
    runOptions(cmd.addOption(new Option('--input <file>', 'image (JPEG, PNG, …) or X.npy in Caffe layout N,C,H,W; NAME=FILE for a net with several inputs (repeatable)').argParser(collect)), engine);

  inputOptions(
    cli
      .command('run')
      .description('run the converted model on an input: top-k predictions, and every layer\'s output with --dump')
      .argument('<prototxt>', 'network definition')
      .argument('<caffemodel>', 'trained weights'),
    { default: 'auto', help: 'auto takes the fastest that computes the model asked for (--ordering, --flip-kernels) and says which' },
  )
    .option('--top <k>', 'how many classes to show per output', count, 5)
    .option('--labels <file>', 'class names, one per line (synset_words.txt works)', given)
    .option('--dump <dir>', "write DIR/<layer>.npy for every layer (Caffe layout; further tops DIR/<layer>__1.npy …)", given)
    .option('--force', 'with --dump: write into a non-empty folder that is not an earlier Portafilter dump (files of the same names are replaced)')
    .action(async (prototxt: string, caffemodel: string, opts: Parameters<typeof run>[2]) => {
      const { run } = await import('./run.js');
      const { text, json } = await run(prototxt, caffemodel, { ...opts, input: opts.input ?? [] });
      process.stdout.write((opts.json ? JSON.stringify(json) : text) + '\n');
    });

  inputOptions(
    cli
      .command('diff')
      .description('compare the converted model with the Caffe-semantics reference or with real Caffe\'s blob dumps, layer by layer')
      .argument('<prototxt>', 'network definition')
      .argument('<caffemodel>', 'trained weights'),
    { default: 'tfjs', help: 'the default proves the converted Keras model, the artefact the exports carry' },
  )
    .option('--against <dir|reference>', 'a folder of .npy dumps (named by layer, or by blob as pycaffe\'s net.blobs), or reference', given, 'reference')
    .option('--naming <auto|layers|blobs>', 'how dump files are named', given, 'auto')
    .action(async (prototxt: string, caffemodel: string, opts: Parameters<typeof diff>[2]) => {
      const { diff, diffTable } = await import('./diff.js');
      const report = await diff(prototxt, caffemodel, { ...opts, input: opts.input ?? [] });
      process.stdout.write((opts.json ? JSON.stringify(report) : diffTable(report)) + '\n');
      const compared = report.rows.some((r) => r.status !== 'missing');
      if (!report.ok || !compared) process.exitCode = 1;
    });

  runOptions(
    cli
      .command('report')
      .description('an equivalence report over a folder of inputs, as one self-contained HTML file: every layer\'s error, top-1/top-5 agreement, the outputs\' error histogram, what ran, sha256 of every file, throughput')
      .argument('<prototxt>', 'network definition')
      .argument('<caffemodel>', 'trained weights'),
    { default: 'tfjs', help: 'the default proves the converted Keras model, the artefact the exports carry' },
  )
    .requiredOption('--images <dir>', 'the folder of inputs: images (JPEG, PNG, …) and X.npy in Caffe layout N,C,H,W, taken in name order', given)
    .requiredOption('--out <file>', 'the .html report to write', given)
    .option('--force', 'replace an earlier Portafilter report at --out (never another file)')
    .option('--against <dir|reference>', 'reference, or a folder holding one folder of .npy dumps per input, named by the input file\'s stem (DIR/<stem>/<layer>.npy, as diff --against reads them)', given, 'reference')
    .option('--naming <auto|layers|blobs>', 'how dump files are named', given, 'auto')
    .option('--labels <file>', 'class names, one per line (synset_words.txt works)', given)
    .action(async (prototxt: string, caffemodel: string, opts: Parameters<typeof report>[2]) => {
      const { report, reportText } = await import('./report.js');
      const summary = await report(prototxt, caffemodel, opts, (line) => process.stderr.write(line + '\n'));
      process.stdout.write((opts.json ? JSON.stringify(summary) : reportText(summary)) + '\n');
      if (!summary.ok) process.exitCode = 1;
    });

  netOptions(
    cli
      .command('convert')
      .description('export the converted model: Keras .keras or .h5, TensorFlow.js, ONNX, or .npy weights')
      .argument('<prototxt>', 'network definition')
      .argument('<caffemodel>', 'trained weights (.caffemodel or a .npy weights folder)'),
  )
    .requiredOption('--format <format>', 'keras | h5 | tfjs | onnx | npy', given)
    .requiredOption('--out <path>', 'the file (.keras, .h5, .onnx) or folder (tfjs, npy) to write', given)
    .option('--ordering <ordering>', 'channels_last (TensorFlow, the default) or channels_first (Theano)', given)
    .option('--flip-kernels', 'flip convolution kernels 180° for true-convolution backends (channels_first only)')
    .option('--mean <file>', 'with --format npy: also write this mean (.binaryproto or .npy) as mean_image.npy; with --verify --input: subtract it from the input', given)
    .option('--force', 'replace what is at --out: a file, or a folder holding an earlier Portafilter export of the same format')
    .option('--verify', 'load the written files back (TF.js, onnxruntime, the file\'s own Keras config and weights, or the .npy folder) and compare their outputs with the reference; exit 1 if they differ')
    .addOption(new Option('--input <file>', 'with --verify: the input to check on (image or X.npy; NAME=FILE for several); default a seeded random one').argParser(collect))
    .option('--mean-values <values>', 'with --verify --input: per-channel mean to subtract', decimals)
    .option('--scale <s>', 'with --verify --input: multiply the input last (Transformer input_scale)', decimal)
    .option('--raw-scale <r>', 'with --verify --input: multiply the [0,1] image first (default 255)', decimal)
    .option('--rgb', 'with --verify --input: keep RGB channel order (default: swap to BGR)')
    .option('--json', 'print one JSON object')
    .action(async (prototxt: string, caffemodel: string, opts: Parameters<typeof convert>[2]) => {
      const { convert, convertSummary } = await import('./convert.js');
      const result = await convert(prototxt, caffemodel, opts, (line) => process.stderr.write(line + '\n'));
      process.stdout.write((opts.json ? JSON.stringify(result) : convertSummary(result)) + '\n');
      if (result.verification && !result.verification.ok) process.exitCode = 1;
    });

  cli
    .command('serve')
    .description('open the workbench in a browser: a local web host on 127.0.0.1 with a per-run token')
    .argument('[prototxt]', 'network definition to open (default: the bundled LeNet demo)')
    .argument('[caffemodel]', 'trained weights for it')
    .option('-p, --port <port>', 'port to listen on (0 = any free port)', parsePort, 0)
    .option('--open', 'open the page in the default browser')
    .action(async (prototxt: string | undefined, caffemodel: string | undefined, opts: { port: number; open?: boolean }) => {
      const { serve } = await import('./serve.js');
      await serve(prototxt, caffemodel, { port: opts.port, open: opts.open === true });
    });

  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const message = e instanceof PortafilterError ? e.message : e instanceof Error ? e.message : String(e);
    process.stderr.write(`portafilter: error: ${message}\n`);
    if (!(e instanceof PortafilterError) && process.env.PORTAFILTER_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}
