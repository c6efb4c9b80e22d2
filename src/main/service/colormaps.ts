/**
 * The colour maps of the activation tiles, as 256-entry RGB tables. Viridis and magma are
 * matplotlib's, evaluated from Matt Zucker's degree-6 polynomial fits (shadertoy.com/view/WlfXRN,
 * CC0): within 5/255 of matplotlib's tables (test/unit/service/colormaps.test.ts checks them against
 * OpenCV's COLORMAP_VIRIDIS and COLORMAP_MAGMA), and 14 numbers each instead of 768.
 */
export type ColormapName = 'gray' | 'viridis' | 'magma';

type Poly = readonly (readonly [number, number, number])[];

const VIRIDIS: Poly = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

const MAGMA: Poly = [
  [-0.002136485053939582, -0.000749655052795221, -0.005386127855323933],
  [0.2516605407371642, 0.6775232436837668, 2.494026599312351],
  [8.353717279216625, -3.577719514958484, 0.3144679030132573],
  [-27.66873308576866, 14.26473078096533, -13.64921318813922],
  [52.17613981234068, -27.94360607168351, 12.94416944238394],
  [-50.76852536473588, 29.04658282127291, 4.23415299384598],
  [18.65570506591883, -11.48977351997711, -5.601961508734096],
];

function table(poly: Poly): Uint8Array {
  const out = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = poly.length - 1; k >= 0; k--) v = v * t + poly[k][c];
      out[i * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
  }
  return out;
}

const tables = new Map<ColormapName, Uint8Array>();

/** 256 RGB triples, dark (low values) to light. */
export function colormap(name: ColormapName): Uint8Array {
  let t = tables.get(name);
  if (!t) {
    if (name === 'gray') {
      t = new Uint8Array(256 * 3);
      for (let i = 0; i < 256; i++) t.fill(i, i * 3, i * 3 + 3);
    } else t = table(name === 'viridis' ? VIRIDIS : MAGMA);
    tables.set(name, t);
  }
  return t;
}
