/**
 * The workbench's pure logic: the layer table's filter and sort, the shapes flowing into a layer,
 * the input-shape field, and what the page URL tells the workbench to open.
 */
import { describe, expect, it } from 'vitest';
import type { LayerInfo, ModelSummary } from '../../src/shared/api.js';
import { launchTargetFromArgs, readLaunchQuery, writeLaunchQuery } from '../../src/shared/launch.js';
import { formatCompact, formatShape } from '../../src/renderer/src/lib/format.js';
import { bottomShapes, parseInputShapes, viewLayers } from '../../src/renderer/src/lib/layers.js';

const layer = (name: string, type: string, bottoms: string[], tops: string[], top_shapes: number[][], params = 0): LayerInfo => ({
  name,
  type,
  bottoms,
  tops,
  top_shapes,
  blob_shapes: [],
  params,
  inPlace: bottoms.length > 0 && bottoms[0] === tops[0],
  prototxt: '',
  category: 'other',
  keyParams: '',
});

// LeNet at batch 1, as Caffe shapes it.
const lenet: LayerInfo[] = [
  layer('data', 'Input', [], ['data'], [[1, 1, 28, 28]]),
  layer('conv1', 'Convolution', ['data'], ['conv1'], [[1, 20, 24, 24]], 520),
  layer('pool1', 'Pooling', ['conv1'], ['pool1'], [[1, 20, 12, 12]]),
  layer('conv2', 'Convolution', ['pool1'], ['conv2'], [[1, 50, 8, 8]], 25050),
  layer('pool2', 'Pooling', ['conv2'], ['pool2'], [[1, 50, 4, 4]]),
  layer('ip1', 'InnerProduct', ['pool2'], ['ip1'], [[1, 500]], 400500),
  layer('relu1', 'ReLU', ['ip1'], ['ip1'], [[1, 500]]),
  layer('ip2', 'InnerProduct', ['ip1'], ['ip2'], [[1, 10]], 5010),
  layer('prob', 'Softmax', ['ip2'], ['prob'], [[1, 10]]),
];
const names = (rows: { layer: LayerInfo }[]): string[] => rows.map((r) => r.layer.name);

describe('the layer table', () => {
  it('keeps the network order by default', () => {
    expect(names(viewLayers(lenet, '', 'index', 'asc'))).toEqual(lenet.map((l) => l.name));
  });

  it('filters on name, type and blob names, every term having to match', () => {
    expect(names(viewLayers(lenet, 'pool', 'index', 'asc'))).toEqual(['pool1', 'conv2', 'pool2', 'ip1']);
    expect(names(viewLayers(lenet, 'type:conv', 'index', 'asc'))).toEqual(['conv1', 'conv2']);
    expect(names(viewLayers(lenet, 'ip1 type:relu', 'index', 'asc'))).toEqual(['relu1']);
    expect(names(viewLayers(lenet, 'nothing-like-it', 'index', 'asc'))).toEqual([]);
  });

  it('sorts by parameters and by output size, ties in network order', () => {
    expect(names(viewLayers(lenet, '', 'params', 'desc')).slice(0, 4)).toEqual(['ip1', 'conv2', 'ip2', 'conv1']);
    expect(names(viewLayers(lenet, '', 'output', 'desc')).slice(0, 3)).toEqual(['conv1', 'conv2', 'pool1']);
  });

  it('keeps each row’s network position whatever the order', () => {
    expect(viewLayers(lenet, '', 'name', 'asc').find((r) => r.layer.name === 'prob')?.index).toBe(8);
  });
});

describe("a layer's bottom shapes", () => {
  it("are the shapes its bottoms held when it ran, through in-place layers", () => {
    const summary = { inputs: [{ name: 'data', shape: [1, 1, 28, 28] }], layers: lenet } as unknown as ModelSummary;
    const shapes = bottomShapes(summary);
    expect(shapes[1]).toEqual([[1, 1, 28, 28]]);
    expect(shapes[6]).toEqual([[1, 500]]);
    expect(shapes[7]).toEqual([[1, 500]]);
  });

  it('are unknown for a bottom nothing produced', () => {
    const summary = { inputs: [], layers: [layer('lonely', 'ReLU', ['ghost'], ['out'], [[1]])] } as unknown as ModelSummary;
    expect(bottomShapes(summary)).toEqual([[undefined]]);
  });
});

describe('the input-shape field', () => {
  it('reads NAME=N,C,H,W and NAME: NxCxHxW, several separated by ;', () => {
    expect(parseInputShapes('data=1,3,224,224; im_info: 1x3')).toEqual({ shapes: { data: [1, 3, 224, 224], im_info: [1, 3] } });
    expect(parseInputShapes('  ')).toEqual({ shapes: {} });
  });

  it('names the part it cannot read', () => {
    expect(parseInputShapes('data=1,3,a')).toEqual({ problem: "'data=1,3,a' is not NAME=N,C,H,W (e.g. data=1,3,224,224)" });
  });
});

describe('formatting', () => {
  it("writes shapes as Caffe's logs do", () => {
    expect(formatShape([1, 20, 24, 24])).toBe('1×20×24×24');
    expect(formatShape([])).toBe('scalar');
  });

  it('abbreviates parameter totals', () => {
    expect(formatCompact(431080)).toBe('431.1 k');
    expect(formatCompact(61_100_840)).toBe('61.1 M');
    expect(formatCompact(520)).toBe('520');
  });
});

describe('what the workbench opens at start', () => {
  it('round-trips through the page URL beside the token', () => {
    const params = writeLaunchQuery({ kind: 'model', prototxt: '/m/a b.prototxt', caffemodel: '/m/a.caffemodel' }, new URLSearchParams({ token: 't' }));
    expect(params.get('token')).toBe('t');
    expect(readLaunchQuery(`?${params.toString()}`)).toEqual({ kind: 'model', prototxt: '/m/a b.prototxt', caffemodel: '/m/a.caffemodel' });
    expect(readLaunchQuery(`?${writeLaunchQuery({ kind: 'demo' }).toString()}`)).toEqual({ kind: 'demo' });
    expect(readLaunchQuery('?token=t')).toEqual({ kind: 'none' });
  });

  it('comes from the command line: paths resolved, flags skipped, the demo when none', () => {
    const resolvePath = (p: string): string => (p.startsWith('/') ? p : `/home/u/${p}`);
    expect(launchTargetFromArgs(['--no-sandbox', 'net.prototxt', 'w.caffemodel'], resolvePath)).toEqual({
      kind: 'model',
      prototxt: '/home/u/net.prototxt',
      caffemodel: '/home/u/w.caffemodel',
    });
    expect(launchTargetFromArgs(['/abs/net.prototxt'], resolvePath)).toEqual({ kind: 'model', prototxt: '/abs/net.prototxt' });
    expect(launchTargetFromArgs(['--inspect=9229'], resolvePath)).toEqual({ kind: 'demo' });
  });
});
