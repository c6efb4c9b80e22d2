/**
 * Pan and zoom of the graph view: a viewport maps graph coordinates to screen coordinates as
 * `screen = graph × k + (x, y)`. Pure, so it is tested without a page.
 */
import type { Point, Rect } from './graph.js';

export interface Viewport {
  x: number;
  y: number;
  /** Scale: screen pixels per graph unit. */
  k: number;
}

export interface Size {
  width: number;
  height: number;
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 4;
/** Fitting never enlarges beyond 1:1: a small net is shown at its natural size. */
export const FIT_MAX_SCALE = 1;
/** Below this a fitted net's labels are unreadable: start at READ_SCALE on the selection instead. */
export const READABLE_SCALE = 0.6;
export const READ_SCALE = 1;
/** Each zoom button press, or each wheel notch (100 px of deltaY). */
export const ZOOM_STEP = 1.25;

export const IDENTITY: Viewport = { x: 0, y: 0, k: 1 };

export const clampScale = (k: number, min = MIN_SCALE, max = MAX_SCALE): number => Math.min(max, Math.max(min, k));

export const toScreen = (vp: Viewport, p: Point): Point => ({ x: p.x * vp.k + vp.x, y: p.y * vp.k + vp.y });
export const toGraph = (vp: Viewport, p: Point): Point => ({ x: (p.x - vp.x) / vp.k, y: (p.y - vp.y) / vp.k });

/** Moves the picture by a screen distance (a drag). */
export const panBy = (vp: Viewport, dx: number, dy: number): Viewport => ({ x: vp.x + dx, y: vp.y + dy, k: vp.k });

/** Scales by `factor` about a screen point, which stays where it is (the pointer under the wheel). */
export function zoomAt(vp: Viewport, factor: number, at: Point): Viewport {
  const k = clampScale(vp.k * factor);
  const ratio = k / vp.k;
  return { x: at.x - (at.x - vp.x) * ratio, y: at.y - (at.y - vp.y) * ratio, k };
}

/** The zoom factor of a wheel event: smooth for trackpads (small deltas), one step per mouse notch. */
export function wheelFactor(deltaY: number, deltaMode = 0): number {
  // deltaMode 1 counts lines, 2 pages; 0 is pixels.
  const pixels = deltaMode === 1 ? deltaY * 33 : deltaMode === 2 ? deltaY * 800 : deltaY;
  const clamped = Math.max(-300, Math.min(300, pixels));
  return Math.pow(ZOOM_STEP, -clamped / 100);
}

/**
 * The zoom factor of a trackpad pinch, which browsers send as a wheel event with ctrlKey set and
 * small pixel deltas (about one per percent of scale): finer than a wheel notch.
 */
export function pinchFactor(deltaY: number): number {
  return Math.exp(-Math.max(-50, Math.min(50, deltaY)) / 100);
}

/** The part of the graph on screen, in graph coordinates. */
export function visibleRect(vp: Viewport, view: Size): Rect {
  const a = toGraph(vp, { x: 0, y: 0 });
  return { x: a.x, y: a.y, width: view.width / vp.k, height: view.height / vp.k };
}

/** `inner` lies wholly within `outer`. */
export const contains = (outer: Rect, inner: Rect): boolean =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;

/**
 * The part of the graph worth drawing around a view: the visible rectangle grown by `margin` of its
 * size on every side, so a pan redraws nothing until it leaves that band.
 */
export function drawWindow(vp: Viewport, view: Size, margin = 0.75): Rect {
  const r = visibleRect(vp, view);
  return { x: r.x - r.width * margin, y: r.y - r.height * margin, width: r.width * (1 + 2 * margin), height: r.height * (1 + 2 * margin) };
}

/** Shows all of `content` centred in `view` with `padding` screen pixels around it, at most 1:1. */
export function fitRect(content: Rect, view: Size, padding = 24, maxScale = FIT_MAX_SCALE): Viewport {
  const w = Math.max(1, view.width - 2 * padding);
  const h = Math.max(1, view.height - 2 * padding);
  const k = clampScale(Math.min(w / Math.max(1, content.width), h / Math.max(1, content.height), maxScale));
  return {
    x: view.width / 2 - (content.x + content.width / 2) * k,
    y: view.height / 2 - (content.y + content.height / 2) * k,
    k,
  };
}

/** Puts the centre of `target` in the middle of `view`, keeping the scale (or using `k`). */
export function centreOn(vp: Viewport, target: Rect, view: Size, k = vp.k): Viewport {
  return {
    x: view.width / 2 - (target.x + target.width / 2) * k,
    y: view.height / 2 - (target.y + target.height / 2) * k,
    k,
  };
}

/** Whether `target` lies wholly inside the view, `margin` screen pixels in from its edges. */
export function isVisible(vp: Viewport, target: Rect, view: Size, margin = 0): boolean {
  const a = toScreen(vp, { x: target.x, y: target.y });
  const b = toScreen(vp, { x: target.x + target.width, y: target.y + target.height });
  return a.x >= margin && a.y >= margin && b.x <= view.width - margin && b.y <= view.height - margin;
}

/**
 * The first view of a graph: all of it when that stays readable, otherwise 1:1 with `focus` (the
 * selected layer) centred horizontally and near the top, so a deep net opens where it begins.
 */
export function initialViewport(content: Rect, view: Size, focus: Rect | null): Viewport {
  const fitted = fitRect(content, view);
  if (fitted.k >= READABLE_SCALE) return fitted;
  const target = focus ?? { x: content.x + content.width / 2, y: content.y, width: 0, height: 0 };
  const centred = centreOn(fitted, target, view, READ_SCALE);
  // Near the top rather than in the middle when the focus is the net's first rows.
  const top = 24 - content.y * READ_SCALE;
  return { ...centred, y: Math.min(top, centred.y) };
}

/**
 * The viewport `t` (0..1) of the way from `a` to `b` in a view of `view`'s size: the graph point at
 * the view's centre moves in a straight line while the scale changes evenly in log scale.
 */
export function interpolate(a: Viewport, b: Viewport, t: number, view: Size): Viewport {
  if (t <= 0) return a;
  if (t >= 1) return b;
  const middle = { x: view.width / 2, y: view.height / 2 };
  const ca = toGraph(a, middle);
  const cb = toGraph(b, middle);
  const c = { x: ca.x + (cb.x - ca.x) * t, y: ca.y + (cb.y - ca.y) * t };
  const k = a.k * Math.pow(b.k / a.k, t);
  return { x: middle.x - c.x * k, y: middle.y - c.y * k, k };
}

/** Ease in and out, for the short animation that brings a selected node into view. */
export const easeInOut = (t: number): number => (t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2);

/** An SVG transform attribute for the viewport. */
export const transformOf = (vp: Viewport): string => `translate(${round(vp.x)},${round(vp.y)}) scale(${Math.round(vp.k * 10000) / 10000})`;

const round = (n: number): number => Math.round(n * 100) / 100;
