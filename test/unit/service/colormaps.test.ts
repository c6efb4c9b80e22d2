/** The activation tiles' colour maps against OpenCV's own tables (cv2.applyColorMap on a 0..255 ramp). */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { colormap } from '../../../src/main/service/colormaps.js';
import { PYTHON } from '../../system-deps.js';

const OPENCV_RAMPS =
  'import cv2, numpy, json; ramp = numpy.arange(256, dtype=numpy.uint8).reshape(1, 256); ' +
  "print(json.dumps({n: cv2.applyColorMap(ramp, c)[0][:, ::-1].reshape(-1).tolist() for n, c in [('viridis', cv2.COLORMAP_VIRIDIS), ('magma', cv2.COLORMAP_MAGMA)]}))";

describe('the colour maps of activation tiles', () => {
  const opencv = JSON.parse(execFileSync(PYTHON, ['-c', OPENCV_RAMPS], { encoding: 'utf8' })) as Record<'viridis' | 'magma', number[]>;

  for (const name of ['viridis', 'magma'] as const) {
    it(`gives matplotlib's ${name} within 5/255 of OpenCV's COLORMAP_${name.toUpperCase()}, entry by entry`, () => {
      const ours = colormap(name);
      let worst = 0;
      for (let i = 0; i < 768; i++) worst = Math.max(worst, Math.abs(ours[i] - opencv[name][i]));
      expect(worst).toBeLessThanOrEqual(5);
    });
  }

  it('ramps grey from black to white', () => {
    const grey = colormap('gray');
    expect([...grey.subarray(0, 3)]).toEqual([0, 0, 0]);
    expect([...grey.subarray(128 * 3, 129 * 3)]).toEqual([128, 128, 128]);
    expect([...grey.subarray(765)]).toEqual([255, 255, 255]);
  });
});
