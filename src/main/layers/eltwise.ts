import { fmt } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Eltwise',
  bottoms: { min: 2 },
  tops: { min: 1, max: 1 },
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
});
