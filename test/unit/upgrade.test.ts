import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePrototxt } from '../../src/main/caffe/prototxt.js';
import { upgradeNet } from '../../src/main/caffe/upgrade.js';
import { fixture } from '../helpers/fixtures.js';

const data = (name: string): string => new URL(`../data/upgrade/${name}`, import.meta.url).pathname;
const parseFile = (path: string) => parsePrototxt(readFileSync(path, 'utf8'), path);
/** Compare as protobuf would (DebugString): structure and values, not key order. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe("Caffe's upgrades (upgrade_proto.cpp)", () => {
  it("upgrades Caffe's own V0 TestSimple net to its expected V2 form, folding the padding layer into conv1", () => {
    const { net, format } = upgradeNet(parseFile(data('caffe-test-simple.v0.prototxt')), 'v0');
    expect(format).toBe('V0');
    expect(plain(net)).toEqual(plain(parseFile(data('caffe-test-simple.v2.prototxt'))));
  });

  it("upgrades Caffe's own V1 TestSimple net to its expected V2 form (enum types, blobs_lr -> param)", () => {
    const { net, format } = upgradeNet(parseFile(data('caffe-test-simple.v1.prototxt')), 'v1');
    expect(format).toBe('V1');
    expect(plain(net)).toEqual(plain(parseFile(data('caffe-test-simple.v2.prototxt'))));
  });

  it('leaves a V2 net untouched', () => {
    const v2 = parseFile(data('caffe-test-simple.v2.prototxt'));
    const { net, format, notes } = upgradeNet(v2, 'v2');
    expect(format).toBe('V2');
    expect(notes).toEqual([]);
    expect(plain(net)).toEqual(plain(v2));
  });

  it('turns input + input_dim into a first Input layer named "input" (ResNet-50)', () => {
    const { net } = upgradeNet(parseFile(fixture('prototxts/ResNet-50-deploy.prototxt')), 'resnet');
    const layers = net.layer as Array<Record<string, unknown>>;
    expect(layers[0]).toEqual({ name: 'input', type: 'Input', top: ['data'], input_param: { shape: [{ dim: [1, 3, 224, 224] }] } });
    expect(net.input).toBeUndefined();
    expect(net.input_dim).toBeUndefined();
  });

  it('turns input + input_shape into an Input layer (SqueezeNet 1.0)', () => {
    const { net } = upgradeNet(parseFile(fixture('prototxts/SqueezeNet_v1.0.prototxt')), 'squeezenet');
    expect((net.layer as Array<Record<string, unknown>>)[0]).toMatchObject({
      name: 'input',
      type: 'Input',
      top: ['data'],
      input_param: { shape: [{ dim: [10, 3, 227, 227] }] },
    });
  });

  it('upgrades the legacy V1 VGG-19 text (layers {}, enum types, input_dim)', () => {
    const { net, format } = upgradeNet(parseFile(fixture('prototxts/VGG_ILSVRC_19_layers_deploy.prototxt')), 'vgg19');
    expect(format).toBe('V1');
    const layers = net.layer as Array<Record<string, unknown>>;
    expect(layers[0]).toMatchObject({ type: 'Input', input_param: { shape: [{ dim: [10, 3, 224, 224] }] } });
    expect(layers[1]).toMatchObject({ name: 'conv1_1', type: 'Convolution' });
    expect(layers.at(-1)).toMatchObject({ name: 'prob', type: 'Softmax' });
    expect(net.layers).toBeUndefined();
  });

  it('pins the three param specs of an old BatchNorm layer to lr_mult 0, decay_mult 0', () => {
    const text = `layer { name: "bn" type: "BatchNorm" bottom: "x" top: "x" param { lr_mult: 1 } param { lr_mult: 1 } param { lr_mult: 1 decay_mult: 3 } }`;
    const { net } = upgradeNet(parsePrototxt(text, 'bn.prototxt'), 'bn.prototxt');
    expect((net.layer as Array<Record<string, unknown>>)[0].param).toEqual([
      { lr_mult: 0, decay_mult: 0 },
      { lr_mult: 0, decay_mult: 0 },
      { lr_mult: 0, decay_mult: 0 },
    ]);
  });

  it('reports input_dim counts that do not make whole N,C,H,W shapes, with the line', () => {
    const text = `name: "x"\ninput: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 32\n`;
    expect(() => upgradeNet(parsePrototxt(text, 'bad.prototxt'), 'bad.prototxt')).toThrow(/bad\.prototxt:3:\d+.*input_dim.*4.*found 3/);
  });

  it("refuses a net that mixes V1 'layers' and V2 'layer', as Caffe's UpgradeV1Net does, at the first 'layer'", () => {
    const text = [
      'name: "mixed"',
      'input: "data"',
      'input_dim: 1',
      'input_dim: 1',
      'input_dim: 8',
      'input_dim: 8',
      'layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 } }',
      'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }',
      '',
    ].join('\n');
    expect(() => upgradeNet(parsePrototxt(text, 'mixed.prototxt'), 'mixed.prototxt')).toThrow(
      /^mixed\.prototxt:8:1, field 'layer': the net mixes V1 'layers' and V2 'layer' definitions, which Caffe refuses to upgrade \(UpgradeV1Net: 'Refusing to upgrade inconsistent NetParameter input'\)/,
    );
  });
});
