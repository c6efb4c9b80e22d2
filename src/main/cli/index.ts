/** `portafilter` — the command line. Each command is a thin layer over the same code the GUI uses. */
import { Command, Option } from 'commander';
import { PortafilterError } from '../../shared/errors.js';
import { inspect } from './inspect.js';
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

  cli.addCommand(serveCommand());

  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    const message = e instanceof PortafilterError ? e.message : e instanceof Error ? e.message : String(e);
    process.stderr.write(`portafilter: error: ${message}\n`);
    if (!(e instanceof PortafilterError) && process.env.PORTAFILTER_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}
