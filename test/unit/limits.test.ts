/**
 * Caffe's limits, refused with Caffe's reasons before anything is computed with them:
 *   - Blob::Reshape (src/caffe/blob.cpp) CHECKs every blob it allocates: at most 32 axes, each
 *     dimension >= 0, and axis by axis shape[i] <= INT_MAX / count ("blob size exceeds INT_MAX").
 *     That holds for every top, every learnable blob, every input shape and every caffemodel blob.
 *   - A layer copies its uint32 parameters into C++ ints (base_conv_layer.cpp: num_output_,
 *     kernel_shape_, stride_, pad_ ...), where a value above INT_MAX would be negative; its int
 *     arithmetic of output sizes must not overflow either.
 *   - A value outside its caffe.proto field type (uint32: 0 to 2^32 - 1) is a parse error, as in
 *     protobuf's TextFormat.
 * Every refusal is a typed error naming the file and line (and the layer and field), or the option.
 */
import { describe, expect, it } from 'vitest';
import { parseBinaryProto } from '../../src/main/caffe/binaryproto.js';
import { parseCaffeModel, type CaffeModelErrorDetails } from '../../src/main/caffe/caffemodel.js';
import { parsePrototxt } from '../../src/main/caffe/prototxt.js';
import { upgradeNet } from '../../src/main/caffe/upgrade.js';
import { parseInputShapes } from '../../src/main/cli/inspect.js';
import { buildNetGraph } from '../../src/main/net/graph.js';
import { readNetDefinition } from '../../src/main/net/model.js';
import { inferShapes } from '../../src/main/net/shapes.js';
import { CaffeModelError, CaffeParseError, ShapeError, type PortafilterError } from '../../src/shared/errors.js';
import { encode, tempFile } from '../helpers/caffe-bytes.js';

const FILE = 'limits.prototxt';
const INT_MAX = 2147483647;

/** The net of `layers` (one per line, from line 2) after an Input of `shape` on line 1. */
const net = (shape: number[], ...layers: string[]): string =>
  [`layer { name: "data" type: "Input" top: "data" input_param { shape { ${shape.map((d) => `dim: ${d}`).join(' ')} } } }`, ...layers].join('\n');

const shapesOf = (text: string, inputShapes?: Record<string, number[]>) =>
  inferShapes(buildNetGraph(upgradeNet(parsePrototxt(text, FILE), FILE).net, FILE), inputShapes);

/** The error `run` throws, checked to be of type `type`. */
function errorOf<T extends PortafilterError>(type: new (...args: never[]) => T, run: () => unknown): T {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as T;
  }
  throw new Error('expected an error, none was thrown');
}

/** The ShapeError of the net's shape pass, checked to name the file, the line and the layer. */
function shapeError(text: string, line: number, layer: string, inputShapes?: Record<string, number[]>): ShapeError {
  const e = errorOf(ShapeError, () => shapesOf(text, inputShapes));
  expect(e.location).toMatchObject({ file: FILE, line, layer });
  expect(e.message).toContain(`${FILE}:${line}:`);
  return e;
}

const conv = (params: string) => `layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { ${params} } }`;

describe('every blob the shape pass makes fits a Caffe blob (Blob::Reshape)', () => {
  it('refuses a Convolution top of more than INT_MAX values, naming the top, the layer and its line', () => {
    // 2 × 40000 × 40000 = 3.2e9 values: Blob::Reshape's CHECK_LE(shape[i], INT_MAX / count_) fails on the last axis.
    const e = shapeError(net([1, 1, 40000, 40000], conv('num_output: 2 kernel_size: 1')), 2, 'conv');
    expect(e.location?.field).toBe('top');
    expect(e.reason).toBe(
      "top 0 'conv' would have shape [1, 2, 40000, 40000], which holds 3200000000 values, more than INT_MAX (2147483647) (Blob::Reshape: blob size exceeds INT_MAX)",
    );
  });

  it('refuses a Tile of 10^9 tiles: 4 × 10^9 values', () => {
    const tile = 'layer { name: "tile" type: "Tile" bottom: "data" top: "tile" tile_param { tiles: 1000000000 } }';
    const e = shapeError(net([1, 4], tile), 2, 'tile');
    expect(e.reason).toMatch(/^top 0 'tile' would have shape \[1, 4000000000\], which holds 4000000000 values, more than INT_MAX/);
  });

  it('refuses a learnable blob of more than INT_MAX values: InnerProduct weights of 10^5 × 10^5', () => {
    const ip = 'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 100000 } }';
    const e = shapeError(net([1, 100000], ip), 2, 'fc');
    expect(e.location?.field).toBe('blobs');
    expect(e.reason).toMatch(/^learnable blob 0 would have shape \[100000, 100000\], which holds 10000000000 values, more than INT_MAX/);
  });

  it('allows a blob of exactly INT_MAX values, as Caffe does', () => {
    expect(shapesOf(net([1, INT_MAX])).layers[0].topShapes).toEqual([[1, INT_MAX]]);
  });

  it('refuses an Input shape in the prototxt beyond INT_MAX values (50 × 2·10^10), naming the Input layer', () => {
    const e = shapeError(net([50, 20000000000]), 1, 'data');
    expect(e.reason).toMatch(/\[50, 20000000000\] holds 1000000000000 values, more than INT_MAX/);
  });

  it('refuses an input shape given by the caller beyond INT_MAX, negative or fractional, naming the input', () => {
    const text = net([1, 1, 28, 28]);
    expect(shapeError(text, 1, 'data', { data: [99999, 99999, 1, 1] }).reason).toMatch(
      /^the shape given for input 'data', \[99999, 99999, 1, 1\], holds 9999800001 values, more than INT_MAX/,
    );
    expect(shapeError(text, 1, 'data', { data: [1, -3, 28, 28] }).reason).toMatch(/dimension 1 = -3, negative/);
    expect(shapeError(text, 1, 'data', { data: [1, 1.5] }).reason).toMatch(/dimension 1 = 1.5, not an integer/);
    expect(shapeError(text, 1, 'data', { data: [1, 1.5] }).location?.field).toBe('input_shape');
  });
});

describe("a layer's uint32 parameters fit the int Caffe keeps them in", () => {
  const tooBig = (params: string, field: string, value: number) => {
    const e = shapeError(net([1, 3, 8, 8], conv(params)), 2, 'conv');
    expect(e.location?.field).toBe(`convolution_param.${field}`);
    expect(e.reason).toContain(`${value} is above INT_MAX (2147483647): Caffe keeps it in an int`);
    return e;
  };

  it('refuses num_output 2147483648, which base_conv_layer.cpp would hold as -2147483648', () => {
    expect(tooBig('num_output: 2147483648 kernel_size: 1', 'num_output', 2147483648).reason).toMatch(/where it would be -2147483648$/);
  });

  it('refuses a pad, kernel, stride, dilation or group above INT_MAX', () => {
    tooBig('num_output: 1 kernel_size: 1 pad: 2147483648', 'pad', 2147483648);
    tooBig('num_output: 1 kernel_size: 4294967295', 'kernel_size', 4294967295);
    tooBig('num_output: 1 kernel_h: 3000000000 kernel_w: 1', 'kernel_h', 3000000000);
    tooBig('num_output: 1 kernel_size: 1 stride: 2147483648', 'stride', 2147483648);
    tooBig('num_output: 1 kernel_size: 1 dilation: 2147483648', 'dilation', 2147483648);
    tooBig('num_output: 1 kernel_size: 1 group: 2147483649', 'group', 2147483649);
  });

  it('refuses a pad whose int arithmetic of the output size overflows (8 + 2·2^30 > INT_MAX)', () => {
    // conv_layer.cpp compute_output_shape: (input_dim + 2 * pad - kernel_extent) / stride + 1, in int.
    const e = shapeError(net([1, 3, 8, 8], conv('num_output: 1 kernel_size: 1 pad: 1073741824')), 2, 'conv');
    expect(e.reason).toMatch(/spatial axis 2 of size 8 .* overflows Caffe's int arithmetic of the output size/);
  });

  it('refuses a Deconvolution stride whose int arithmetic overflows (2^30 · (8 - 1))', () => {
    // deconv_layer.cpp compute_output_shape: stride * (input_dim - 1) + kernel_extent - 2 * pad, in int.
    const deconv = 'layer { name: "up" type: "Deconvolution" bottom: "data" top: "up" convolution_param { num_output: 1 kernel_size: 1 stride: 1073741824 } }';
    expect(shapeError(net([1, 3, 8, 8], deconv), 2, 'up').reason).toMatch(/overflows Caffe's int arithmetic/);
  });

  it('refuses Pooling kernel, stride and pad above INT_MAX, and a pad that overflows the output size', () => {
    const pool = (params: string) => net([1, 3, 8, 8], `layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { ${params} } }`);
    expect(shapeError(pool('kernel_size: 2147483648'), 2, 'pool').location?.field).toBe('pooling_param.kernel_size');
    expect(shapeError(pool('kernel_size: 2 stride: 4294967295'), 2, 'pool').location?.field).toBe('pooling_param.stride');
    expect(shapeError(pool('kernel_size: 2147483647 pad: 1073741824'), 2, 'pool').reason).toMatch(/overflows Caffe's int arithmetic/);
  });

  it('refuses an LRN local_size of 2^31 + 1, which lrn_layer.cpp would see as negative and even', () => {
    const lrn = 'layer { name: "norm" type: "LRN" bottom: "data" top: "norm" lrn_param { local_size: 2147483649 } }';
    expect(shapeError(net([1, 3, 8, 8], lrn), 2, 'norm').location?.field).toBe('lrn_param.local_size');
  });

  it('refuses a Reshape dim of 2^32, which reshape_layer.cpp would read as 0 (copy the bottom axis)', () => {
    const reshape = 'layer { name: "r" type: "Reshape" bottom: "data" top: "r" reshape_param { shape { dim: 4294967296 dim: -1 } } }';
    expect(shapeError(net([1, 3, 8, 8], reshape), 2, 'r').location?.field).toBe('reshape_param.shape');
  });
});

describe('dimensions Caffe requires to be positive', () => {
  it('refuses a Convolution of num_output 0, kernel 0 or stride 0 (base_conv_layer.cpp CHECK_GT)', () => {
    expect(shapeError(net([1, 3, 8, 8], conv('num_output: 0 kernel_size: 1')), 2, 'conv').location?.field).toBe('convolution_param.num_output');
    expect(shapeError(net([1, 3, 8, 8], conv('num_output: 1 kernel_size: 0')), 2, 'conv').location?.field).toBe('convolution_param.kernel_size');
    expect(shapeError(net([1, 3, 8, 8], conv('num_output: 1 kernel_size: 1 stride: 0')), 2, 'conv').location?.field).toBe('convolution_param.stride');
  });

  it('refuses an InnerProduct of num_output 0, whose empty weights fail the filler (filler.hpp: CHECK(count))', () => {
    const ip = 'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 0 } }';
    expect(shapeError(net([1, 10], ip), 2, 'fc').location?.field).toBe('inner_product_param.num_output');
  });

  it('refuses a learnable blob that would be empty: Convolution weights over 0 input channels', () => {
    // Set-up fills every learnable blob, and filler.hpp CHECK(blob->count()) fails on an empty one.
    const e = shapeError(net([1, 0, 8, 8], conv('num_output: 2 kernel_size: 1')), 2, 'conv');
    expect(e.reason).toBe('learnable blob 0 would have shape [2, 0, 1, 1], which holds no values; Caffe fills it at set-up, and an empty blob fails there');
  });

  it('refuses a Convolution whose output would be empty', () => {
    expect(shapeError(net([1, 3, 8, 8], conv('num_output: 1 kernel_size: 9')), 2, 'conv').reason).toMatch(/gives an empty output/);
  });
});

describe('values outside their caffe.proto field type are refused by the prototxt reader', () => {
  it('refuses num_output: 4294967296 (uint32) with the file, line and column of the value', async () => {
    const file = tempFile('uint32.prototxt', net([1, 3, 8, 8], conv('num_output: 4294967296 kernel_size: 1')));
    const e = await readNetDefinition(file).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(CaffeParseError);
    const column = conv('num_output: 4294967296').indexOf('4294967296') + 1;
    expect((e as CaffeParseError).location).toMatchObject({ file, line: 2, column, field: 'num_output' });
    expect((e as CaffeParseError).message).toBe(`${file}:2:${column}, field 'num_output': value 4294967296 out of range for uint32 field 'num_output'`);
  });
});

describe('--input-shape', () => {
  const refused = (spec: string, reason: RegExp) => {
    const e = errorOf(ShapeError, () => parseInputShapes([spec]));
    expect(e.location).toEqual({ field: '--input-shape' });
    expect(e.message).toMatch(/^field '--input-shape': /);
    expect(e.reason).toMatch(reason);
  };

  it('reads NAME=N,C,H,W and NAME=NxCxHxW, several of them', () => {
    expect(parseInputShapes(['data=1,3,224,224', 'im_info=1x3'])).toEqual({ data: [1, 3, 224, 224], im_info: [1, 3] });
  });

  it('refuses a dimension beyond INT_MAX, and a shape of more than INT_MAX values', () => {
    refused('data=99999999999999999999,1,28,28', /dimension 0 \(99999999999999999999\) is above INT_MAX \(2147483647\)/);
    refused('data=2147483648', /dimension 0 \(2147483648\) is above INT_MAX/);
    refused('data=65536,65536', /holds more than INT_MAX \(2147483647\) values/);
    expect(parseInputShapes([`data=1,${INT_MAX}`])).toEqual({ data: [1, INT_MAX] });
  });

  it('refuses empty, negative and non-decimal dimensions', () => {
    refused('data=1,,28,28', /dimension 1 is empty/);
    refused('data=', /dimension 0 is empty/);
    refused('data=1,-3,28,28', /dimension 1 \(-3\) is negative/);
    // ('0x10' is no example: x separates dimensions, so it reads as 0, 10.)
    for (const d of ['0b1', '1e3', '2.5', '+3', 'three']) refused(`data=1,${d}`, new RegExp(`dimension 1 \\('${d.replace(/[.+]/g, '\\$&')}'\\) is not a decimal integer`));
  });

  it('refuses a spec without a name or without =, and a name given twice', () => {
    refused('1,3,224,224', /expected NAME=N,C,H,W/);
    refused('=1,3', /the input name before the = is empty/);
    const e = errorOf(ShapeError, () => parseInputShapes(['data=1,3', 'data=1,4']));
    expect(e.reason).toMatch(/input 'data' is given a shape twice/);
  });
});

describe('every blob of a caffemodel or binaryproto fits a Caffe blob (Blob::FromProto reshapes first)', () => {
  const caffeError = (run: () => unknown) => errorOf(CaffeModelError, run) as CaffeModelError & { details: CaffeModelErrorDetails };
  const model = (blob: Record<string, unknown>) => encode('NetParameter', { name: 'n', layer: [{ name: 'fc', type: 'InnerProduct', blobs: [blob] }] });

  it('refuses a blob shape of 65536 × 65536 values, naming the layer, the blob and its offset', () => {
    const e = caffeError(() => parseCaffeModel(model({ shape: { dim: [65536, 65536] } }), 'big.caffemodel'));
    expect(e.details).toEqual({ kind: 'blob', path: "layer #0 'fc' blob 0" });
    expect(e.location?.offset).toBeGreaterThan(0);
    expect(e.reason).toMatch(/its shape \[65536, 65536\] holds more than INT_MAX \(2147483647\) values/);
  });

  it('refuses legacy num/channels/height/width of more than INT_MAX values', () => {
    const e = caffeError(() => parseCaffeModel(model({ num: 1, channels: 65536, height: 256, width: 256 }), 'legacy.caffemodel'));
    expect(e.reason).toMatch(/legacy num\/channels\/height\/width \[1, 65536, 256, 256\] holds more than INT_MAX/);
  });

  it('refuses a mean .binaryproto of more than INT_MAX values', () => {
    const e = caffeError(() => parseBinaryProto(encode('BlobProto', { shape: { dim: [3, 50000, 50000] } }), 'mean.binaryproto'));
    expect(e.details.kind).toBe('blob');
    expect(e.reason).toMatch(/holds more than INT_MAX/);
  });
});
