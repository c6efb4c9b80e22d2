import { describe, expect, it } from 'vitest';
import { messageType, withDefaults } from '../../src/main/caffe/schema.js';

describe('caffe.proto schema', () => {
  it('numbers LayerParameter fields as Caffe does', () => {
    const layer = messageType('LayerParameter');
    expect(layer.fields.layer).toBeUndefined();
    expect(layer.fields.convolution_param.id).toBe(106);
    expect(layer.fields.batch_norm_param.id).toBe(139);
    expect(layer.fields.permute_param.id).toBe(202);
    expect(messageType('NetParameter').fields.layer.id).toBe(100);
    expect(messageType('NetParameter').fields.layers.id).toBe(2);
    expect(messageType('V1LayerParameter').fields.blobs.id).toBe(6);
    expect(messageType('V0LayerParameter').fields.blobs.id).toBe(50);
    expect(messageType('BlobProto').fields.data.id).toBe(5);
    expect(messageType('BlobProto').fields.double_data.id).toBe(8);
  });

  it('fills Caffe defaults, enums by name', () => {
    const p = withDefaults<{ pool: string; stride: number; round_mode: string; pad: number }>('PoolingParameter', {});
    expect(p).toMatchObject({ pool: 'MAX', stride: 1, round_mode: 'CEIL', pad: 0 });
    const d = withDefaults<{ code_type: string; keep_top_k: number }>('DetectionOutputParameter', {});
    expect(d).toMatchObject({ code_type: 'CORNER', keep_top_k: -1 });
    const c = withDefaults<{ kernel_size: number[]; bias_term: boolean }>('ConvolutionParameter', {});
    expect(c.kernel_size).toEqual([]);
    expect(c.bias_term).toBe(true);
  });
});

describe('withDefaults on nested messages', () => {
  it('fills defaults inside present sub-messages and repeated sub-messages', () => {
    const c = withDefaults<{ weight_filler: { type: string; std: number; value: number } }>('ConvolutionParameter', {
      weight_filler: { std: 0.01 },
    });
    expect(c.weight_filler).toEqual(expect.objectContaining({ type: 'constant', std: 0.01, value: 0 }));
    const d = withDefaults<{ nms_param: { nms_threshold: number; eta: number } }>('DetectionOutputParameter', { nms_param: { top_k: 100 } });
    expect(d.nms_param).toEqual(expect.objectContaining({ nms_threshold: Math.fround(0.3), eta: 1, top_k: 100 }));
    const i = withDefaults<{ shape: { dim: number[] }[] }>('InputParameter', { shape: [{ dim: [1, 3] }, {}] });
    expect(i.shape).toEqual([{ dim: [1, 3] }, { dim: [] }]);
  });
});
