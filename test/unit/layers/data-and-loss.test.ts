import { describe, expect, it } from 'vitest';
import { layerDef } from '../../../src/main/layers/index.js';
import { expectShapeError, shapesOf, topsOf } from './helpers.js';

const source = (type: string, params: Record<string, unknown>, tops = ['data', 'label']) => ({ name: type.toLowerCase(), type, top: tops, ...params });

describe('data layers (their tops are net inputs)', () => {
  it('marks Input and the data layers as data, and losses and Accuracy as loss', () => {
    for (const t of ['Input', 'ImageData', 'MemoryData', 'DummyData', 'Data', 'HDF5Data']) expect(layerDef(t)?.role, t).toBe('data');
    for (const t of ['Accuracy', 'SoftmaxWithLoss', 'EuclideanLoss', 'SigmoidCrossEntropyLoss']) expect(layerDef(t)?.role, t).toBe('loss');
  });

  it('ImageData: batch x 3 x new_height x new_width images and one label each', () => {
    expect(topsOf(source('ImageData', { image_data_param: { batch_size: 5, new_height: 256, new_width: 192 } }), [])).toEqual([[5, 3, 256, 192], [5]]);
  });

  it('ImageData: is_color false gives one channel, crop_size crops', () => {
    const l = source('ImageData', { image_data_param: { batch_size: 2, new_height: 40, new_width: 40, is_color: false }, transform_param: { crop_size: 32 } });
    expect(topsOf(l, [])).toEqual([[2, 1, 32, 32], [2]]);
  });

  it('ImageData without new_height/new_width needs a given shape, and says how to give it', () => {
    expectShapeError(() => shapesOf(source('ImageData', { image_data_param: { batch_size: 2 } }), []), 'image_data_param.new_height', /first image.*input shape, data=N,C,H,W \(the Input shapes field; --input-shape on the command line\)/);
    expect(topsOf(source('ImageData', { image_data_param: { batch_size: 2 } }), [], 2, [[2, 3, 64, 48]])).toEqual([[2, 3, 64, 48], [2]]);
  });

  it('ImageData requires new_height and new_width together', () => {
    expectShapeError(() => shapesOf(source('ImageData', { image_data_param: { new_height: 8 } }), []), 'image_data_param.new_height', /together/);
  });

  it('MemoryData: [batch_size, channels, height, width] and labels', () => {
    const l = source('MemoryData', { memory_data_param: { batch_size: 4, channels: 3, height: 10, width: 12 } });
    expect(topsOf(l, [])).toEqual([[4, 3, 10, 12], [4]]);
    expectShapeError(() => shapesOf(source('MemoryData', { memory_data_param: { batch_size: 4 } }), []), 'memory_data_param', /positive/);
  });

  it('DummyData: one shape for all tops, one per top, or legacy dims', () => {
    expect(topsOf(source('DummyData', { dummy_data_param: { shape: [{ dim: [2, 3] }] } }, ['a', 'b']), [])).toEqual([[2, 3], [2, 3]]);
    expect(
      topsOf(source('DummyData', { dummy_data_param: { shape: [{ dim: [2, 3] }, { dim: [5] }] } }, ['a', 'b']), []),
    ).toEqual([[2, 3], [5]]);
    expect(topsOf(source('DummyData', { dummy_data_param: { num: [2], channels: [3], height: [4], width: [5] } }, ['a']), [])).toEqual([[2, 3, 4, 5]]);
    expectShapeError(
      () => shapesOf(source('DummyData', { dummy_data_param: { shape: [{ dim: [1] }, { dim: [2] }] } }, ['a', 'b', 'c']), []),
      'dummy_data_param.shape',
      /once per top/,
    );
  });

  it('Data gives its shape where its parameters fix it: batch_size, crop_size, and the channels of force_color / force_gray or one mean_value each', () => {
    const data = (transform: Record<string, unknown>) => source('Data', { data_param: { batch_size: 32 }, transform_param: transform });
    expect(topsOf(data({ crop_size: 224, mean_value: [104, 117, 123] }), [], 2)).toEqual([[32, 3, 224, 224], [32]]);
    expect(topsOf(data({ crop_size: 28, force_gray: true }), [], 2)).toEqual([[32, 1, 28, 28], [32]]);
    expect(topsOf(data({ crop_size: 227, force_color: true, mean_value: [128] }), [], 2)).toEqual([[32, 3, 227, 227], [32]]);
    // One mean_value for every channel says nothing of how many there are; no crop_size leaves the size to the records.
    expectShapeError(() => shapesOf(data({ crop_size: 224, mean_value: [128] }), []), 'data_param.source', /its channels: neither force_color, force_gray nor a mean_value per channel/);
    expectShapeError(() => shapesOf(data({ mean_value: [104, 117, 123] }), []), 'data_param.source', /from the records of its database: give it as an input shape/);
    // A given shape wins.
    expect(topsOf(data({ crop_size: 224, mean_value: [104, 117, 123] }), [], 2, [[1, 3, 224, 224]])).toEqual([[1, 3, 224, 224], [1]]);
  });

  it('Data and HDF5Data take their shape from files Portafilter does not read: a given shape, or a clear error', () => {
    expect(topsOf(source('Data', { data_param: { batch_size: 64 } }), [], 2, [[64, 1, 28, 28]])).toEqual([[64, 1, 28, 28], [64]]);
    expectShapeError(() => shapesOf(source('Data', { data_param: { batch_size: 64 } }), []), 'data_param.source', /database.*input shape, data=N,C,H,W/);
    expectShapeError(() => shapesOf(source('HDF5Data', {}, ['x']), []), 'hdf5_data_param.source', /HDF5/);
  });
});

describe('loss and metric layers', () => {
  const two = (type: string, params: Record<string, unknown> = {}, tops = ['out']) => ({ name: type.toLowerCase(), type, bottom: ['pred', 'label'], top: tops, ...params });

  it('SoftmaxWithLoss: a scalar loss, and the probabilities as an optional second top', () => {
    expect(topsOf(two('SoftmaxWithLoss'), [[10, 5], [10]])).toEqual([[]]);
    expect(topsOf(two('SoftmaxWithLoss', {}, ['loss', 'prob']), [[10, 5, 2, 3], [10, 1, 2, 3]])).toEqual([[], [10, 5, 2, 3]]);
    expectShapeError(() => shapesOf(two('SoftmaxWithLoss'), [[10, 5], [9]]), 'bottom', /first dimension/);
    expectShapeError(() => shapesOf(two('SoftmaxWithLoss'), [[10, 5, 2], [10]]), 'bottom', /number of labels/);
  });

  it('Accuracy: a scalar, and one accuracy per class as an optional second top', () => {
    expect(topsOf(two('Accuracy'), [[100, 10], [100]])).toEqual([[]]);
    expect(topsOf(two('Accuracy', {}, ['acc', 'per_class']), [[100, 10], [100]])).toEqual([[], [10]]);
    expectShapeError(() => shapesOf(two('Accuracy', { accuracy_param: { top_k: 11 } }), [[100, 10], [100]]), 'accuracy_param.top_k');
  });

  it('EuclideanLoss and SigmoidCrossEntropyLoss compare equally sized inputs', () => {
    expect(topsOf(two('EuclideanLoss'), [[4, 3], [4, 3]])).toEqual([[]]);
    expectShapeError(() => shapesOf(two('EuclideanLoss'), [[4, 3], [4, 2]]), 'bottom', /same dimension/);
    expect(topsOf(two('SigmoidCrossEntropyLoss'), [[4, 3], [4, 3]])).toEqual([[]]);
  });
});
