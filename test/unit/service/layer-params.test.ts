/**
 * layerParams: every field of a layer's parameter messages with Caffe's defaults (caffe.proto's, and
 * Caffe's own for repeated fields a proto cannot default), and whether the prototxt sets it. Expected
 * values read off bvlc_alexnet.prototxt and caffe.proto.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ParamField } from '../../../src/shared/api.js';
import { createService } from '../../../src/main/service/index.js';
import { fixture } from '../../helpers/fixtures.js';

const service = createService();
afterAll(() => service.dispose());
const alexnet = service.call('openModel', { prototxt: fixture('prototxts', 'bvlc_alexnet.prototxt') }).then((s) => s.id);

const byPath = (fields: ParamField[]): Record<string, { value: string; set: boolean }> =>
  Object.fromEntries(fields.map((f) => [f.path, { value: f.value, set: f.set }]));

describe('layerParams', () => {
  it("lists conv1's convolution_param: num_output 96 and stride 4 set, pad 0 and bias_term true Caffe's defaults", async () => {
    const { layer, fields } = await service.call('layerParams', { id: await alexnet, layer: 'conv1' });
    expect(layer).toBe('conv1');
    const f = byPath(fields);
    expect(f['convolution_param.num_output']).toEqual({ value: '96', set: true });
    expect(f['convolution_param.kernel_size']).toEqual({ value: '11', set: true });
    expect(f['convolution_param.stride']).toEqual({ value: '4', set: true });
    expect(f['convolution_param.pad']).toEqual({ value: '0', set: false });
    expect(f['convolution_param.dilation']).toEqual({ value: '1', set: false });
    expect(f['convolution_param.bias_term']).toEqual({ value: 'true', set: false });
    expect(f['convolution_param.group']).toEqual({ value: '1', set: false });
    expect(f['convolution_param.engine']).toEqual({ value: 'DEFAULT', set: false });
    expect(f['convolution_param.weight_filler']).toEqual({ value: '{}', set: false });
    expect(f.param).toEqual({ value: '[{ lr_mult: 1 decay_mult: 1 }, { lr_mult: 2 decay_mult: 0 }]', set: true });
    // Shown elsewhere in the inspector.
    for (const shown of ['name', 'type', 'bottom', 'top']) expect(f[shown]).toBeUndefined();
  });

  it("gives every field of caffe.proto's PoolingParameter once, with MAX, kernel 3, stride 2 set and CEIL by default", async () => {
    const { fields } = await service.call('layerParams', { id: await alexnet, layer: 'pool1' });
    const pooling = fields.filter((f) => f.path.startsWith('pooling_param.')).map((f) => f.path.slice('pooling_param.'.length));
    expect(pooling).toEqual(['pool', 'pad', 'pad_h', 'pad_w', 'kernel_size', 'kernel_h', 'kernel_w', 'stride', 'stride_h', 'stride_w', 'engine', 'global_pooling', 'round_mode']);
    expect(byPath(fields)).toMatchObject({
      'pooling_param.pool': { value: 'MAX', set: true },
      'pooling_param.kernel_size': { value: '3', set: true },
      'pooling_param.stride': { value: '2', set: true },
      'pooling_param.round_mode': { value: 'CEIL', set: false },
    });
  });

  it("writes floats as prototxt does (LRN alpha 0.0001) and the Input's shape as text", async () => {
    const id = await alexnet;
    expect(byPath((await service.call('layerParams', { id, layer: 'norm1' })).fields)).toMatchObject({
      'lrn_param.local_size': { value: '5', set: true },
      'lrn_param.alpha': { value: '0.0001', set: true },
      'lrn_param.k': { value: '1', set: false },
      'lrn_param.norm_region': { value: 'ACROSS_CHANNELS', set: false },
    });
    expect(byPath((await service.call('layerParams', { id, layer: 'data' })).fields)['input_param.shape']).toEqual({ value: '{ dim: 10 dim: 3 dim: 227 dim: 227 }', set: true });
    expect(byPath((await service.call('layerParams', { id, layer: 'drop6' })).fields)['dropout_param.dropout_ratio']).toEqual({ value: '0.5', set: true });
  });

  it('names an unknown layer', async () => {
    await expect(service.call('layerParams', { id: await alexnet, layer: 'conv9' })).rejects.toThrow(/layer 'conv9': the model has no layer 'conv9'/);
  });
});
