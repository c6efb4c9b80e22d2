import { describe, expect, it } from 'vitest';
import { parsePrototxt } from '../../src/main/caffe/prototxt.js';
import { upgradeNet } from '../../src/main/caffe/upgrade.js';
import { NetGraphError } from '../../src/shared/errors.js';
import { buildNetGraph, TEST_STATE, type NetState } from '../../src/main/net/graph.js';

const graphOf = (text: string, state?: NetState) => buildNetGraph(upgradeNet(parsePrototxt(text, 'net.prototxt'), 'net.prototxt').net, 'net.prototxt', state);
const names = (text: string, state?: NetState) => graphOf(text, state).layers.map((l) => l.name);

const input = `layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n`;

describe('network graph (Net::Init)', () => {
  it('keeps TEST-phase layers and drops TRAIN-only ones, as Caffe filters a train_test net', () => {
    const text = `${input}
layer { name: "train_only" type: "ReLU" bottom: "data" top: "a" include { phase: TRAIN } }
layer { name: "test_only" type: "ReLU" bottom: "data" top: "a" include { phase: TEST } }
layer { name: "not_in_test" type: "Sigmoid" bottom: "a" top: "b" exclude { phase: TEST } }
layer { name: "always" type: "TanH" bottom: "a" top: "c" }`;
    expect(names(text)).toEqual(['in', 'test_only', 'always']);
    expect(names(text, { ...TEST_STATE, phase: 'TRAIN' })).toEqual(['in', 'train_only', 'not_in_test', 'always']);
    expect(graphOf(text).excluded.map((l) => l.name)).toEqual(['train_only', 'not_in_test']);
  });

  it('applies stage and level rules (NetStateRule)', () => {
    const text = `${input}
layer { name: "deploy" type: "ReLU" bottom: "data" top: "a" include { stage: "deploy" } }
layer { name: "not_deploy" type: "ReLU" bottom: "data" top: "b" include { not_stage: "deploy" } }
layer { name: "level2" type: "ReLU" bottom: "data" top: "c" include { min_level: 2 } }
layer { name: "upto1" type: "ReLU" bottom: "data" top: "d" include { max_level: 1 } }`;
    expect(names(text)).toEqual(['in', 'not_deploy', 'upto1']);
    expect(names(text, { phase: 'TEST', level: 2, stages: ['deploy'] })).toEqual(['in', 'deploy', 'level2']);
  });

  it('rejects a layer with both include and exclude rules, naming its line', () => {
    const text = `${input}layer { name: "x" type: "ReLU" bottom: "data" top: "x"\n include { phase: TEST } exclude { phase: TRAIN } }`;
    expect(() => graphOf(text)).toThrow(NetGraphError);
    expect(() => graphOf(text)).toThrow(/net\.prototxt:3:\d+, layer 'x'.*either include rules or exclude rules/);
  });

  it('keeps every layer of an in-place chain addressable: conv -> relu (in place) are two tensors', () => {
    const g = graphOf(`${input}
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { kernel_size: 2 stride: 2 } }`);
    const [, conv, relu, pool] = g.layers;
    expect(relu.inPlace).toEqual([true]);
    expect(conv.inPlace).toEqual([false]);
    expect(relu.inputs).toEqual(conv.outputs);
    expect(relu.outputs[0]).not.toBe(conv.outputs[0]);
    expect(pool.inputs).toEqual(relu.outputs);
    expect(g.tensors[conv.outputs[0]]).toMatchObject({ blob: 'conv', producer: conv.index, consumers: [relu.index] });
    expect(g.outputs.map((t) => g.tensors[t].blob)).toEqual(['pool']);
  });

  it('reports several inputs and several outputs', () => {
    const g = graphOf(`
layer { name: "a" type: "Input" top: "x" input_param { shape { dim: 1 dim: 2 } } }
layer { name: "b" type: "Input" top: "y" input_param { shape { dim: 1 dim: 2 } } }
layer { name: "sum" type: "Eltwise" bottom: "x" bottom: "y" top: "s" }
layer { name: "s1" type: "Sigmoid" bottom: "s" top: "o1" }
layer { name: "s2" type: "TanH" bottom: "s" top: "o2" }`);
    expect(g.layers.filter((l) => l.type === 'Input').flatMap((l) => l.tops)).toEqual(['x', 'y']);
    expect(g.outputs.map((t) => g.tensors[t].blob)).toEqual(['o1', 'o2']);
  });

  it('names a missing bottom with the layer, its line and column', () => {
    const text = `${input}layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "nope"\n  top: "r"\n}`;
    expect(() => graphOf(text)).toThrow(/net\.prototxt:5:3, layer 'relu', field 'bottom': unknown bottom blob 'nope'/);
  });

  it('explains a bottom produced only by a later layer (Caffe runs layers in file order)', () => {
    const text = `${input}
layer { name: "early" type: "ReLU" bottom: "late" top: "e" }
layer { name: "producer" type: "ReLU" bottom: "data" top: "late" }`;
    expect(() => graphOf(text)).toThrow(/unknown bottom blob 'late'.*produced later by layer 'producer' \(line 4\).*file order/);
  });

  it('names a cycle', () => {
    const text = `${input}
layer { name: "a" type: "ReLU" bottom: "b_out" top: "a_out" }
layer { name: "b" type: "ReLU" bottom: "a_out" top: "b_out" }`;
    expect(() => graphOf(text)).toThrow(/layer 'a'.*produced later by layer 'b'.*a cycle/);
  });

  it('rejects a top produced by two layers unless in place', () => {
    const text = `${input}
layer { name: "a" type: "ReLU" bottom: "data" top: "t" }
layer { name: "b" type: "Sigmoid" bottom: "data" top: "t" }`;
    expect(() => graphOf(text)).toThrow(/layer 'b'.*top blob 't' produced by multiple sources/);
  });

  it('says when a bottom comes from a layer excluded in this phase', () => {
    const text = `${input}
layer { name: "trainer" type: "ReLU" bottom: "data" top: "t" include { phase: TRAIN } }
layer { name: "user" type: "ReLU" bottom: "t" top: "u" }`;
    expect(() => graphOf(text)).toThrow(/unknown bottom blob 't'.*'trainer', which produces it, is excluded in the TEST phase/);
  });
});
