/**
 * Caffe's own upgrades of old model definitions (src/caffe/util/upgrade_proto.cpp, UpgradeNetAsNeeded),
 * applied in Caffe's order: V0 -> V1 (padding layers folded into conv/pool), data-transformation fields,
 * V1 -> V2 (enum types -> type strings, blobs_lr/weight_decay -> param specs), net `input*` fields ->
 * an Input layer, and the BatchNorm param-spec fix-up. Works on our plain Message form.
 */
import { CaffeParseError } from '../../shared/errors.js';
import { copySource, fieldSourceOf, has, isMessage, repeated, setSource, type Message } from './message.js';

export type NetFormat = 'V0' | 'V1' | 'V2';

export interface UpgradedNet {
  /** NetParameter in V2 form: `layer` only, no `layers`, no `input*` fields. */
  net: Message;
  /** The format the definition was written in. */
  format: NetFormat;
  /** Human-readable notes on what was upgraded. */
  notes: string[];
}

/** V1LayerParameter.LayerType -> V2 type string (UpgradeV1LayerType). */
const V1_TYPES: Record<string, string> = {
  NONE: '',
  ABSVAL: 'AbsVal',
  ACCURACY: 'Accuracy',
  ARGMAX: 'ArgMax',
  BNLL: 'BNLL',
  CONCAT: 'Concat',
  CONTRASTIVE_LOSS: 'ContrastiveLoss',
  CONVOLUTION: 'Convolution',
  DECONVOLUTION: 'Deconvolution',
  DATA: 'Data',
  DROPOUT: 'Dropout',
  DUMMY_DATA: 'DummyData',
  EUCLIDEAN_LOSS: 'EuclideanLoss',
  ELTWISE: 'Eltwise',
  EXP: 'Exp',
  FLATTEN: 'Flatten',
  HDF5_DATA: 'HDF5Data',
  HDF5_OUTPUT: 'HDF5Output',
  HINGE_LOSS: 'HingeLoss',
  IM2COL: 'Im2col',
  IMAGE_DATA: 'ImageData',
  INFOGAIN_LOSS: 'InfogainLoss',
  INNER_PRODUCT: 'InnerProduct',
  LRN: 'LRN',
  MEMORY_DATA: 'MemoryData',
  MULTINOMIAL_LOGISTIC_LOSS: 'MultinomialLogisticLoss',
  MVN: 'MVN',
  POOLING: 'Pooling',
  POWER: 'Power',
  RELU: 'ReLU',
  SIGMOID: 'Sigmoid',
  SIGMOID_CROSS_ENTROPY_LOSS: 'SigmoidCrossEntropyLoss',
  SILENCE: 'Silence',
  SOFTMAX: 'Softmax',
  SOFTMAX_LOSS: 'SoftmaxWithLoss',
  SPLIT: 'Split',
  SLICE: 'Slice',
  TANH: 'TanH',
  WINDOW_DATA: 'WindowData',
  THRESHOLD: 'Threshold',
};

/** V0 type string -> V1 enum name (UpgradeV0LayerType). */
const V0_TYPES: Record<string, string> = {
  accuracy: 'ACCURACY',
  bnll: 'BNLL',
  concat: 'CONCAT',
  conv: 'CONVOLUTION',
  data: 'DATA',
  dropout: 'DROPOUT',
  euclidean_loss: 'EUCLIDEAN_LOSS',
  flatten: 'FLATTEN',
  hdf5_data: 'HDF5_DATA',
  hdf5_output: 'HDF5_OUTPUT',
  im2col: 'IM2COL',
  images: 'IMAGE_DATA',
  infogain_loss: 'INFOGAIN_LOSS',
  innerproduct: 'INNER_PRODUCT',
  lrn: 'LRN',
  multinomial_logistic_loss: 'MULTINOMIAL_LOGISTIC_LOSS',
  pool: 'POOLING',
  relu: 'RELU',
  sigmoid: 'SIGMOID',
  softmax: 'SOFTMAX',
  softmax_loss: 'SOFTMAX_LOSS',
  split: 'SPLIT',
  tanh: 'TANH',
  window_data: 'WINDOW_DATA',
};

/** The V2 type string of a V1 enum name, or undefined when it is not one. */
export const v1TypeToV2 = (v1: string): string | undefined => V1_TYPES[v1];

/** The V2 type string of a V0 type string (`conv`, `pool`, ...). */
export function v0TypeToV2(v0: string): string | undefined {
  const v1 = V0_TYPES[v0];
  return v1 === undefined ? undefined : V1_TYPES[v1];
}

export function netFormat(net: Message): NetFormat {
  const v1 = repeated<Message>(net, 'layers');
  if (v1.some((l) => has(l, 'layer'))) return 'V0';
  if (v1.length > 0) return 'V1';
  return 'V2';
}

function fail(msg: Message, field: string, reason: string, file: string): never {
  const pos = fieldSourceOf(msg, field);
  throw new CaffeParseError(reason, { file: pos?.file ?? file, line: pos?.line, column: pos?.column, field });
}

/** UpgradeNetAsNeeded. `file` names the source in errors. */
export function upgradeNet(input: Message, file: string): UpgradedNet {
  const notes: string[] = [];
  const format = netFormat(input);
  let net: Message = { ...input };
  copySource(input, net);
  if (format === 'V0') {
    net = upgradeV0Net(net, file);
    notes.push('upgraded V0 layer definitions (Caffe 2014 format) to V2');
  }
  if (needsDataUpgrade(net)) {
    upgradeDataTransformation(net);
    notes.push('moved deprecated data-layer scale/mean_file/crop_size/mirror into transform_param');
  }
  if (repeated(net, 'layers').length > 0) {
    if (repeated(net, 'layer').length > 0) {
      // upgrade_proto.cpp UpgradeV1Net: LOG(FATAL) "Refusing to upgrade inconsistent NetParameter input".
      fail(
        net,
        'layer',
        "the net mixes V1 'layers' and V2 'layer' definitions, which Caffe refuses to upgrade (UpgradeV1Net: 'Refusing to upgrade inconsistent NetParameter input'); write every layer as layer { type: \"Convolution\" ... }, not layers { type: CONVOLUTION ... }",
        file,
      );
    }
    net.layer = repeated<Message>(net, 'layers').map((l) => upgradeV1Layer(l, file));
    delete net.layers;
    if (format === 'V1') notes.push('upgraded V1 layer definitions (enum layer types) to V2');
  }
  if (repeated(net, 'input').length > 0) upgradeNetInput(net, file, notes);
  for (const layer of repeated<Message>(net, 'layer')) {
    const params = repeated<Message>(layer, 'param');
    if (layer.type === 'BatchNorm' && params.length === 3) {
      // UpgradeNetBatchNorm: the old BatchNorm declared three learnable params; Caffe pins them.
      layer.param = params.map((p) => ({ ...p, lr_mult: 0, decay_mult: 0 }));
    }
  }
  return { net, format, notes };
}

/** UpgradeNetInput: `input` + `input_shape`/`input_dim` become one Input layer named "input", first. */
function upgradeNetInput(net: Message, file: string, notes: string[]): void {
  const names = repeated<string>(net, 'input');
  const shapes = repeated<Message>(net, 'input_shape');
  const dims = repeated<number>(net, 'input_dim');
  if (shapes.length > 0 || dims.length > 0) {
    if (shapes.length > 0 && shapes.length !== names.length)
      fail(net, 'input_shape', `${names.length} input(s) but ${shapes.length} input_shape(s): give one input_shape per input`, file);
    if (shapes.length === 0 && dims.length !== 4 * names.length)
      fail(net, 'input_dim', `${names.length} input(s) need ${4 * names.length} input_dim values (N, C, H, W each), found ${dims.length}`, file);
    const inputLayer: Message = {
      name: 'input',
      type: 'Input',
      top: [...names],
      input_param: {
        shape: names.map((_, i) => (shapes.length > 0 ? { dim: repeated<number>(shapes[i], 'dim') } : { dim: dims.slice(4 * i, 4 * i + 4) })),
      },
    };
    // Errors about the generated Input layer point at the `input:` line it came from.
    const pos = fieldSourceOf(net, 'input');
    if (pos) setSource(inputLayer, pos);
    net.layer = [inputLayer, ...repeated<Message>(net, 'layer')];
    notes.push(`turned the net's deprecated input fields into an Input layer 'input' (${names.join(', ')})`);
  }
  delete net.input;
  delete net.input_shape;
  delete net.input_dim;
}

function needsDataUpgrade(net: Message): boolean {
  return repeated<Message>(net, 'layers').some((l) => {
    const p = dataParamOf(l);
    return p !== undefined && ['scale', 'mean_file', 'crop_size', 'mirror'].some((f) => has(p, f));
  });
}

const DATA_PARAM: Record<string, string> = { DATA: 'data_param', IMAGE_DATA: 'image_data_param', WINDOW_DATA: 'window_data_param' };

function dataParamOf(layer: Message): Message | undefined {
  const field = DATA_PARAM[layer.type as string];
  const p = field ? layer[field] : undefined;
  return isMessage(p) ? p : undefined;
}

/** UpgradeNetDataTransformation. */
function upgradeDataTransformation(net: Message): void {
  for (const layer of repeated<Message>(net, 'layers')) {
    const p = dataParamOf(layer);
    if (!p) continue;
    const t: Message = isMessage(layer.transform_param) ? layer.transform_param : (layer.transform_param = {});
    for (const f of ['scale', 'mean_file', 'crop_size', 'mirror']) {
      if (has(p, f)) {
        t[f] = p[f];
        delete p[f];
      }
    }
  }
}

/** Parameter messages copied verbatim from V1 to V2 (UpgradeV1LayerParameter). */
const V1_COPIED = [
  'accuracy_param', 'argmax_param', 'concat_param', 'contrastive_loss_param', 'convolution_param', 'data_param',
  'dropout_param', 'dummy_data_param', 'eltwise_param', 'exp_param', 'hdf5_data_param', 'hdf5_output_param',
  'hinge_loss_param', 'image_data_param', 'infogain_loss_param', 'inner_product_param', 'lrn_param',
  'memory_data_param', 'mvn_param', 'pooling_param', 'power_param', 'relu_param', 'sigmoid_param', 'softmax_param',
  'slice_param', 'tanh_param', 'threshold_param', 'window_data_param', 'transform_param', 'loss_param',
];

/** UpgradeV1LayerParameter. */
export function upgradeV1Layer(v1: Message, file: string): Message {
  const out: Message = {};
  copySource(v1, out);
  if (has(v1, 'bottom')) out.bottom = [...repeated<string>(v1, 'bottom')];
  if (has(v1, 'top')) out.top = [...repeated<string>(v1, 'top')];
  if (has(v1, 'name')) out.name = v1.name;
  if (has(v1, 'include')) out.include = repeated<Message>(v1, 'include');
  if (has(v1, 'exclude')) out.exclude = repeated<Message>(v1, 'exclude');
  if (has(v1, 'type')) {
    const t = v1TypeToV2(String(v1.type));
    if (t === undefined) fail(v1, 'type', `unknown V1 layer type ${String(v1.type)}`, file);
    out.type = t;
  }
  const params: Message[] = [];
  const spec = (i: number): Message => (params[i] ??= {});
  repeated<string>(v1, 'param').forEach((name, i) => (spec(i).name = name));
  repeated<string>(v1, 'blob_share_mode').forEach((mode, i) => (spec(i).share_mode = mode));
  repeated<number>(v1, 'blobs_lr').forEach((lr, i) => (spec(i).lr_mult = lr));
  repeated<number>(v1, 'weight_decay').forEach((d, i) => (spec(i).decay_mult = d));
  for (let i = 0; i < params.length; i++) params[i] ??= {};
  if (params.length > 0) out.param = params;
  if (has(v1, 'loss_weight')) out.loss_weight = [...repeated<number>(v1, 'loss_weight')];
  for (const f of V1_COPIED) if (isMessage(v1[f])) out[f] = v1[f];
  return out;
}

/** UpgradeV0Net, including UpgradeV0PaddingLayers. Produces V1 `layers`. */
function upgradeV0Net(net: Message, file: string): Message {
  const layers = repeated<Message>(net, 'layers');
  const lastTop = new Map<string, number>();
  for (const name of repeated<string>(net, 'input')) lastTop.set(name, -1);
  const kept: Message[] = [];
  layers.forEach((conn, i) => {
    const v0 = isMessage(conn.layer) ? conn.layer : {};
    const bottoms = [...repeated<string>(conn, 'bottom')];
    const upgraded = { ...conn, layer: { ...v0 } } as Message;
    if (bottoms.length > 0) upgraded.bottom = bottoms;
    copySource(conn, upgraded);
    bottoms.forEach((blob, j) => {
      const src = lastTop.get(blob);
      if (src === undefined) fail(conn, 'bottom', `unknown blob input '${blob}' to layer ${j}`, file);
      if (src === -1) return;
      const srcConn = layers[src];
      const srcV0 = isMessage(srcConn.layer) ? srcConn.layer : {};
      if (srcV0.type !== 'padding') return;
      if (v0.type !== 'conv' && v0.type !== 'pool')
        fail(conn, 'bottom', `padding layer input to non-convolutional / non-pooling layer type ${String(v0.type)}`, file);
      if (bottoms.length !== 1) fail(conn, 'bottom', 'conv layer takes a single blob as input', file);
      if (repeated(srcConn, 'bottom').length !== 1 || repeated(srcConn, 'top').length !== 1)
        fail(srcConn, 'bottom', 'padding layer takes a single blob as input and produces a single blob', file);
      (upgraded.layer as Message).pad = srcV0.pad ?? 0;
      bottoms[j] = repeated<string>(srcConn, 'bottom')[0];
    });
    if (v0.type !== 'padding') kept.push(upgraded);
    for (const top of repeated<string>(conn, 'top')) lastTop.set(top, i);
  });
  const out: Message = { ...net, layers: kept.map((c) => upgradeV0Layer(c, file)) };
  copySource(net, out);
  return out;
}

/** Where each V0 field goes in V1, by V0 layer type (UpgradeV0LayerParameter). */
function upgradeV0Layer(conn: Message, file: string): Message {
  const v0 = conn.layer as Message;
  const out: Message = {};
  copySource(conn, out);
  if (has(conn, 'bottom')) out.bottom = repeated(conn, 'bottom');
  if (has(conn, 'top')) out.top = repeated(conn, 'top');
  const type = String(v0.type ?? '');
  if (has(v0, 'name')) out.name = v0.name;
  if (has(v0, 'type')) {
    const t = V0_TYPES[type];
    if (t === undefined) fail(v0, 'type', `unknown V0 layer type '${type}'`, file);
    out.type = t;
  }
  if (has(v0, 'blobs_lr')) out.blobs_lr = repeated(v0, 'blobs_lr');
  if (has(v0, 'weight_decay')) out.weight_decay = repeated(v0, 'weight_decay');
  const sub = (field: string): Message => (isMessage(out[field]) ? (out[field] as Message) : (out[field] = {}));
  const put = (v0Field: string, targets: Record<string, [string, string, 'set' | 'add']>): void => {
    if (!has(v0, v0Field)) return;
    const target = targets[type];
    if (!target) fail(v0, v0Field, `unknown parameter ${v0Field} for V0 layer type '${type}'`, file);
    const [param, field, how] = target;
    if (how === 'add') sub(param)[field] = [...repeated(sub(param), field), v0[v0Field] as number];
    else sub(param)[field] = v0[v0Field];
  };
  const convOrIp = (f: string): Record<string, [string, string, 'set' | 'add']> => ({
    conv: ['convolution_param', f, 'set'],
    innerproduct: ['inner_product_param', f, 'set'],
  });
  put('num_output', convOrIp('num_output'));
  put('biasterm', convOrIp('bias_term'));
  put('weight_filler', convOrIp('weight_filler'));
  put('bias_filler', convOrIp('bias_filler'));
  put('pad', { conv: ['convolution_param', 'pad', 'add'], pool: ['pooling_param', 'pad', 'set'] });
  put('kernelsize', { conv: ['convolution_param', 'kernel_size', 'add'], pool: ['pooling_param', 'kernel_size', 'set'] });
  put('group', { conv: ['convolution_param', 'group', 'set'] });
  put('stride', { conv: ['convolution_param', 'stride', 'add'], pool: ['pooling_param', 'stride', 'set'] });
  put('pool', { pool: ['pooling_param', 'pool', 'set'] });
  put('dropout_ratio', { dropout: ['dropout_param', 'dropout_ratio', 'set'] });
  for (const f of ['local_size', 'alpha', 'beta', 'k']) put(f, { lrn: ['lrn_param', f, 'set'] });
  put('source', {
    data: ['data_param', 'source', 'set'],
    hdf5_data: ['hdf5_data_param', 'source', 'set'],
    images: ['image_data_param', 'source', 'set'],
    window_data: ['window_data_param', 'source', 'set'],
    infogain_loss: ['infogain_loss_param', 'source', 'set'],
  });
  if (has(v0, 'scale')) sub('transform_param').scale = v0.scale;
  if (has(v0, 'meanfile')) sub('transform_param').mean_file = v0.meanfile;
  put('batchsize', {
    data: ['data_param', 'batch_size', 'set'],
    hdf5_data: ['hdf5_data_param', 'batch_size', 'set'],
    images: ['image_data_param', 'batch_size', 'set'],
    window_data: ['window_data_param', 'batch_size', 'set'],
  });
  if (has(v0, 'cropsize')) sub('transform_param').crop_size = v0.cropsize;
  if (has(v0, 'mirror')) sub('transform_param').mirror = v0.mirror;
  put('rand_skip', { data: ['data_param', 'rand_skip', 'set'], images: ['image_data_param', 'rand_skip', 'set'] });
  put('shuffle_images', { images: ['image_data_param', 'shuffle', 'set'] });
  put('new_height', { images: ['image_data_param', 'new_height', 'set'] });
  put('new_width', { images: ['image_data_param', 'new_width', 'set'] });
  put('concat_dim', { concat: ['concat_param', 'concat_dim', 'set'] });
  put('det_fg_threshold', { window_data: ['window_data_param', 'fg_threshold', 'set'] });
  put('det_bg_threshold', { window_data: ['window_data_param', 'bg_threshold', 'set'] });
  put('det_fg_fraction', { window_data: ['window_data_param', 'fg_fraction', 'set'] });
  put('det_context_pad', { window_data: ['window_data_param', 'context_pad', 'set'] });
  put('det_crop_mode', { window_data: ['window_data_param', 'crop_mode', 'set'] });
  put('hdf5_output_param', { hdf5_output: ['hdf5_output_param', 'hdf5_output_param', 'set'] });
  if (isMessage(out.hdf5_output_param) && isMessage(out.hdf5_output_param.hdf5_output_param))
    out.hdf5_output_param = out.hdf5_output_param.hdf5_output_param;
  return out;
}
