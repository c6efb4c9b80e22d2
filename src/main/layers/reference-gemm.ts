/**
 * The reference's matrix product C[m×n] = A[m×k]·B[k×n], summed in float64 and rounded to float32 once:
 * the kernel under its Convolution, Deconvolution and batched InnerProduct.
 *
 * GotoBLAS' layout: A is packed into panels of MR rows ([k][MR] each), B into panels of NR columns
 * ([k][NR] each), both as float64 in one WebAssembly memory. A 4×4 tile of C lives in eight f64x2
 * registers while the micro-kernel runs KC deep through one A panel and up to NC_PANELS B panels
 * (sized for L1 and L2); the tiles stay float64 across the KC blocks. The micro-kernel is a few dozen
 * lines of hand-assembled WebAssembly SIMD below; `jsTile` is the same loop in JavaScript, summing in the same
 * order (it gives bit-identical results), for machines without WebAssembly SIMD.
 *
 * It shares nothing with TF.js or onnxruntime: the reference stays an independent second opinion.
 */

/** Rows of an A panel and columns of a B panel: the register tile. */
export const MR = 4;
export const NR = 4;
/** Depth of one pass of the micro-kernel: one A panel block (MR·KC doubles, 4 KB) stays in L1. */
const KC = 128;
/** B panels per pass: KC·NR·NC_PANELS doubles (256 KB) stay in L2 while every A panel runs over them. */
const NC_PANELS = 64;
/** Largest packed A, packed B and C tiles, in doubles each (16 MB): larger products go in slices. */
const BUDGET = 1 << 21;

/** A(i, p) = data[offset + i·rowStride + p·colStride]. */
export interface Matrix {
  data: Float32Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

/**
 * Writes columns [j0, j1) of B packed at `at`: B(p, j) goes to at + ⌊c/NR⌋·k·NR + p·NR + c mod NR with
 * c = j - j0. Columns past j1 in the last panel are zero already.
 */
export type PackB = (dst: Float64Array, at: number, j0: number, j1: number) => void;

/**
 * C tiles += A panel · B panels, `panels` times: a and b are byte offsets of the first doubles of an A
 * panel block and a B panel block, `depth` rows deep; B panels are `bStride` bytes apart; c is
 * the first of `panels` consecutive MR×NR tiles (row-major, float64).
 */
type Tile = (a: number, b: number, c: number, panels: number, depth: number, bStride: number) => void;

/** The micro-kernel in JavaScript (MR = 4): every sum in the wasm one's order (mul, then add), so its results. */
function jsTile(f: Float64Array): Tile {
  return (a, b, c, panels, depth, bStride) => {
    for (let t = 0, ct = c >> 3; t < panels; t++, ct += MR * NR) {
      for (let q = 0; q < NR; q++) {
        let s0 = f[ct + q];
        let s1 = f[ct + NR + q];
        let s2 = f[ct + 2 * NR + q];
        let s3 = f[ct + 3 * NR + q];
        for (let p = 0, pa = a >> 3, pb = ((b + t * bStride) >> 3) + q; p < depth; p++, pa += MR, pb += NR) {
          const bv = f[pb];
          s0 += f[pa] * bv;
          s1 += f[pa + 1] * bv;
          s2 += f[pa + 2] * bv;
          s3 += f[pa + 3] * bv;
        }
        f[ct + q] = s0;
        f[ct + NR + q] = s1;
        f[ct + 2 * NR + q] = s2;
        f[ct + 3 * NR + q] = s3;
      }
    }
  };
}

/** The micro-kernel as a WebAssembly module's bytes, for MR = 4 and NR = 4. */
function tileModule(): Uint8Array {
  const uleb = (n: number): number[] => {
    const out: number[] = [];
    do {
      const b = n & 127;
      n >>>= 7;
      out.push(n ? b | 128 : b);
    } while (n);
    return out;
  };
  const sleb = (n: number): number[] => {
    const out: number[] = [];
    for (;;) {
      const b = n & 127;
      n >>= 7;
      if ((n === 0 && !(b & 64)) || (n === -1 && b & 64)) return [...out, b];
      out.push(b | 128);
    }
  };
  const bytes = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
  const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
  const [I32, V128] = [0x7f, 0x7b];
  // Instructions (the WebAssembly 2.0 core and SIMD opcode tables).
  const get = (l: number): number[] => [0x20, ...uleb(l)];
  const set = (l: number): number[] => [0x21, ...uleb(l)];
  const tee = (l: number): number[] => [0x22, ...uleb(l)];
  const i32 = (v: number): number[] => [0x41, ...sleb(v)];
  const [add, sub, mul, geS] = [[0x6a], [0x6b], [0x6c], [0x4e]];
  const [block, loop, end, br, brIf] = [[0x02, 0x40], [0x03, 0x40], [0x0b], (l: number) => [0x0c, l], (l: number) => [0x0d, l]];
  const simd = (op: number, ...immediates: number[]): number[] => [0xfd, ...uleb(op), ...immediates];
  const load = (offset: number): number[] => simd(0x00, 4, ...uleb(offset)); // v128.load, 16-byte aligned
  const store = (offset: number): number[] => simd(0x0b, 4, ...uleb(offset)); // v128.store
  const splat = (offset: number): number[] => simd(0x0a, 3, ...uleb(offset)); // v128.load64_splat
  const [f64x2Add, f64x2Mul] = [simd(0xf0), simd(0xf2)];

  // Parameters a, b, c, panels, depth, bStride; locals t, p, pa, pb; acc[r][h] (C row r, columns 2h, 2h+1); bv[h]; av.
  const [A, B, C, PANELS, DEPTH, BSTRIDE, T, P, PA, PB] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const halves = NR / 2;
  const acc = (r: number, h: number): number => 10 + r * halves + h;
  const bv = (h: number): number => 10 + MR * halves + h;
  const av = 10 + MR * halves + halves;
  const rows = [...Array(MR).keys()];
  const lanes = [...Array(halves).keys()];
  const code = [
    ...i32(0), ...set(T),
    ...block, ...loop, // for t in 0..panels
    ...get(T), ...get(PANELS), ...geS, ...brIf(1),
    ...rows.flatMap((r) => lanes.flatMap((h) => [...get(C), ...load(16 * (r * halves + h)), ...set(acc(r, h))])),
    ...get(A), ...set(PA),
    ...get(B), ...get(T), ...get(BSTRIDE), ...mul, ...add, ...set(PB),
    ...get(DEPTH), ...set(P),
    ...loop, // depth times: acc[r][h] += A(r, p) · B(p, 2h..2h+1)
    ...lanes.flatMap((h) => [...get(PB), ...load(16 * h), ...set(bv(h))]),
    ...rows.flatMap((r) => [
      ...get(PA), ...splat(8 * r), ...set(av),
      ...lanes.flatMap((h) => [...get(acc(r, h)), ...get(av), ...get(bv(h)), ...f64x2Mul, ...f64x2Add, ...set(acc(r, h))]),
    ]),
    ...get(PA), ...i32(8 * MR), ...add, ...set(PA),
    ...get(PB), ...i32(8 * NR), ...add, ...set(PB),
    ...get(P), ...i32(1), ...sub, ...tee(P), ...brIf(0),
    ...end,
    ...rows.flatMap((r) => lanes.flatMap((h) => [...get(C), ...get(acc(r, h)), ...store(16 * (r * halves + h))])),
    ...get(C), ...i32(8 * MR * NR), ...add, ...set(C),
    ...get(T), ...i32(1), ...add, ...set(T),
    ...br(0),
    ...end, ...end,
    ...end,
  ];
  const body = [...uleb(2), ...uleb(4), I32, ...uleb(MR * halves + halves + 1), V128, ...code];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]), // type (i32 × 6) -> ()
    ...section(2, [1, ...bytes('env'), ...bytes('memory'), 0x02, 0x00, 0x01]), // import env.memory, ≥ 1 page
    ...section(3, [1, 0]), // one function of type 0
    ...section(7, [1, ...bytes('tile'), 0x00, 0x00]), // export it as `tile`
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** The WebAssembly API, typed here: the project's Node types leave it out. */
interface WasmApi {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}

interface Backend {
  kind: 'wasm' | 'js';
  /** Float64 view of the memory, at least `doubles` long (growing it renews the view). */
  view(doubles: number): Float64Array;
  tile(f: Float64Array): Tile;
}

function jsBackend(): Backend {
  let f = new Float64Array(0);
  return {
    kind: 'js',
    view: (doubles) => (f.length >= doubles ? f : (f = new Float64Array(doubles))),
    tile: jsTile,
  };
}

function wasmBackend(): Backend | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return undefined;
  try {
    const memory = new api.Memory({ initial: 1 });
    const tile = new api.Instance(new api.Module(tileModule()), { env: { memory } }).exports.tile as Tile;
    let f = new Float64Array(memory.buffer);
    return {
      kind: 'wasm',
      view(doubles) {
        if (memory.buffer.byteLength < doubles * 8) memory.grow(Math.ceil((doubles * 8 - memory.buffer.byteLength) / 65536));
        if (f.buffer !== memory.buffer) f = new Float64Array(memory.buffer);
        return f;
      },
      tile: () => tile,
    };
  } catch {
    return undefined; // no WebAssembly SIMD (a CPU without SSE4.1, or a runtime with WebAssembly off)
  }
}

let backend: Backend | undefined;
/** The backend, made on first use (importing the layers compiles nothing). */
const current = (): Backend => (backend ??= wasmBackend() ?? jsBackend());

/** Which micro-kernel `gemm` runs; the JavaScript one can be chosen (for tests) where both exist. */
export function gemmKernel(kind?: 'wasm' | 'js'): 'wasm' | 'js' {
  if (kind && kind !== current().kind) backend = kind === 'js' ? jsBackend() : (wasmBackend() ?? current());
  return current().kind;
}

/** Packs rows [i0, i0 + rows) of A: A(i, p) to at + ⌊r/MR⌋·k·MR + p·MR + r mod MR, r = i - i0. */
function packA(f: Float64Array, at: number, a: Matrix, i0: number, rows: number, k: number): void {
  const { data, rowStride, colStride } = a;
  for (let r = 0; r < rows; r++) {
    let d = at + Math.floor(r / MR) * k * MR + (r % MR);
    for (let p = 0, s = a.offset + (i0 + r) * rowStride; p < k; p++, s += colStride, d += MR) f[d] = data[s];
  }
}

/** A PackB reading B(p, j) = data[offset + p·rowStride + j·colStride], along whichever axis is contiguous. */
export function packStrided(b: Matrix, k: number): PackB {
  const { data, rowStride, colStride } = b;
  if (colStride < rowStride) {
    return (f, at, j0, j1) => {
      for (let p = 0; p < k; p++) {
        const s = b.offset + p * rowStride;
        for (let j = j0; j < j1; j++) {
          const c = j - j0;
          f[at + Math.floor(c / NR) * k * NR + p * NR + (c % NR)] = data[s + j * colStride];
        }
      }
    };
  }
  return (f, at, j0, j1) => {
    for (let j = j0; j < j1; j++) {
      const c = j - j0;
      let d = at + Math.floor(c / NR) * k * NR + (c % NR);
      for (let p = 0, s = b.offset + j * colStride; p < k; p++, s += rowStride, d += NR) f[d] = data[s];
    }
  };
}

/**
 * out[outOffset + i·outStride + j] = Σ_p A(i, p)·B(p, j) for i < m, j < n: one float64 running sum in the
 * order p = 0, 1, …, k-1 (the KC blocks carry it on), rounded to float32 once. B is a strided matrix or a
 * packer of its columns.
 */
export function gemm(m: number, k: number, n: number, a: Matrix, b: Matrix | PackB, out: Float32Array, outOffset = 0, outStride = n): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    for (let i = 0; i < m; i++) out.fill(0, outOffset + i * outStride, outOffset + i * outStride + n);
    return;
  }
  const pack = typeof b === 'function' ? b : packStrided(b, k);
  const kc = Math.ceil(k / Math.ceil(k / KC)); // equal blocks: k = 147 runs 74 + 73 deep, not 128 + 19
  const panelsA = Math.max(1, Math.floor(BUDGET / (MR * k)));
  const mSlice = Math.min(m, panelsA * MR);
  const mpMax = Math.ceil(mSlice / MR);
  const nSlice = Math.min(n, Math.max(1, Math.floor(BUDGET / (NR * Math.max(k, mpMax * MR)))) * NR);
  const npMax = Math.ceil(nSlice / NR);
  const aAt = 0;
  const bAt = mpMax * MR * k;
  const cAt = bAt + npMax * NR * k;
  const be = current();
  const f = be.view(cAt + mpMax * npMax * MR * NR);
  const tile = be.tile(f);
  for (let i0 = 0; i0 < m; i0 += mSlice) {
    const rows = Math.min(mSlice, m - i0);
    const mp = Math.ceil(rows / MR);
    if (rows % MR) f.fill(0, aAt + (mp - 1) * MR * k, aAt + mp * MR * k);
    packA(f, aAt, a, i0, rows, k);
    for (let j0 = 0; j0 < n; j0 += nSlice) {
      const cols = Math.min(nSlice, n - j0);
      const np = Math.ceil(cols / NR);
      if (cols % NR) f.fill(0, bAt + (np - 1) * NR * k, bAt + np * NR * k);
      pack(f, bAt, j0, j0 + cols);
      f.fill(0, cAt, cAt + mp * np * MR * NR);
      for (let jp = 0; jp < np; jp += NC_PANELS) {
        const panels = Math.min(NC_PANELS, np - jp);
        for (let p0 = 0; p0 < k; p0 += kc) {
          const depth = Math.min(kc, k - p0);
          for (let ip = 0; ip < mp; ip++) tile(8 * (aAt + (ip * k + p0) * MR), 8 * (bAt + (jp * k + p0) * NR), 8 * (cAt + (ip * np + jp) * MR * NR), panels, depth, 8 * NR * k);
        }
      }
      // C's tiles back to rows: tile (ip, jp) row r holds C(ip·MR + r, jp·NR + 0..NR-1).
      for (let r = 0; r < rows; r++) {
        const o = outOffset + (i0 + r) * outStride + j0;
        const t0 = cAt + Math.floor(r / MR) * np * MR * NR + (r % MR) * NR;
        for (let jp = 0; jp < np; jp++) {
          const t = t0 + jp * MR * NR;
          const j = jp * NR;
          const e = Math.min(NR, cols - j);
          for (let q = 0; q < e; q++) out[o + j + q] = f[t + q];
        }
      }
    }
  }
}
