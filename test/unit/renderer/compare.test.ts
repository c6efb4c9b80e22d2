import { describe, expect, it } from 'vitest';
import type { DiffInfo, DiffRowInfo } from '../../../src/shared/api.js';
import { formatRatio, heatByLayer, heatColour } from '../../../src/renderer/src/lib/compare.js';

const row = (layer: string, status: DiffRowInfo['status'], ratio?: number, top = 0): DiffRowInfo => ({ layer, type: 'T', top, blob: layer, caffeShape: [1], final: false, status, ratio });
const diff = (rows: DiffRowInfo[], first?: number): DiffInfo => ({ runId: 'r', engine: 'wasm', engineDetail: '', ran: '', against: 'reference', rows, first, ok: first === undefined, unmatched: [], warnings: [] });

describe('the graph’s error heat map', () => {
  it('gives each layer its worst top, and marks the first divergence', () => {
    const heat = heatByLayer(diff([row('a', 'ok', 0.2), row('s', 'ok', 0.1, 0), row('s', 'diverged', 40, 1), row('b', 'missing')], 2));
    expect(heat.get('a')).toEqual({ ratio: 0.2, status: 'ok', first: false });
    expect(heat.get('s')).toEqual({ ratio: 40, status: 'diverged', first: true });
    expect(heat.get('b')).toEqual({ ratio: undefined, status: 'missing', first: false });
  });

  it('colours green within tolerance, from yellow to red beyond it, darkest for NaN or a shape mismatch, grey where nothing was compared', () => {
    const hue = (c: string): number => Number(/^hsl\((\d+)/.exec(c)?.[1]);
    expect(hue(heatColour({ ratio: 0.5, status: 'ok', first: false }))).toBe(140);
    expect(hue(heatColour({ ratio: 1, status: 'diverged', first: true }))).toBe(48);
    expect(hue(heatColour({ ratio: 1e3, status: 'diverged', first: true }))).toBe(0);
    expect(hue(heatColour({ ratio: 31.6, status: 'diverged', first: true }))).toBeGreaterThan(hue(heatColour({ ratio: 1e3, status: 'diverged', first: true })));
    expect(heatColour({ ratio: Infinity, status: 'diverged', first: true })).toBe('hsl(0 75% 38%)');
    expect(heatColour({ status: 'shape', first: true })).toBe('hsl(0 75% 38%)');
    expect(heatColour({ status: 'missing', first: false })).toBe('hsl(220 8% 78%)');
  });

  it('writes ratios readably', () => {
    expect([formatRatio(0.0312), formatRatio(1890), formatRatio(Infinity), formatRatio(0), formatRatio(undefined)]).toEqual(['0.031', '1.9e+3', 'NaN', '0', '']);
  });
});
