/** How numbers and shapes read in the workbench. Pure, so the CLI's wording can be matched in tests. */

/** Caffe N×C×H×W, as Caffe's own logs write shapes; a 0-axis blob is a scalar; null: the file does not give it. */
export const formatShape = (shape: readonly number[] | null): string => (shape === null ? 'unknown' : shape.length === 0 ? 'scalar' : shape.join('×'));

// One formatter for every call: toLocaleString builds a new one each time (70 ms for a 670-row table).
const COUNT_FORMAT = new Intl.NumberFormat('en-US');
export const formatCount = (n: number): string => COUNT_FORMAT.format(n);

/** 431080 -> "431.1 k": for the summary line, where the exact figure is a hover away. */
export function formatCompact(n: number): string {
  if (n < 1_000) return String(n);
  if (n < 1_000_000) return `${(n / 1_000).toFixed(1)} k`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)} M`;
  return `${(n / 1_000_000_000).toFixed(2)} G`;
}

/** The last path segment, for headers where the full path would not fit (it stays in the tooltip). */
export const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;
