/**
 * Pan and zoom of the graph view: the maths that maps graph coordinates to the screen, zooms about
 * the pointer, fits a net in view and brings a selected layer to the middle.
 */
import { describe, expect, it } from 'vitest';
import {
  centreOn,
  clampScale,
  contains,
  drawWindow,
  fitRect,
  initialViewport,
  interpolate,
  isVisible,
  MAX_SCALE,
  MIN_SCALE,
  panBy,
  pinchFactor,
  toGraph,
  toScreen,
  transformOf,
  visibleRect,
  wheelFactor,
  zoomAt,
  type Viewport,
} from '../../../src/renderer/src/lib/viewport.js';

const view = { width: 800, height: 600 };
const close = (a: Viewport, b: Viewport): void => {
  expect(a.x).toBeCloseTo(b.x, 6);
  expect(a.y).toBeCloseTo(b.y, 6);
  expect(a.k).toBeCloseTo(b.k, 6);
};

describe('the graph viewport', () => {
  it('maps graph points to the screen and back', () => {
    const vp = { x: 30, y: -40, k: 2 };
    expect(toScreen(vp, { x: 10, y: 20 })).toEqual({ x: 50, y: 0 });
    expect(toGraph(vp, toScreen(vp, { x: 7.5, y: -3 }))).toEqual({ x: 7.5, y: -3 });
  });

  it('pans by the distance dragged, keeping the scale', () => {
    expect(panBy({ x: 1, y: 2, k: 0.5 }, 10, -4)).toEqual({ x: 11, y: -2, k: 0.5 });
  });

  it('zooms about the pointer: the graph point under it stays under it', () => {
    const vp = { x: 100, y: 50, k: 1 };
    const pointer = { x: 420, y: 310 };
    const under = toGraph(vp, pointer);
    const zoomed = zoomAt(vp, 1.25, pointer);
    expect(zoomed.k).toBeCloseTo(1.25);
    const after = toScreen(zoomed, under);
    expect(after.x).toBeCloseTo(pointer.x);
    expect(after.y).toBeCloseTo(pointer.y);
  });

  it('keeps the scale between its limits however far the wheel turns', () => {
    expect(zoomAt({ x: 0, y: 0, k: 3.9 }, 10, { x: 0, y: 0 }).k).toBe(MAX_SCALE);
    expect(zoomAt({ x: 0, y: 0, k: 0.06 }, 0.01, { x: 0, y: 0 }).k).toBe(MIN_SCALE);
    expect(clampScale(1)).toBe(1);
  });

  it('zooms one step per mouse-wheel notch, in for wheel up, and evenly for trackpad deltas', () => {
    expect(wheelFactor(-100)).toBeCloseTo(1.25);
    expect(wheelFactor(100)).toBeCloseTo(0.8);
    // Line mode (Firefox): 3 lines is about one notch.
    expect(wheelFactor(3, 1)).toBeCloseTo(wheelFactor(99));
    expect(wheelFactor(-10) * wheelFactor(-10)).toBeCloseTo(wheelFactor(-20));
    // One enormous delta is at most three notches.
    expect(wheelFactor(-5000)).toBeCloseTo(Math.pow(1.25, 3));
  });

  it('fits a wide net into the view, centred, with padding', () => {
    const vp = fitRect({ x: 0, y: 0, width: 1408, height: 200 }, view, 48);
    expect(vp.k).toBeCloseTo(0.5);
    expect(toScreen(vp, { x: 0, y: 0 }).x).toBeCloseTo(48);
    expect(toScreen(vp, { x: 704, y: 100 })).toEqual({ x: 400, y: 300 });
  });

  it('never enlarges a small net beyond 1:1 when fitting it', () => {
    const vp = fitRect({ x: 0, y: 0, width: 200, height: 100 }, view);
    expect(vp).toEqual({ x: 300, y: 250, k: 1 });
  });

  it('centres a layer in the view at the current scale, or at the one asked for', () => {
    const target = { x: 500, y: 900, width: 160, height: 42 };
    const vp = centreOn({ x: 0, y: 0, k: 0.5 }, target, view);
    expect(toScreen(vp, { x: 580, y: 921 })).toEqual({ x: 400, y: 300 });
    expect(vp.k).toBe(0.5);
    expect(centreOn(vp, target, view, 1).k).toBe(1);
  });

  it('tells whether a box is wholly in view, with a margin', () => {
    const vp = { x: 0, y: 0, k: 1 };
    expect(isVisible(vp, { x: 10, y: 10, width: 100, height: 40 }, view)).toBe(true);
    expect(isVisible(vp, { x: 10, y: 10, width: 100, height: 40 }, view, 20)).toBe(false);
    expect(isVisible(vp, { x: 750, y: 10, width: 100, height: 40 }, view)).toBe(false);
  });

  it('opens a small net fitted, and a deep one at 1:1 from its top with the selection centred across', () => {
    expect(initialViewport({ x: 0, y: 0, width: 300, height: 500 }, view, null)).toEqual(fitRect({ x: 0, y: 0, width: 300, height: 500 }, view));
    // GoogLeNet's size: fitting would make it unreadable (under 0.2).
    const deep = { x: 0, y: 0, width: 1280, height: 3520 };
    const focus = { x: 560, y: 20, width: 160, height: 42 };
    const vp = initialViewport(deep, view, focus);
    expect(vp.k).toBe(1);
    expect(toScreen(vp, { x: 640, y: 0 })).toEqual({ x: 400, y: 24 });
  });

  it('centres a focus deep in the net rather than the top', () => {
    const deep = { x: 0, y: 0, width: 1280, height: 3520 };
    const vp = initialViewport(deep, view, { x: 560, y: 2000, width: 160, height: 40 });
    expect(toScreen(vp, { x: 640, y: 2020 })).toEqual({ x: 400, y: 300 });
  });

  it('glides from one view to another: ends exact, scales evenly in log scale on the way', () => {
    const a = { x: 0, y: 0, k: 0.25 };
    const b = { x: -500, y: -300, k: 1 };
    expect(interpolate(a, b, 0, view)).toEqual(a);
    expect(interpolate(a, b, 1, view)).toEqual(b);
    expect(interpolate(a, b, 0.5, view).k).toBeCloseTo(0.5);
    // The graph point in the middle of the view moves in a straight line.
    const mid = toGraph(interpolate(a, b, 0.5, view), { x: 400, y: 300 });
    const [ga, gb] = [toGraph(a, { x: 400, y: 300 }), toGraph(b, { x: 400, y: 300 })];
    expect(mid.x).toBeCloseTo((ga.x + gb.x) / 2);
    expect(mid.y).toBeCloseTo((ga.y + gb.y) / 2);
    close(interpolate(b, b, 0.3, view), b);
  });

  it('writes the viewport as an SVG transform', () => {
    expect(transformOf({ x: 10.123, y: -4, k: 0.333333 })).toBe('translate(10.12,-4) scale(0.3333)');
  });
});

describe('pinch and the part of the graph to draw', () => {
  it('zooms a trackpad pinch finely: 10 px of ctrl+wheel is about 10%, and never more than e^0.5 at once', () => {
    expect(pinchFactor(-10)).toBeCloseTo(Math.exp(0.1), 10);
    expect(pinchFactor(10)).toBeCloseTo(Math.exp(-0.1), 10);
    expect(pinchFactor(-1000)).toBeCloseTo(Math.exp(0.5), 10);
  });

  it('knows which part of the graph is on screen', () => {
    expect(visibleRect({ x: -100, y: -50, k: 2 }, view)).toEqual({ x: 50, y: 25, width: 400, height: 300 });
  });

  it('draws a band around the view, so a short pan stays inside it and redraws nothing', () => {
    const vp = { x: 0, y: 0, k: 1 };
    const band = drawWindow(vp, view, 0.5);
    expect(band).toEqual({ x: -400, y: -300, width: 1600, height: 1200 });
    expect(contains(band, visibleRect(panBy(vp, -300, 200), view))).toBe(true);
    expect(contains(band, visibleRect(panBy(vp, -500, 0), view))).toBe(false);
  });
});
