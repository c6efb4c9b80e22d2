import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePrototxt, unknownParamsOf } from '../../src/main/caffe/prototxt.js';
import { encodeMessage } from '../../src/main/caffe/schema.js';
import { fieldSourceOf, sourceOf, type Message } from '../../src/main/caffe/message.js';
import { CaffeParseError } from '../../src/shared/errors.js';
import { fixture } from '../helpers/fixtures.js';

const FILE = 'net.prototxt';
const parse = (text: string, type?: string): Message => parsePrototxt(text, FILE, type);
const layers = (msg: Message): Message[] => (msg.layer ?? msg.layers) as Message[];
const layerNamed = (msg: Message, name: string): Message => {
  const l = layers(msg).find((x) => x.name === name);
  if (!l) throw new Error(`no layer '${name}'`);
  return l;
};
const f32 = Math.fround;

/** The CaffeParseError that parsing `text` throws. */
function errorOf(text: string, type?: string): CaffeParseError {
  try {
    parse(text, type);
  } catch (e) {
    if (e instanceof CaffeParseError) return e;
    throw e;
  }
  throw new Error('expected a CaffeParseError, but the text parsed');
}

/** Expects parsing `text` to fail with exactly `reason` at line:column. */
function expectError(text: string, reason: string, line: number, column: number, type?: string): CaffeParseError {
  const e = errorOf(text, type);
  expect(e.reason).toBe(reason);
  expect({ file: e.location?.file, line: e.location?.line, column: e.location?.column }).toEqual({ file: FILE, line, column });
  return e;
}

const read = (...parts: string[]): string => readFileSync(fixture(...parts), 'utf8');

// Layer counts counted by hand (`layer {` / `layers {` blocks in each file).
const FIXTURE_FILES: Array<[path: string[], layers: number, field: 'layer' | 'layers']> = [
  [['prototxts', 'bvlc_alexnet.prototxt'], 24, 'layer'],
  [['prototxts', 'bvlc_reference_caffenet.prototxt'], 24, 'layer'],
  [['prototxts', 'bvlc_googlenet.prototxt'], 143, 'layer'],
  [['prototxts', 'ResNet-50-deploy.prototxt'], 228, 'layer'],
  [['prototxts', 'SqueezeNet_v1.0.prototxt'], 66, 'layer'],
  [['prototxts', 'SqueezeNet_v1.1.prototxt'], 67, 'layer'],
  [['prototxts', 'MobileNet-SSD_deploy.prototxt'], 189, 'layer'],
  [['prototxts', 'VGG_ILSVRC_19_layers_deploy.prototxt'], 45, 'layers'],
  [['models', 'lenet_mnist', 'deploy.prototxt'], 9, 'layer'],
  [['models', 'cifar10_quick', 'deploy.prototxt'], 13, 'layer'],
  [['models', 'mtcnn_pnet', 'deploy.prototxt'], 12, 'layer'],
  [['models', 'mtcnn_rnet', 'deploy.prototxt'], 15, 'layer'],
  [['models', 'mtcnn_onet', 'deploy.prototxt'], 18, 'layer'],
  [['models', 'ultraface_slim320', 'deploy.prototxt'], 96, 'layer'],
  [['models', 'ultraface_rfb320', 'deploy.prototxt'], 111, 'layer'],
  [['models', 'features_b', 'deploy.prototxt'], 19, 'layer'],
  [['models', 'cifar10_quick', 'extra', 'prediction_example.v1.prototxt'], 16, 'layers'],
];

describe('parsePrototxt on the fixture prototxts', () => {
  it.each(FIXTURE_FILES)('reads %j with its layer count, and the result encodes as a NetParameter', (path, count, field) => {
    const net = parsePrototxt(read(...path), path.join('/'));
    expect((net[field] as Message[]).length).toBe(count);
    expect(net[field === 'layer' ? 'layers' : 'layer']).toBeUndefined();
    expect(() => encodeMessage('NetParameter', net)).not.toThrow();
  });

  it('reads ResNet-50 (tab-indented): legacy input_dim list, conv and batch-norm parameters', () => {
    const net = parsePrototxt(read('prototxts', 'ResNet-50-deploy.prototxt'), 'resnet');
    expect(net.name).toBe('ResNet-50');
    expect(net.input).toEqual(['data']);
    expect(net.input_dim).toEqual([1, 3, 224, 224]);
    const conv1 = layers(net)[0];
    expect(conv1).toEqual({
      bottom: ['data'],
      top: ['conv1'],
      name: 'conv1',
      type: 'Convolution',
      convolution_param: { num_output: 64, kernel_size: [7], pad: [3], stride: [2] },
    });
    expect(layerNamed(net, 'bn_conv1').batch_norm_param).toEqual({ use_global_stats: true });
    // line 9 is "\tbottom: \"data\"": a tab counts as one column
    expect(fieldSourceOf(conv1, 'bottom')).toEqual({ file: 'resnet', line: 9, column: 2 });
    expect(sourceOf(conv1)).toEqual({ file: 'resnet', line: 8, column: 7 });
  });

  it('reads VGG-19 as V1 `layers` with enum types by name', () => {
    const net = parsePrototxt(read('prototxts', 'VGG_ILSVRC_19_layers_deploy.prototxt'), 'vgg');
    expect(net.force_backward).toBe(true);
    expect(net.input_dim).toEqual([10, 3, 224, 224]);
    const [conv, relu] = layers(net);
    expect(conv).toEqual({ bottom: ['data'], top: ['conv1_1'], name: 'conv1_1', type: 'CONVOLUTION', convolution_param: { num_output: 64, pad: [1], kernel_size: [3] } });
    expect(relu.type).toBe('RELU');
  });

  it('reads the V1 text CIFAR-10 net: enum types, blobs_lr, fillers, include rules, a brace on its own line', () => {
    const net = parsePrototxt(read('models', 'cifar10_quick', 'extra', 'prediction_example.v1.prototxt'), 'v1');
    expect(net.name).toBe('CIFAR10_quick');
    const data = layerNamed(net, 'data');
    expect(data.type).toBe('IMAGE_DATA');
    expect(data.image_data_param).toEqual({ source: './examples/prediction_example/file_list.txt', batch_size: 3, new_height: 32, new_width: 32 });
    const conv1 = layerNamed(net, 'conv1');
    expect(conv1.blobs_lr).toEqual([1, 2]);
    expect(conv1.convolution_param).toEqual({
      num_output: 32, pad: [2], kernel_size: [5], stride: [1],
      weight_filler: { type: 'gaussian', std: f32(0.0001) }, bias_filler: { type: 'constant' },
    });
    expect((layerNamed(net, 'pool2').pooling_param as Message).pool).toBe('AVE');
    expect(layerNamed(net, 'accuracy').include).toEqual([{ phase: 'TEST' }]);
    const argmax = layerNamed(net, 'argmax');
    expect(argmax.type).toBe('ARGMAX');
    expect(argmax.argmax_param).toEqual({ top_k: 5 });
    // "layers\n{": the message starts at its brace, the field at its name
    expect(fieldSourceOf(net, 'layers')).toEqual({ file: 'v1', line: 2, column: 1 });
    const lines = read('models', 'cifar10_quick', 'extra', 'prediction_example.v1.prototxt').split('\n');
    const braceLine = lines.findIndex((l, i) => l === '{' && lines[i - 1] === 'layers') + 1;
    expect(sourceOf(argmax)).toEqual({ file: 'v1', line: braceLine, column: 1 });
  });

  it('reads MobileNet-SSD: input_shape, repeated prior_box floats, permute order, detection output enums', () => {
    const net = parsePrototxt(read('prototxts', 'MobileNet-SSD_deploy.prototxt'), 'ssd');
    expect(net.input_shape).toEqual([{ dim: [1, 3, 300, 300] }]);
    expect(layerNamed(net, 'conv11_mbox_priorbox').prior_box_param).toEqual({
      min_size: [60], aspect_ratio: [2], flip: true, clip: false,
      variance: [f32(0.1), f32(0.1), f32(0.2), f32(0.2)], offset: 0.5,
    });
    expect(layerNamed(net, 'conv11_mbox_loc_perm').permute_param).toEqual({ order: [0, 2, 3, 1] });
    const det = layerNamed(net, 'detection_out');
    expect(det.include).toEqual([{ phase: 'TEST' }]);
    expect(det.detection_output_param).toEqual({
      num_classes: 21, share_location: true, background_label_id: 0,
      nms_param: { nms_threshold: f32(0.45), top_k: 100 },
      code_type: 'CENTER_SIZE', keep_top_k: 100, confidence_threshold: 0.25,
    });
    expect(layerNamed(net, 'conv0').param).toEqual([{ lr_mult: f32(0.1), decay_mult: f32(0.1) }]);
  });

  it('reads the one-line Input layers of the BVLC nets and LeNet', () => {
    const alex = parsePrototxt(read('prototxts', 'bvlc_alexnet.prototxt'), 'alexnet');
    expect(layers(alex)[0]).toEqual({ name: 'data', type: 'Input', top: ['data'], input_param: { shape: [{ dim: [10, 3, 227, 227] }] } });
    expect((layerNamed(alex, 'conv1').convolution_param as Message).num_output).toBe(96);
    const lenet = parsePrototxt(read('models', 'lenet_mnist', 'deploy.prototxt'), 'lenet');
    expect(layers(lenet)[0].input_param).toEqual({ shape: [{ dim: [64, 1, 28, 28] }] });
    expect((layerNamed(lenet, 'conv1').convolution_param as Message).num_output).toBe(20);
    const caffenet = parsePrototxt(read('prototxts', 'bvlc_reference_caffenet.prototxt'), 'caffenet');
    expect((layerNamed(caffenet, 'conv1').convolution_param as Message).kernel_size).toEqual([11]);
  });

  it('reads GoogLeNet concat bottoms and SqueezeNet after its comment header', () => {
    const g = parsePrototxt(read('prototxts', 'bvlc_googlenet.prototxt'), 'googlenet');
    expect(layerNamed(g, 'inception_3a/output').bottom).toEqual(['inception_3a/1x1', 'inception_3a/3x3', 'inception_3a/5x5', 'inception_3a/pool_proj']);
    const sq = parsePrototxt(read('prototxts', 'SqueezeNet_v1.0.prototxt'), 'squeezenet');
    expect(sq.input).toEqual(['data']);
    expect(sq.input_shape).toEqual([{ dim: [10, 3, 227, 227] }]);
    expect(fieldSourceOf(sq, 'input')).toEqual({ file: 'squeezenet', line: 9, column: 1 });
  });

  it('reads the MTCNN nets (comments between layers, `shape: {`) and their first convolutions', () => {
    const p = parsePrototxt(read('models', 'mtcnn_pnet', 'deploy.prototxt'), 'pnet');
    expect(layers(p)[0].input_param).toEqual({ shape: [{ dim: [1, 3, 12, 12] }] });
    expect(layerNamed(p, 'score').convolution_param).toEqual({ num_output: 2, kernel_size: [1], stride: [1] });
    const r = parsePrototxt(read('models', 'mtcnn_rnet', 'deploy.prototxt'), 'rnet');
    expect((layerNamed(r, 'conv1').convolution_param as Message).num_output).toBe(28);
    const o = parsePrototxt(read('models', 'mtcnn_onet', 'deploy.prototxt'), 'onet');
    expect(layers(o)[0].input_param).toEqual({ shape: [{ dim: [1, 3, 48, 48] }] });
  });

  it('reads UltraFace: numeric layer names, negative reshape dims, dilated convs', () => {
    const slim = parsePrototxt(read('models', 'ultraface_slim320', 'deploy.prototxt'), 'slim');
    expect(layers(slim)[0].input_param).toEqual({ shape: [{ dim: [1, 3, 240, 320] }] });
    expect(layerNamed(slim, '185').convolution_param).toEqual({
      num_output: 16, bias_term: true, group: 1, pad_h: 1, pad_w: 1, kernel_h: 3, kernel_w: 3, stride_h: 2, stride_w: 2, dilation: [1],
    });
    expect(layerNamed(slim, '243').reshape_param).toEqual({ shape: { dim: [1, -1, 2] } });
    const rfb = parsePrototxt(read('models', 'ultraface_rfb320', 'deploy.prototxt'), 'rfb');
    expect((layerNamed(rfb, '296').convolution_param as Message).dilation).toEqual([3]);
  });

  it('reads features_b: enum names, negative float coefficients, input + input_shape', () => {
    const net = parsePrototxt(read('models', 'features_b', 'deploy.prototxt'), 'features_b');
    expect(net.input).toEqual(['data']);
    expect(net.input_shape).toEqual([{ dim: [1, 3, 24, 24] }]);
    expect(layerNamed(net, 'relu1').relu_param).toEqual({ negative_slope: f32(0.1) });
    const lrn = layers(net).find((l) => l.type === 'LRN')!;
    expect(lrn.lrn_param).toEqual({ local_size: 3, alpha: 1, beta: 0.75, norm_region: 'WITHIN_CHANNEL' });
    const eltwise = layers(net).find((l) => l.type === 'Eltwise')!;
    expect(eltwise.eltwise_param).toEqual({ operation: 'SUM', coeff: [0.5, -2] });
  });

  it('reads a 1 MB prototxt in well under a second', () => {
    const resnet = read('prototxts', 'ResNet-50-deploy.prototxt');
    const body = resnet.slice(resnet.indexOf('layer {'));
    const big = resnet + body.repeat(31);
    expect(big.length).toBeGreaterThan(1_000_000);
    const t0 = performance.now();
    const net = parsePrototxt(big, 'big');
    const ms = performance.now() - t0;
    expect(layers(net).length).toBe(228 * 32);
    expect(ms).toBeLessThan(1000);
  });
});

describe('text format syntax', () => {
  it('reads `field { }`, `field: { }`, `field < >` and `field: < >` messages', () => {
    const net = parse('layer { name: "a" } layer: { name: "b" } layer < name: "c" > layer: < name: "d" >');
    expect(layers(net).map((l) => l.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('accumulates repeated scalars given one per line, in lists, and skips empty lists', () => {
    const net = parse('input_dim: 1\ninput_dim: [2, 3]\ninput_dim: []\ninput_dim: [4]\ninput: []');
    expect(net.input_dim).toEqual([1, 2, 3, 4]);
    expect(net).not.toHaveProperty('input');
  });

  it('reads lists of messages with or without a colon, mixing both delimiters', () => {
    const net = parse('layer: [{ name: "a" }, < name: "b" >] layer [{ name: "c" }] layer { name: "d" }');
    expect(layers(net).map((l) => l.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('accepts one optional , or ; after any field', () => {
    const net = parse('name: "n"; layer { name: "a", type: "ReLU"; bottom: "x", }, input: "i";');
    expect(net).toEqual({ name: 'n', layer: [{ name: 'a', type: 'ReLU', bottom: ['x'] }], input: ['i'] });
  });

  it('ignores # comments and any whitespace between tokens, CRLF line ends included', () => {
    const text = '# header\r\nname:# after colon\r\n  "n"\t# trailing\r\n\v\flayer\n{\n#x\n}\n# last line without newline';
    expect(parse(text)).toEqual({ name: 'n', layer: [{}] });
  });

  it('reads strings in single or double quotes and concatenates adjacent literals across lines', () => {
    expect(parse(`name: 'it"s'`).name).toBe('it"s');
    expect(parse(`name: "a" 'b' # comment\n "c"`).name).toBe('abc');
    expect(parse('name: ""').name).toBe('');
  });

  it('decodes the C escapes \\n \\t \\r \\\\ \\\' \\" \\a \\b \\f \\v \\?', () => {
    expect(parse(String.raw`name: "\n\t\r\\\'\"\a\b\f\v\?"`).name).toBe('\n\t\r\\\'"\x07\b\f\v?');
  });

  it('decodes hex (1-2 digits, \\x or \\X) and octal (1-3 digits) escapes', () => {
    expect(parse(String.raw`name: "\x41\x4a\x9\X42"`).name).toBe('AJ\tB');
    expect(parse(String.raw`name: "\101\60\0\1012"`).name).toBe('A0\0A2');
  });

  it('decodes \\u, \\U and surrogate-pair escapes as UTF-8, and UTF-8 split over adjacent literals', () => {
    expect(parse(String.raw`name: "\u00e9\U0001F600\ud83d\ude00"`).name).toBe('é😀😀');
    expect(parse(String.raw`name: "\xc3" "\xa9"`).name).toBe('é');
    expect(parse('name: "café ☕"').name).toBe('café ☕');
    // like protobuf, \U up to 001fffff tokenizes; beyond U+10FFFF it is kept as its text
    expect(parse(String.raw`name: "\U00110000"`).name).toBe('\\U00110000');
  });

  it('keeps the raw bytes of a bytes field', () => {
    expect(parse(String.raw`data: "\x00\xff\101é" "\u00e9"`, 'Datum').data).toEqual(new Uint8Array([0, 255, 65, 0xc3, 0xa9, 0xc3, 0xa9]));
    expect(parse('data: "AB"', 'Datum').data).toEqual(new Uint8Array([65, 66]));
    expect(parse('data: ""', 'Datum').data).toEqual(new Uint8Array([]));
  });

  it('reads decimal, hex and octal integers, negative and at the int32 limits', () => {
    const conv = (body: string): Message => layers(parse(`layer { convolution_param { ${body} } }`))[0].convolution_param as Message;
    expect(conv('num_output: 0x1F group: 0X10 kernel_size: 017 kernel_size: 0 axis: -1').num_output).toBe(31);
    expect(conv('group: 0X10').group).toBe(16);
    expect(conv('kernel_size: 017 kernel_size: 0').kernel_size).toEqual([15, 0]);
    expect(conv('axis: -0x10').axis).toBe(-16);
    expect(conv('axis: -2147483648').axis).toBe(-2147483648);
    expect(conv('axis: 2147483647').axis).toBe(2147483647);
    expect(conv('num_output: 4294967295').num_output).toBe(4294967295);
    expect(Object.is(conv('axis: -0').axis, 0)).toBe(true);
    expect(conv('axis: - 3').axis).toBe(-3);
  });

  it('reads int64 dims up to 2^63-1, keeping them as (rounded) numbers', () => {
    expect(parse('dim: 9007199254740993 dim: -9223372036854775808 dim: 0x7fffffffffffffff', 'BlobShape').dim).toEqual([
      9007199254740992, -9223372036854775808, 9223372036854775807,
    ]);
  });

  it('reads float literals in all their forms and rounds float fields to float32', () => {
    const std = (v: string): number => parse(`std: ${v}`, 'FillerParameter').std as number;
    expect(std('1e-4')).toBe(f32(1e-4));
    expect(std('0.1')).toBe(0.10000000149011612);
    expect(std('.5')).toBe(0.5);
    expect(std('5.')).toBe(5);
    expect(std('1.5f')).toBe(1.5);
    expect(std('1.5F')).toBe(1.5);
    expect(std('2f')).toBe(2);
    expect(std('1E3')).toBe(1000);
    expect(std('2.5e+2')).toBe(250);
    expect(std('3')).toBe(3);
    expect(std('-7')).toBe(-7);
    expect(std('1e39')).toBe(Infinity);
    expect(std('123456789012345678901234567890')).toBe(f32(1.2345678901234568e29));
  });

  it('keeps negative zero, infinities and NaN in float fields', () => {
    const std = (v: string): number => parse(`std: ${v}`, 'FillerParameter').std as number;
    expect(Object.is(std('-0'), -0)).toBe(true);
    expect(Object.is(std('-0.0'), -0)).toBe(true);
    expect(std('inf')).toBe(Infinity);
    expect(std('-inf')).toBe(-Infinity);
    expect(std('Infinity')).toBe(Infinity);
    expect(std('-INF')).toBe(-Infinity);
    expect(std('nan')).toBeNaN();
    expect(std('NaN')).toBeNaN();
  });

  it('does not round double fields to float32', () => {
    expect(parse('double_data: [0.1, -2, 1e300]', 'BlobProto').double_data).toEqual([0.1, -2, 1e300]);
  });

  it('reads bools as true/false/True/False/t/f/1/0', () => {
    const flag = (v: string): unknown => parse(`force_backward: ${v}`).force_backward;
    expect(['true', 'True', 't', '1', '0x1'].map(flag)).toEqual([true, true, true, true, true]);
    expect(['false', 'False', 'f', '0', '00'].map(flag)).toEqual([false, false, false, false, false]);
  });

  it('reads enums by value name or by number', () => {
    const pool = (v: string): unknown => (layers(parse(`layer { pooling_param { pool: ${v} } }`))[0].pooling_param as Message).pool;
    expect(pool('AVE')).toBe('AVE');
    expect(pool('2')).toBe('STOCHASTIC');
    expect(pool('0x0')).toBe('MAX');
    expect(layers(parse('layers { type: 4 }'))[0].type).toBe('CONVOLUTION');
    expect(layers(parse('layer { include { phase: 1 } }'))[0].include).toEqual([{ phase: 'TEST' }]);
  });

  it('ignores a leading byte-order mark', () => {
    const net = parse('\uFEFFname: "n"\nlayer {}');
    expect(net.name).toBe('n');
    expect(sourceOf(layers(net)[0])).toEqual({ file: FILE, line: 2, column: 7 });
  });

  it('parses an empty or comment-only text as an empty message', () => {
    expect(parse('')).toEqual({});
    expect(parse('  # nothing\n\n')).toEqual({});
  });

  it('parses other caffe.proto types by name', () => {
    expect(parse('shape { dim: 2 dim: 3 } data: [1, 2.5]', 'BlobProto')).toEqual({ shape: { dim: [2, 3] }, data: [1, 2.5] });
  });
});

describe('where things came from', () => {
  it('records each message at its opening and each field at its first occurrence', () => {
    const text = 'name: "n"\nlayer {\n  bottom: "a"\n  bottom: "b"\n  param { lr_mult: 1 }\n}\nlayer <>\n';
    const net = parse(text);
    expect(sourceOf(net)).toEqual({ file: FILE, line: 1, column: 1 });
    expect(fieldSourceOf(net, 'name')).toEqual({ file: FILE, line: 1, column: 1 });
    expect(fieldSourceOf(net, 'layer')).toEqual({ file: FILE, line: 2, column: 1 });
    const [a, b] = layers(net);
    expect(sourceOf(a)).toEqual({ file: FILE, line: 2, column: 7 });
    expect(sourceOf(b)).toEqual({ file: FILE, line: 7, column: 7 });
    expect(fieldSourceOf(a, 'bottom')).toEqual({ file: FILE, line: 3, column: 3 });
    const param = (a.param as Message[])[0];
    expect(sourceOf(param)).toEqual({ file: FILE, line: 5, column: 9 });
    expect(fieldSourceOf(param, 'lr_mult')).toEqual({ file: FILE, line: 5, column: 11 });
  });

  it('records each element of a message list at its own brace', () => {
    const net = parse('layer: [\n  { name: "a" },\n  { name: "b" }\n]');
    expect(layers(net).map((l) => sourceOf(l))).toEqual([
      { file: FILE, line: 2, column: 3 },
      { file: FILE, line: 3, column: 3 },
    ]);
  });
});

describe('unknown *_param fields of layers', () => {
  it('skips an undefined layer parameter and records its name and position', () => {
    const net = parse('layer {\n  name: "up"\n  type: "Upsample"\n  upsample_param { scale: 2 }\n  bottom: "x"\n}');
    const layer = layers(net)[0];
    expect(layer).toEqual({ name: 'up', type: 'Upsample', bottom: ['x'] });
    expect(unknownParamsOf(layer)).toEqual([{ name: 'upsample_param', line: 4, column: 3 }]);
    expect(unknownParamsOf(net)).toEqual([]);
    expect(() => encodeMessage('NetParameter', net)).not.toThrow();
  });

  it('skips scalar, string, list, angle-bracket and extension-bearing values of any shape, also in V1 layers', () => {
    const text = [
      'layers {',
      '  a_param: 3',
      '  b_param: "x" \'y\';',
      '  c_param: [1, -2.5, -inf, {x: 1}, [e, "s"], <>],',
      '  d_param < e: f g { h: -1 } >',
      '  e_param: { [ext.name]: 1 [type.googleapis.com/foo.Bar] { x: 1 } list: [] }',
      '  name: "v1"',
      '}',
    ].join('\n');
    const layer = layers(parse(text))[0];
    expect(layer).toEqual({ name: 'v1' });
    expect(unknownParamsOf(layer).map((p) => [p.name, p.line, p.column])).toEqual([
      ['a_param', 2, 3], ['b_param', 3, 3], ['c_param', 4, 3], ['d_param', 5, 3], ['e_param', 6, 3],
    ]);
  });

  it('records every occurrence of a repeated unknown parameter', () => {
    const layer = layers(parse('layer { x_param { } x_param { } }'))[0];
    expect(unknownParamsOf(layer)).toEqual([
      { name: 'x_param', line: 1, column: 9 },
      { name: 'x_param', line: 1, column: 21 },
    ]);
  });

  it('still checks the syntax of what it skips', () => {
    expectError('layer {\n  up_param { scale: }\n}', "expected a value for field 'scale', found '}'", 2, 21);
    expectError('layer { up_param { scale: 2 }', "expected '}' to close 'layer' (opened at line 1, column 7), found end of input", 1, 30);
    expectError('layer { up_param: -abc }', "expected a number after '-', found 'abc'", 1, 20);
    expectError('layer { up_param 5 }', "expected ':' or '{' after field name 'up_param', found '5'", 1, 18);
    expectError('layer { up_param { a: [1 2] } }', "expected ',' or ']' in the list of field 'a', found '2'", 1, 26);
    expectError('layer { up_param { x: 1 > }', "expected '}' to close 'up_param' (opened at line 1, column 18), found '>'", 1, 25);
  });

  it('rejects unknown *_param fields outside LayerParameter and V1LayerParameter', () => {
    expectError('layer { convolution_param { foo_param: 1 } }', "unknown field 'foo_param' in ConvolutionParameter", 1, 29);
    expectError('foo_param { }', "unknown field 'foo_param' in NetParameter", 1, 1);
  });
});

describe('parse errors, with their line and column', () => {
  it('reports a missing colon or brace after a message field name', () => {
    const e = expectError('layer {\n  convolution_param }\n', "expected ':' or '{' after field name 'convolution_param', found '}'", 2, 21);
    expect(e.location?.field).toBe('convolution_param');
    expect(e.message).toBe(`${FILE}:2:21, field 'convolution_param': expected ':' or '{' after field name 'convolution_param', found '}'`);
    expectError('layer: 5', "expected '{' after 'layer:', found '5'", 1, 8);
  });

  it('reports a missing colon after a scalar field name', () => {
    expectError('name "x"', "expected ':' after field name 'name', found string \"x\"", 1, 6);
    expectError('layer {\n  convolution_param {\n    num_output { }\n  }\n}', "expected ':' after field name 'num_output', found '{'", 3, 16);
  });

  it('reports an unknown field with the message type it is not in', () => {
    const e = expectError('layer {\n  convolution_param {\n    kernal_size: 3\n  }\n}', "unknown field 'kernal_size' in ConvolutionParameter", 3, 5);
    expect(e.location?.field).toBe('kernal_size');
  });

  it('reports an unknown enum value with the values it could have been', () => {
    expectError('layer { pooling_param {\n pool: MAXX } }', "unknown value 'MAXX' for enum PoolingParameter.PoolMethod (expected MAX, AVE, STOCHASTIC)", 2, 8);
    expectError('layer { pooling_param { pool: 7 } }', 'unknown value 7 for enum PoolingParameter.PoolMethod (expected MAX, AVE, STOCHASTIC)', 1, 31);
    expectError('layer { pooling_param { pool: -1 } }', 'unknown value -1 for enum PoolingParameter.PoolMethod (expected MAX, AVE, STOCHASTIC)', 1, 31);
    expectError('layer { include { phase: TRAINING } }', "unknown value 'TRAINING' for enum Phase (expected TRAIN, TEST)", 1, 26);
    expectError('layers { type: "CONVOLUTION" }', `expected a value of enum V1LayerParameter.LayerType for field 'type', found string "CONVOLUTION"`, 1, 16);
  });

  it('reports integers out of range for their field type', () => {
    const e = expectError('layer { convolution_param { num_output: 4294967296 } }', "value 4294967296 out of range for uint32 field 'num_output'", 1, 41);
    expect(e.location?.field).toBe('num_output');
    expectError('layer { convolution_param { num_output: -1 } }', "value -1 out of range for uint32 field 'num_output'", 1, 41);
    expectError('layer { convolution_param { axis: 2147483648 } }', "value 2147483648 out of range for int32 field 'axis'", 1, 35);
    expectError('layer { convolution_param { axis: -2147483649 } }', "value -2147483649 out of range for int32 field 'axis'", 1, 35);
    expectError('dim: 9223372036854775808', "value 9223372036854775808 out of range for int64 field 'dim'", 1, 6, 'BlobShape');
    expectError('dim: 0xFFFFFFFFFFFFFFFFF', "value 0xFFFFFFFFFFFFFFFFF out of range for int64 field 'dim'", 1, 6, 'BlobShape');
  });

  it('rejects a float literal in an integer field', () => {
    expectError('layer { convolution_param { num_output: 1.5 } }', "expected an integer for uint32 field 'num_output', found '1.5'", 1, 41);
    expectError('input_dim: 1e3', "expected an integer for int32 field 'input_dim', found '1e3'", 1, 12);
    expectError('input_dim: inf', "expected an integer for int32 field 'input_dim', found 'inf'", 1, 12);
  });

  it('rejects hex and octal integers and other words in float fields', () => {
    expectError('std: 0x10', "expected a decimal number for float field 'std', found '0x10'", 1, 6, 'FillerParameter');
    expectError('std: 010', "expected a decimal number for float field 'std', found '010'", 1, 6, 'FillerParameter');
    expectError('std: big', "expected a number for float field 'std', found 'big'", 1, 6, 'FillerParameter');
    expectError('std: -"1"', `expected a number for float field 'std', found string "1"`, 1, 7, 'FillerParameter');
  });

  it('rejects values of the wrong kind for strings and bools', () => {
    expectError('name: data', "expected a string for string field 'name', found 'data'", 1, 7);
    expectError('force_backward: yes', "expected true or false for bool field 'force_backward', found 'yes'", 1, 17);
    expectError('force_backward: 2', "expected true or false for bool field 'force_backward', found '2'", 1, 17);
    expectError('force_backward: TRUE', "expected true or false for bool field 'force_backward', found 'TRUE'", 1, 17);
  });

  it('rejects a non-repeated field given twice (Parse, not Merge)', () => {
    const e = expectError('name: "a"\nname: "b"', "non-repeated field 'name' is specified multiple times", 2, 1);
    expect(e.location?.field).toBe('name');
    expectError('layer { convolution_param { } convolution_param { } }', "non-repeated field 'convolution_param' is specified multiple times", 1, 31);
  });

  it('reports unclosed and mismatched message delimiters with where they opened', () => {
    expectError('layer {\n  name: "a"\n', "expected '}' to close 'layer' (opened at line 1, column 7), found end of input", 3, 1);
    expectError('layer {\n  param < lr_mult: 1 }\n}', "expected '>' to close 'param' (opened at line 2, column 9), found '}'", 2, 22);
    expectError('layer { name: "a" } }', "expected field name, found '}'", 1, 21);
    expectError('layer { , }', "expected field name or '}', found ','", 1, 9);
    expectError('name: "a";;', "expected field name, found ';'", 1, 11);
  });

  it('reports list syntax errors', () => {
    expectError('name: ["a"]', "field 'name' is not repeated, so it cannot take a list '[...]'", 1, 7);
    expectError('layer { convolution_param: [{}] }', "field 'convolution_param' is not repeated, so it cannot take a list '[...]'", 1, 28);
    expectError('input_dim: [1 2]', "expected ',' or ']' in the list of field 'input_dim', found '2'", 1, 15);
    expectError('input_dim: [1,]', "expected an integer for int32 field 'input_dim', found ']'", 1, 15);
    expectError('layer: [{}, 5]', "expected '{' to start a LayerParameter for field 'layer', found '5'", 1, 13);
    expectError('input_dim [1]', "expected ':' after field name 'input_dim', found '['", 1, 11);
  });

  it('rejects extension syntax clearly', () => {
    expectError('layer {\n  [caffe.foo_param]: 1\n}', "extension field '[caffe.foo_param]' is not supported (caffe.proto declares no extensions)", 2, 3);
    expectError('[', "extension field syntax '[...]' is not supported (caffe.proto declares no extensions)", 1, 1);
  });

  it('reports a missing required field at the message that lacks it', () => {
    expectError('layer {\n  clip_param { min: 0 }\n}', "missing required field 'max' in ClipParameter", 2, 14);
    expect(layers(parse('layer { clip_param { min: -1 max: 1 } }'))[0].clip_param).toEqual({ min: -1, max: 1 });
  });

  it('reports string literal errors at the literal or at the escape', () => {
    expectError('name: "abc', 'string literal is not closed before end of input', 1, 7);
    expectError("name: 'abc\n'", "string literal is not closed before end of line (missing '?)", 1, 7);
    expectError(String.raw`name: "ab\qc"`, "invalid escape sequence '\\q' in string literal", 1, 10);
    expectError(String.raw`name: "\xg"`, "'\\x' must be followed by hex digits", 1, 8);
    expectError(String.raw`name: "\u12"`, "'\\u' must be followed by 4 hex digits", 1, 8);
    expectError(String.raw`name: "\U00200000"`, "'\\U' must be followed by 8 hex digits up to 0010ffff", 1, 8);
    expectError(String.raw`name: "\U0010fff"`, "'\\U' must be followed by 8 hex digits up to 0010ffff", 1, 8);
    expectError('name: "a\0b"', 'invalid control character U+0000 in string literal', 1, 9);
  });

  it('reports malformed numbers at their first character', () => {
    expectError('input_dim: 09', "numbers starting with 0 must be octal, found '09'", 1, 12);
    expectError('input_dim: 0x', "'0x' must be followed by hex digits", 1, 12);
    expectError('std: 1e', "exponent 'e' must be followed by digits in '1e'", 1, 6, 'FillerParameter');
    expectError('input_dim: 5abc', "need space between number '5' and identifier", 1, 12);
    expectError('std: 1.2.3', "number '1.2.' has a second decimal point or a point after its exponent", 1, 6, 'FillerParameter');
    expectError('input_dim: 0x1.', "hex and octal numbers must be integers, found '0x1.'", 1, 12);
  });

  it('rejects control characters and non-ASCII characters outside strings and comments', () => {
    expectError('name: "a"\n\u0001', 'invalid control character U+0001', 2, 1);
    expectError('name: "a" # é is fine here\nnamé: "b"', "unexpected character 'é' (U+00E9) outside a string", 2, 4);
  });

  it('caps nesting at 100 levels with a clean error instead of a stack overflow', () => {
    const deep = (n: number): string => 'layer { x_param ' + '{ a '.repeat(n) + '{' + ' }'.repeat(n + 2);
    expect(() => parse(deep(90))).not.toThrow();
    expectError(deep(200), 'nesting deeper than 100 levels', 1, 17 + 4 * 99);
    expectError('layer { x_param: ' + '['.repeat(100000), 'nesting deeper than 100 levels', 1, 18 + 99);
    expect(errorOf('layer { x_param ' + '{ a '.repeat(100000)).reason).toBe('nesting deeper than 100 levels');
  });

  it('reports an identifier where a field name belongs at top level', () => {
    expectError('5', "expected field name, found '5'", 1, 1);
    expectError('layer {\n  "name": "a"\n}', `expected field name or '}', found string "name"`, 2, 3);
  });

  it('says a $VAR template placeholder is one, where a value or a name was expected, and leaves $ inside strings alone', () => {
    const what = "is a template placeholder, not a value: this prototxt is a template for a script to fill in before Caffe reads it (Caffe refuses it as it is); put the value in, or generate the prototxt with the script it came with";
    expectError('layer {\n  inner_product_param { num_output: $NUM_CLASSES }\n}', `'$NUM_CLASSES' ${what}`, 2, 37);
    expectError('name: ${NET}', `'\${NET}' ${what}`, 1, 7);
    expect(parse('name: "$NET"').name).toBe('$NET');
  });
});
