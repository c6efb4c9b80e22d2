/**
 * BaseConvolutionLayer::LayerSetUp/Reshape (base_conv_layer.cpp), shared by Convolution and
 * Deconvolution: N-D kernel/stride/pad/dilation resolution, groups, and the weight/bias blobs.
 */
import { asList, canonicalAxis, checkInt, fmt, INT_MAX } from './common.js';
import type { LayerParams, LayerShapes, ShapeContext } from './types.js';

interface ConvParam {
  [field: string]: unknown;
  num_output: number;
  bias_term: boolean;
  group: number;
  axis: number;
}

const P = 'convolution_param';

/** One value per spatial axis from `name` (repeated) or `name_h`/`name_w`, as Caffe resolves them. */
function perAxis(ctx: ShapeContext, p: ConvParam, name: 'kernel' | 'stride' | 'pad', spatial: number, dflt?: number): number[] {
  const repeatedName = name === 'kernel' ? 'kernel_size' : name;
  const values = asList(p[repeatedName]);
  if (ctx.has(P, `${name}_h`) || ctx.has(P, `${name}_w`)) {
    if (spatial !== 2) ctx.fail(`${name}_h & ${name}_w can only be used for 2D convolution`, `${P}.${name}_h`);
    if (values.length !== 0) ctx.fail(`either ${repeatedName} or ${name}_h/w should be specified; not both`, `${P}.${repeatedName}`);
    return [Number(p[`${name}_h`]), Number(p[`${name}_w`])];
  }
  const n = values.length;
  const allowed = n === 1 || n === spatial || (dflt !== undefined && n === 0);
  if (!allowed)
    ctx.fail(
      `${repeatedName} must be specified once, or once per spatial dimension (${repeatedName} specified ${n} times; ${spatial} spatial dims)`,
      `${P}.${repeatedName}`,
    );
  return Array.from({ length: spatial }, (_, i) => (n === 0 ? dflt! : values[n === 1 ? 0 : i]));
}

/**
 * Top and blob shapes of a (de)convolution. `reverse` is Caffe's reverse_dimensions(): the weight
 * blob is [C_in, O/g, k...] instead of [O, C_in/g, k...]. `outputDim` maps one spatial axis.
 */
export function convShapes(
  ctx: ShapeContext,
  reverse: boolean,
  outputDim: (input: number, kernel: number, stride: number, pad: number, dilation: number) => number,
  /** The values compute_output_shape computes on the way, in C++ int: one beyond int's range is refused, not wrapped. */
  terms: (input: number, kernel: number, stride: number, pad: number, dilation: number) => number[],
): LayerShapes {
  const p = ctx.param<ConvParam>(P);
  if (ctx.numTops !== ctx.bottoms.length)
    ctx.fail(`${ctx.type} layer produces one top blob as output for each bottom blob input`, 'top');
  const bottom = ctx.bottoms[0];
  for (let i = 1; i < ctx.bottoms.length; i++) {
    if (fmt(ctx.bottoms[i]) !== fmt(bottom))
      ctx.fail(`shape mismatch - bottom[0]: ${fmt(bottom)} vs. bottom[${i}]: ${fmt(ctx.bottoms[i])}`, 'bottom');
  }
  const channelAxis = canonicalAxis(ctx, bottom, p.axis, `${P}.axis`);
  const spatial = bottom.length - channelAxis - 1;

  // base_conv_layer.cpp copies the uint32 fields into ints (kernel_shape_, stride_, pad_, dilation_,
  // num_output_, group_): a value above INT_MAX would be negative there.
  const kernel = perAxis(ctx, p, 'kernel', spatial);
  checkInt(ctx, kernel, ctx.has(P, 'kernel_h') ? `${P}.kernel_h` : `${P}.kernel_size`);
  if (kernel.some((k) => !(k > 0))) ctx.fail('filter dimensions must be nonzero', `${P}.kernel_size`);
  const stride = perAxis(ctx, p, 'stride', spatial, 1);
  checkInt(ctx, stride, ctx.has(P, 'stride_h') ? `${P}.stride_h` : `${P}.stride`);
  if (stride.some((s) => !(s > 0))) ctx.fail('stride dimensions must be nonzero', `${P}.stride`);
  const pad = perAxis(ctx, p, 'pad', spatial, 0);
  checkInt(ctx, pad, ctx.has(P, 'pad_h') ? `${P}.pad_h` : `${P}.pad`);
  const dil = asList(p.dilation);
  if (!(dil.length === 0 || dil.length === 1 || dil.length === spatial))
    ctx.fail(
      `dilation must be specified once, or once per spatial dimension (dilation specified ${dil.length} times; ${spatial} spatial dims)`,
      `${P}.dilation`,
    );
  const dilation = Array.from({ length: spatial }, (_, i) => (dil.length === 0 ? 1 : dil[dil.length === 1 ? 0 : i]));
  checkInt(ctx, dilation, `${P}.dilation`);

  const channels = bottom[channelAxis];
  const numOutput = p.num_output;
  checkInt(ctx, numOutput, `${P}.num_output`);
  if (!(numOutput > 0)) ctx.fail('num_output must be greater than 0', `${P}.num_output`);
  const group = p.group;
  checkInt(ctx, group, `${P}.group`);
  if (!(group > 0)) ctx.fail('group must be greater than 0', `${P}.group`);
  if (channels % group !== 0) ctx.fail(`the ${channels} input channels are not a multiple of group ${group}`, `${P}.group`);
  if (numOutput % group !== 0) ctx.fail(`number of output (${numOutput}) should be multiples of group (${group})`, `${P}.group`);

  const out = bottom.slice(channelAxis + 1).map((input, i) => {
    const overflow = terms(input, kernel[i], stride[i], pad[i], dilation[i]).find((t) => t > INT_MAX || t < -INT_MAX - 1);
    if (overflow !== undefined)
      ctx.fail(
        `spatial axis ${channelAxis + 1 + i} of size ${input} (kernel ${kernel[i]}, stride ${stride[i]}, pad ${pad[i]}, dilation ${dilation[i]}) ` +
          `overflows Caffe's int arithmetic of the output size (an intermediate ${overflow} is beyond INT_MAX)`,
        `${P}.${ctx.has(P, 'pad_h') || ctx.has(P, 'pad') ? 'pad' : 'kernel_size'}`,
      );
    const o = outputDim(input, kernel[i], stride[i], pad[i], dilation[i]);
    if (!(o > 0))
      ctx.fail(
        `spatial axis ${channelAxis + 1 + i} of size ${input} gives an empty output (kernel ${kernel[i]}, stride ${stride[i]}, pad ${pad[i]}, dilation ${dilation[i]})`,
        `${P}.kernel_size`,
      );
    return o;
  });
  const top = [...bottom.slice(0, channelAxis), numOutput, ...out];
  const [convOut, convIn] = reverse ? [channels, numOutput] : [numOutput, channels];
  const blobs = [[convOut, convIn / group, ...kernel]];
  if (p.bias_term) blobs.push([numOutput]);
  return { tops: ctx.bottoms.map(() => [...top]), blobs };
}

/** base_conv_layer.cpp's kDefaultPad, kDefaultStride, kDefaultDilation: what an unset repeated pad/stride/dilation means. */
export const CONV_UNSET_REPEATED = { [`${P}.pad`]: '0', [`${P}.stride`]: '1', [`${P}.dilation`]: '1' } as const;

/** One value per spatial axis as a label shows it: '3' when all agree, else '3×1'. */
const axesText = (values: readonly number[]): string => (values.every((v) => v === values[0]) ? String(values[0]) : values.join('×'));

/**
 * The node label of a (de)convolution: kernel, then stride, pad, dilation where they are not Caffe's
 * defaults, then num_output and group (when not 1): '11×11 /4, 96', '5×5 pad 2, 256, group 2'.
 */
export function convKeyParams(params: LayerParams): string {
  const p = params.param<ConvParam>(P);
  const pick = (name: 'kernel' | 'stride' | 'pad'): number[] => {
    if (params.has(P, `${name}_h`) || params.has(P, `${name}_w`)) return [Number(p[`${name}_h`]), Number(p[`${name}_w`])];
    return asList(p[name === 'kernel' ? 'kernel_size' : name]);
  };
  const kernel = pick('kernel');
  const k = kernel.length === 1 ? `${kernel[0]}×${kernel[0]}` : kernel.join('×');
  const unlike = (values: number[], dflt: number): number[] => (values.some((v) => v !== dflt) ? values : []);
  const stride = unlike(pick('stride'), 1);
  const pad = unlike(pick('pad'), 0);
  const dilation = unlike(asList(p.dilation), 1);
  const geometry = [k, stride.length > 0 && `/${axesText(stride)}`, pad.length > 0 && `pad ${axesText(pad)}`, dilation.length > 0 && `dilation ${axesText(dilation)}`];
  return [geometry.filter(Boolean).join(' '), String(p.num_output), p.group !== 1 && `group ${p.group}`].filter(Boolean).join(', ');
}
