/** What a benchmark is, for bench/index.ts to run and every bench/<name>.ts to export. */
export type Log = (message: string) => void;

export interface BenchOptions {
  /** skip slow reference measurements */
  skipSlow: boolean;
}

export interface BenchResult {
  /** machine-readable figures (seconds, MiB, ratios), or a label such as the engine measured */
  metrics: Record<string, number | string>;
  /** [label, value] lines for the table */
  rows: Array<[string, string]>;
}

export interface Benchmark {
  /** the JSON key, snake_case */
  name: string;
  title: string;
  run(log: Log, options: BenchOptions): Promise<BenchResult>;
}
