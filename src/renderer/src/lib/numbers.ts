/** How measured values (activations, weights, errors) read in the workbench. Pure. */

/**
 * A value in at most 4 significant digits: plain between 1e-3 and 1e5, exponent notation outside
 * (`0.1235`, `-12.5`, `3.2e-7`, `1.5e+6`); `NaN` and `±∞` as such.
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (v === 0) return '0';
  const rounded = Number(v.toPrecision(4));
  const a = Math.abs(rounded);
  if (a >= 1e-3 && a < 1e5) return String(rounded);
  return v.toExponential(2).replace(/\.?0+e/, 'e');
}

/** An error measure as the CLI's diff table prints it: `2.31e-6`, `0`, blank when not measured. */
export function formatError(v: number | undefined): string {
  if (v === undefined) return '';
  if (Number.isNaN(v)) return 'NaN';
  return v === 0 ? '0' : v.toExponential(2);
}

/** `min … max`, the order a range reads in. */
export const formatRange = (min: number, max: number): string => `${formatValue(min)} … ${formatValue(max)}`;

/** Run time: `850 µs`, `12.3 ms`, `1.42 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 100) return `${Number(ms.toFixed(1))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
