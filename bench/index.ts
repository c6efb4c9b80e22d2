/**
 * `npm run bench`: figures and ratios, never pass/fail.
 *
 *   npm run bench                      a readable table per benchmark (progress on stderr)
 *   npm run -s bench -- --json         ONE JSON object on stdout: { "<benchmark>": { "<metric>": number, ... }, ... }
 *   npm run bench -- parse_vgg16       only the named benchmarks
 *   npm run bench -- --quick           skip the slow comparisons (e.g. the ~20 s protobufjs decode)
 *
 * Adding a benchmark: write bench/<name>.ts exporting a `Benchmark` (bench/types.ts) and list it in BENCHMARKS below.
 * Its metrics become the keys of its JSON object; its rows are what the table shows.
 */
import { cliStartup, parseVgg16Cli } from './cli.js';
import { manyLayers } from './many-layers.js';
import { parseVgg16 } from './parse-vgg16.js';
import { referenceExecutor } from './reference-executor.js';
import { reportVggCnnS } from './report.js';
import type { BenchOptions, Benchmark, Log } from './types.js';
import { vggCnnS } from './vgg-cnn-s.js';
import { workbenchGraph } from './workbench-graph.js';
import { workbenchRun } from './workbench-run.js';
import { workbenchWeights } from './workbench-weights.js';

const BENCHMARKS: Benchmark[] = [cliStartup, parseVgg16, parseVgg16Cli, referenceExecutor, vggCnnS, reportVggCnnS, manyLayers, workbenchGraph, workbenchWeights, workbenchRun];

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const options: BenchOptions = { skipSlow: argv.includes('--quick') };
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
    process.exit(2);
  }
  const selected = names.length > 0 ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
  const log: Log = (m) => process.stderr.write(`${m}\n`);
  const all: Record<string, Record<string, number | string>> = {};
  for (const bench of selected) {
    log(`== ${bench.name}: ${bench.title}`);
    const result = await bench.run(log, options);
    all[bench.name] = Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [k, typeof v === 'string' || Number.isInteger(v) ? v : Number(v.toPrecision(6))]));
    if (!json) {
      const width = Math.max(...result.rows.map(([label]) => label.length));
      process.stdout.write(`\n${bench.name} — ${bench.title}\n`);
      for (const [label, value] of result.rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
      process.stdout.write('\n');
    }
  }
  if (json) process.stdout.write(JSON.stringify(all) + '\n');
}

await main(process.argv.slice(2));
