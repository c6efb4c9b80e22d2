import { describe, expect, it } from 'vitest';
import { setSource, type Message } from '../../../src/main/caffe/message.js';
import { createShapeContext, supportedLayerTypes } from '../../../src/main/layers/index.js';
import { ShapeError } from '../../../src/shared/errors.js';

describe('createShapeContext', () => {
  const conv: Message = {
    name: 'conv1',
    type: 'Convolution',
    bottom: ['data'],
    top: ['conv1'],
    convolution_param: { num_output: 8, kernel_size: [3], weight_filler: { type: 'xavier' } },
  };

  it('exposes the layer, its name, type, bottoms and top count', () => {
    const ctx = createShapeContext(conv, [[1, 3, 8, 8]], 1);
    expect([ctx.name, ctx.type, ctx.bottoms, ctx.numTops, ctx.layer]).toEqual(['conv1', 'Convolution', [[1, 3, 8, 8]], 1, conv]);
  });

  it("fills the parameter message with caffe.proto's defaults, keeping what the layer sets", () => {
    const p = createShapeContext(conv, [], 1).param<Message>('convolution_param');
    expect(p).toMatchObject({ num_output: 8, kernel_size: [3], bias_term: true, group: 1, axis: 1, stride: [], pad_h: 0 });
    expect(p.weight_filler).toMatchObject({ type: 'xavier', std: 1 });
    expect(p.bias_filler).toBeUndefined();
  });

  it('fills defaults of a parameter the layer leaves out altogether, enums by name', () => {
    const p = createShapeContext({ name: 'pool', type: 'Pooling' }, [], 1).param<Message>('pooling_param');
    expect(p).toMatchObject({ pool: 'MAX', round_mode: 'CEIL', stride: 1, global_pooling: false });
  });

  it("answers has() as Caffe's has_x(): set fields only, defaults excluded", () => {
    const ctx = createShapeContext(conv, [], 1);
    expect(ctx.has('convolution_param', 'num_output')).toBe(true);
    expect(ctx.has('convolution_param', 'group')).toBe(false);
    expect(ctx.has('pooling_param', 'kernel_size')).toBe(false);
  });

  it('refuses a field that is not a parameter message of LayerParameter', () => {
    expect(() => createShapeContext(conv, [], 1).param('name')).toThrow(/no message field/);
  });

  it('fails with a ShapeError located at the layer in its file, naming the layer and the field', () => {
    const layer: Message = { ...conv };
    setSource(layer, { file: 'deploy.prototxt', line: 12, column: 1 });
    let err: unknown;
    try {
      createShapeContext(layer, [], 1).fail('kernel too large', 'convolution_param.kernel_size');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    const e = err as ShapeError;
    expect(e.location).toEqual({ file: 'deploy.prototxt', line: 12, column: 1, layer: 'conv1', field: 'convolution_param.kernel_size' });
    expect(e.message).toBe("deploy.prototxt:12:1, layer 'conv1', field 'convolution_param.kernel_size': kernel too large");
    expect(e.toJSON().code).toBe('ShapeError');
  });
});

describe('layer registry', () => {
  it('registers every layer type Portafilter supports, once each', () => {
    const expected = [
      'Accuracy', 'Data', 'DummyData', 'EuclideanLoss', 'HDF5Data', 'ImageData', 'MemoryData', 'SigmoidCrossEntropyLoss', 'SoftmaxWithLoss',
      'AbsVal', 'ArgMax', 'BNLL', 'BatchNorm', 'Bias', 'Clip', 'Concat', 'Convolution', 'Crop', 'Deconvolution',
      'DetectionOutput', 'Dropout', 'ELU', 'Eltwise', 'Exp', 'Flatten', 'InnerProduct', 'Input', 'LRN', 'Log', 'MVN',
      'Normalize', 'PReLU', 'Permute', 'Pooling', 'Power', 'PriorBox', 'ReLU', 'Reduction', 'Reshape', 'Scale',
      'Sigmoid', 'Silence', 'Slice', 'Softmax', 'Split', 'Swish', 'TanH', 'Threshold', 'Tile',
    ];
    expect(supportedLayerTypes()).toEqual([...expected].sort());
  });
});
