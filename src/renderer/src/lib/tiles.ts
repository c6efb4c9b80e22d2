/** Equal tiles on one canvas (components/TileGrid.vue): where each sits, which is under a pixel, the zoom that fits. Pure. */

/** A grid of equal tiles with a gap of background around each, as square as their count allows. */
export interface TileGrid {
  count: number;
  tileWidth: number;
  tileHeight: number;
  gap: number;
  cols: number;
  rows: number;
  /** Canvas pixels. */
  width: number;
  height: number;
}

export function tileGrid(count: number, tileWidth: number, tileHeight: number, gap = 1): TileGrid {
  const cols = Math.max(1, Math.ceil(Math.sqrt(count)));
  const rows = Math.ceil(count / cols);
  return { count, tileWidth, tileHeight, gap, cols, rows, width: cols * (tileWidth + gap) + gap, height: rows * (tileHeight + gap) + gap };
}

/** Where tile i's top-left pixel sits on the canvas. */
export const tileOrigin = (g: TileGrid, i: number): { x: number; y: number } => ({
  x: g.gap + (i % g.cols) * (g.tileWidth + g.gap),
  y: g.gap + Math.floor(i / g.cols) * (g.tileHeight + g.gap),
});

/** The tile under canvas pixel (x, y), or null on a gap or past the last tile. */
export function tileAt(g: TileGrid, x: number, y: number): number | null {
  const col = Math.floor((x - g.gap) / (g.tileWidth + g.gap));
  const row = Math.floor((y - g.gap) / (g.tileHeight + g.gap));
  if (col < 0 || col >= g.cols || row < 0) return null;
  const inX = x - g.gap - col * (g.tileWidth + g.gap);
  const inY = y - g.gap - row * (g.tileHeight + g.gap);
  if (inX >= g.tileWidth || inY >= g.tileHeight) return null;
  const i = row * g.cols + col;
  return i < g.count ? i : null;
}

/** A zoom that makes `width` canvas pixels about `target` screen pixels wide, in whole pixels (pixelated, never blurred). */
export const fitZoom = (width: number, target: number, most = 24): number => Math.max(1, Math.min(most, Math.floor(target / Math.max(1, width))));

