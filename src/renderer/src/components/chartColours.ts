/** The theme's colours for the charts, read from the CSS variables (a canvas cannot use them directly). */
import type { ChartColours } from '../lib/histogram.js';

export function chartColours(): ChartColours {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return { bar: v('--accent', '#2f6fde'), text: v('--fg-muted', '#667085'), line: v('--border', '#d5dae2'), tooltipBg: v('--bg-raised', '#fff'), danger: v('--danger', '#c8322b') };
}
