/** `portafilter` — the command line. Each command is a thin layer over the same code the GUI uses. */
import { Command, Option } from 'commander';
import { PortafilterError } from '../../shared/errors.js';
import { convert, convertSummary } from './convert.js';
import { diff, diffTable } from './diff.js';
import { inspect } from './inspect.js';
import { run } from './run.js';
import { serveCommand } from './serve.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function program(): Command {
  const cli = new Command('portafilter')
    .description('Migrate Caffe models to Keras / TensorFlow and prove the migrated model computes the same numbers.')
    .showHelpAfterError();

  cli
    .command('inspect')
    .description("read a Caffe model and report every layer's shape exactly as Caffe computes it")
    .argument('<prototxt>', 'network definition (.prototxt, V0, V1 or V2)')
    .argument('[caffemodel]', 'trained weights (.caffemodel, legacy or current); checked against the prototxt')
    .option('--json', 'print one JSON object instead of the table')
    .addOption(new Option('--input-shape <name=N,C,H,W>', 'feed a shape other than the declared one (repeatable)').argParser(collect))
    .action(async (prototxt: string, caffemodel: string | undefined, opts: { json?: boolean; inputShape?: string[] }) => {
      process.stdout.write((await inspect(prototxt, caffemodel, opts)) + '\n');
    });

  const inputOptions = (cmd: Command): Command =>
    cmd
      .addOption(new Option('--input <file>', 'image (JPEG, PNG, …) or X.npy in Caffe layout N,C,H,W; NAME=FILE for a net with several inputs (repeatable)').argParser(collect))
      .option('--mean <file>', 'mean to subtract: .binaryproto or .npy (full C,H,W image at the input size, else its per-channel mean)')
      .option('--mean-values <values>', 'per-channel mean to subtract, in the net\'s channel order (e.g. 104,117,123 for B,G,R)')
      .option('--scale <s>', 'multiply the input last (Transformer input_scale, e.g. 0.017)')
      .option('--raw-scale <r>', 'multiply the [0,1] image first (Transformer raw_scale; default 255)')
      .option('--rgb', 'keep RGB channel order (default: swap to BGR, as most Caffe models expect)')
      .option('--engine <engine>', 'auto, tfjs (best TF.js backend), tfjs-node-gpu, tfjs-node, onnxruntime, wasm, cpu or reference', 'auto')
      .option('--ordering <ordering>', 'channels_last (TensorFlow) or channels_first (Theano)', 'channels_last')
      .option('--flip-kernels', 'flip convolution kernels 180° for true-convolution backends (channels_first only)')
      .addOption(new Option('--input-shape <name=N,C,H,W>', 'declare an input shape other than the prototxt\'s (repeatable)').argParser(collect))
      .option('--json', 'print one JSON object');

  inputOptions(
    cli
      .command('run')
      .description('run the converted model on an input: top-k predictions, and every layer\'s output with --dump')
      .argument('<prototxt>', 'network definition')
      .argument('<caffemodel>', 'trained weights'),
  )
    .option('--top <k>', 'how many classes to show per output', '5')
    .option('--labels <file>', 'class names, one per line (synset_words.txt works)')
    .option('--dump <dir>', "write DIR/<layer>.npy for every layer (Caffe layout; further tops DIR/<layer>__1.npy …)")
    .action(async (prototxt: string, caffemodel: string, opts: Parameters<typeof run>[2]) => {
      const { text, json } = await run(prototxt, caffemodel, { ...opts, input: opts.input ?? [] });
      process.stdout.write((opts.json ? JSON.stringify(json) : text) + '\n');
    });

  inputOptions(
    cli
      .command('diff')
      .description('compare the converted model with the Caffe-semantics reference or with real Caffe\'s blob dumps, layer by layer')
      .argument('<prototxt>', 'network definition')
      .argument('<caffemodel>', 'trained weights'),
  )
    .option('--against <dir|reference>', 'a folder of .npy dumps (named by layer, or by blob as pycaffe\'s net.blobs), or reference', 'reference')
    .option('--naming <auto|layers|blobs>', 'how dump files are named', 'auto')
    .action(async (prototxt: string, caffemodel: string, opts: Parameters<typeof diff>[2]) => {
      const report = await diff(prototxt, caffemodel, { ...opts, input: opts.input ?? [] });
      process.stdout.write((opts.json ? JSON.stringify(report) : diffTable(report)) + '\n');
      const compared = report.rows.some((r) => r.status !== 'missing');
      if (!report.ok || !compared) process.exitCode = 1;
    });

  cli
    .command('convert')
    .description('export the converted model: Keras .keras or .h5, TensorFlow.js, ONNX, or .npy weights')
    .argument('<prototxt>', 'network definition')
    .argument('<caffemodel>', 'trained weights (.caffemodel or a .npy weights folder)')
    .requiredOption('--format <format>', 'keras | h5 | tfjs | onnx | npy')
    .requiredOption('--out <path>', 'the file (.keras, .h5, .onnx) or folder (tfjs, npy) to write')
    .option('--ordering <ordering>', 'channels_last (TensorFlow) or channels_first (Theano)', 'channels_last')
    .option('--flip-kernels', 'flip convolution kernels 180° for true-convolution backends (channels_first only)')
    .option('--mean <file>', 'with --format npy: also write this mean (.binaryproto or .npy) as mean_image.npy')
    .addOption(new Option('--input-shape <name=N,C,H,W>', 'declare an input shape other than the prototxt\'s (repeatable)').argParser(collect))
    .option('--json', 'print one JSON object')
    .action(async (prototxt: string, caffemodel: string, opts: Parameters<typeof convert>[2]) => {
      const result = await convert(prototxt, caffemodel, opts, (line) => process.stderr.write(line + '\n'));
      process.stdout.write((opts.json ? JSON.stringify(result) : convertSummary(result)) + '\n');
    });

  cli.addCommand(serveCommand());

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
