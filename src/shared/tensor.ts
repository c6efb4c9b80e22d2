/** Pure helpers on row-major tensors and axis permutations, usable anywhere. */

/** inverse[perm[i]] = i. */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

export const isIdentityPerm = (perm: readonly number[]): boolean => perm.every((p, i) => p === i);

/** numpy's `x.transpose(perm)` of row-major `data` with `shape`, as a new array (the same one for the identity). */
export function transposeData<T extends Float32Array | Int32Array>(data: T, shape: readonly number[], perm: readonly number[]): T {
  if (perm.length !== shape.length) throw new Error(`transpose: perm [${perm.join(', ')}] does not fit shape [${shape.join(', ')}]`);
  if (isIdentityPerm(perm)) return data;
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const strides = perm.map((p) => inStrides[p]);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  if (rank === 4) {
    const [d0, d1, d2, d3] = outShape;
    const [s0, s1, s2, s3] = strides;
    let o = 0;
    for (let a = 0; a < d0; a++)
      for (let b = 0; b < d1; b++)
        for (let c = 0; c < d2; c++) {
          let src = a * s0 + b * s1 + c * s2;
          for (let d = 0; d < d3; d++, src += s3) out[o++] = data[src];
        }
    return out;
  }
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += index[i] * strides[i];
    out[o] = data[src];
    for (let i = rank - 1; i >= 0 && ++index[i] === outShape[i]; i--) index[i] = 0;
  }
  return out;
}
