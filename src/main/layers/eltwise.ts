import { op, scaleBy } from '../export/onnx-ops.js';
import { asList, fmt, label, num } from './common.js';
import { registerLayer } from './registry.js';
import { blob } from './reference-kernels.js';
import { outputLike } from '../keras/layout.js';

registerLayer({
  type: 'Eltwise',
  meta: {
    category: 'merge',
    // eltwise_layer.cpp: without coeff every bottom is weighted 1.
    unsetRepeated: { 'eltwise_param.coeff': '1' },
    keyParams: (p) => label(String(p.param('eltwise_param').operation), p.has('eltwise_param', 'coeff') && `coeff ${asList(p.param('eltwise_param').coeff).map(num).join(', ')}`),
  },
  bottoms: { min: 2 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ operation: 'PROD' | 'SUM' | 'MAX'; coeff: number[] }>('eltwise_param');
    const xs = ctx.inputs;
    // eltwise_layer.cpp: PROD multiplies and SUM accumulates in bottom order; MAX takes the maximum (ties keep the first).
    if (p.operation === 'MAX') return [op(ctx, 'Max', xs, {}, ctx.top(0))];
    // SUM: top = Σ coeff_i·x_i (coefficients default to 1).
    const terms = p.operation === 'PROD' ? xs : xs.map((x, i) => scaleBy(ctx, x, p.coeff.length > 0 ? p.coeff[i] : 1, `coeff${i}`));
    const opType = p.operation === 'PROD' ? 'Mul' : 'Add';
    let acc = terms[0];
    for (let i = 1; i < terms.length; i++) acc = op(ctx, opType, [acc, terms[i]], {}, i === terms.length - 1 ? ctx.top(0) : undefined);
    return [acc];
  },
  reference(ctx) {
    const p = ctx.param<{ operation: 'PROD' | 'SUM' | 'MAX'; coeff: number[] }>('eltwise_param');
    const [first, ...rest] = ctx.bottoms;
    const out = new Float32Array(first.data);
    if (p.operation === 'PROD') {
      for (const b of rest) for (let i = 0; i < out.length; i++) out[i] *= b.data[i];
    } else if (p.operation === 'MAX') {
      for (const b of rest) for (let i = 0; i < out.length; i++) if (b.data[i] > out[i]) out[i] = b.data[i];
    } else {
      // eltwise_layer.cpp: SUM weights bottom i by coeff[i] (1 when no coeff is given).
      const coeff = p.coeff.length > 0 ? p.coeff : ctx.bottoms.map(() => 1);
      for (let i = 0; i < out.length; i++) {
        let s = 0;
        for (let b = 0; b < ctx.bottoms.length; b++) s += coeff[b] * ctx.bottoms[b].data[i];
        out[i] = s;
      }
    }
    return [blob(first.shape, out)];
  },
  shapes(ctx) {
    const p = ctx.param<{ operation: 'PROD' | 'SUM' | 'MAX'; coeff: number[] }>('eltwise_param');
    const coeffs = p.coeff.length;
    if (coeffs !== 0 && coeffs !== ctx.bottoms.length)
      ctx.fail(`Eltwise layer takes one coefficient per bottom blob (${coeffs} coefficients, ${ctx.bottoms.length} bottoms)`, 'eltwise_param.coeff');
    // eltwise_layer.cpp only refuses coefficients with PROD; MAX accepts and ignores them.
    if (p.operation === 'PROD' && coeffs > 0) ctx.fail('Eltwise layer only takes coefficients for summation', 'eltwise_param.coeff');
    const first = ctx.bottoms[0];
    ctx.bottoms.forEach((b, i) => {
      if (fmt(b) !== fmt(first)) ctx.fail(`bottom[0]: ${fmt(first)}, bottom[${i}]: ${fmt(b)} must have the same shape`, 'bottom');
    });
    return { tops: [[...first]], blobs: [] };
  },
  keras(ctx) {
    const p = ctx.param<{ operation: 'PROD' | 'SUM' | 'MAX'; coeff: number[] }>('eltwise_param');
    const first = ctx.inputs[0];
    const xs = ctx.inputs.map((t) => ctx.relayout(t, first.perm));
    const out = [outputLike(first, ctx.topShapes[0])];
    if (p.operation === 'PROD') return ctx.add({ className: 'Multiply', config: {} }, xs, out);
    if (p.operation === 'MAX') return ctx.add({ className: 'Maximum', config: {} }, xs, out);
    // eltwise_layer.cpp SUM: Σ coeff_i·x_i; a coefficient other than 1 is a Rescaling (one multiply, as Caffe's axpy) before Add.
    const terms = xs.map((x, i) => {
      const c = p.coeff.length > 0 ? p.coeff[i] : 1;
      return c === 1 ? x : ctx.add({ className: 'Rescaling', config: { scale: c, offset: 0 }, suffix: `coeff${i}` }, [x], [outputLike(x)])[0];
    });
    return ctx.add({ className: 'Add', config: {} }, terms, out);
  },
});
