/**
 * The export panel's logic: where an export goes by default, which options apply to which format,
 * the request the panel sends, and how its store follows the open model and reports the outcome.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import type { ConvertResult, Method, ModelSummary, Request, Response } from '../../../src/shared/api.js';
import type { SerializedError } from '../../../src/shared/errors.js';
import { ApiError, type ApiClient } from '../../../src/renderer/src/api/types.js';
import { provideApi } from '../../../src/renderer/src/api/instance.js';
import {
  agreementLine,
  customLayerModules,
  defaultOutputPath,
  EXPORT_FORMATS,
  exportBlocker,
  flipApplies,
  flipHint,
  groupWrittenFiles,
  meanApplies,
  orderingApplies,
  retargetOutputPath,
  toConvertRequest,
  type ExportChoices,
} from '../../../src/renderer/src/lib/export.js';
import { useExporterStore } from '../../../src/renderer/src/stores/exporter.js';
import { useModelStore } from '../../../src/renderer/src/stores/model.js';
import { useRunnerStore } from '../../../src/renderer/src/stores/runner.js';

const lenet = { id: 's1', name: 'LeNet', prototxt: '/models/lenet_mnist/deploy.prototxt', caffemodel: '/models/lenet_mnist/weights.caffemodel' };
const choices = (over: Partial<ExportChoices> = {}): ExportChoices => ({
  format: 'onnx',
  ordering: 'channels_last',
  flipKernels: false,
  out: '/tmp/LeNet.onnx',
  mean: '',
  ...over,
});

describe('the default output path', () => {
  it('sits next to the prototxt, named after the model, with each format’s extension or folder suffix', () => {
    expect(EXPORT_FORMATS.map((f) => defaultOutputPath(lenet, f.id))).toEqual([
      '/models/lenet_mnist/LeNet.keras',
      '/models/lenet_mnist/LeNet.h5',
      '/models/lenet_mnist/LeNet_tfjs',
      '/models/lenet_mnist/LeNet.onnx',
      '/models/lenet_mnist/LeNet_npy',
    ]);
  });

  it('falls back to the prototxt’s own name for an unnamed model, keeping Windows separators', () => {
    expect(defaultOutputPath({ name: '', prototxt: 'C:\\models\\vgg\\VGG_CNN_S_deploy.prototxt' }, 'h5')).toBe('C:\\models\\vgg\\VGG_CNN_S_deploy.h5');
    expect(defaultOutputPath({ name: '', prototxt: 'deploy.prototxt' }, 'npy')).toBe('deploy_npy');
  });

  it('turns a model name into a safe file name (no separators, not hidden)', () => {
    expect(defaultOutputPath({ name: 'VGG CNN/S (v2)', prototxt: '/m/deploy.prototxt' }, 'onnx')).toBe('/m/VGG_CNN_S_v2.onnx');
    expect(defaultOutputPath({ name: '..', prototxt: '/m/.hidden.prototxt' }, 'keras')).toBe('/m/hidden.keras');
    expect(defaultOutputPath({ name: '', prototxt: '/m/....' }, 'keras')).toBe('/m/model.keras');
  });

  it('follows a change of format when it ends like a default, and leaves a path of the user’s own alone', () => {
    expect(retargetOutputPath('/out/LeNet.onnx', 'npy')).toBe('/out/LeNet_npy');
    expect(retargetOutputPath('/out/LeNet_npy', 'keras')).toBe('/out/LeNet.keras');
    expect(retargetOutputPath('/out/LeNet.keras', 'tfjs')).toBe('/out/LeNet_tfjs');
    expect(retargetOutputPath('/out/LeNet.H5', 'onnx')).toBe('/out/LeNet.onnx');
    expect(retargetOutputPath('/out/my-model', 'onnx')).toBe('/out/my-model');
    // Only the last segment counts.
    expect(retargetOutputPath('/out/x.onnx/model', 'keras')).toBe('/out/x.onnx/model');
  });
});

describe('which options apply', () => {
  it('offers the ordering for every format except .npy weights, which keep Caffe’s shapes', () => {
    expect(EXPORT_FORMATS.filter((f) => orderingApplies(f.id)).map((f) => f.id)).toEqual(['keras', 'h5', 'tfjs', 'onnx']);
  });

  it('enables the kernel flip only for channels_first Keras files (.keras, .h5)', () => {
    const enabled = EXPORT_FORMATS.flatMap((f) => (['channels_last', 'channels_first'] as const).filter((o) => flipApplies(f.id, o)).map((o) => `${f.id} ${o}`));
    expect(enabled).toEqual(['keras channels_first', 'h5 channels_first']);
  });

  it('says why the flip is off', () => {
    expect(flipHint('keras', 'channels_last')).toMatch(/Only for channels_first \(Theano\)/);
    expect(flipHint('onnx', 'channels_first')).toMatch(/ONNX runs convolution as cross-correlation/);
    expect(flipHint('npy', 'channels_first')).toMatch(/Caffe's own blobs/);
    expect(flipHint('h5', 'channels_first')).toMatch(/true convolution/);
  });

  it('takes a mean file only for the .npy folder', () => {
    expect(EXPORT_FORMATS.filter((f) => meanApplies(f.id)).map((f) => f.id)).toEqual(['npy']);
  });

  it('needs an open model with weights', () => {
    expect(exportBlocker(null)).toBe('open a model first');
    expect(exportBlocker({ caffemodel: undefined })).toMatch(/opened without weights/);
    expect(exportBlocker(lenet)).toBeNull();
  });
});

describe('the convertModel request', () => {
  it('carries only the options that apply', () => {
    expect(toConvertRequest(lenet, choices({ flipKernels: true, mean: '/m/mean.binaryproto', ordering: 'channels_first' }))).toEqual({
      request: { id: 's1', format: 'onnx', out: '/tmp/LeNet.onnx', ordering: 'channels_first' },
    });
    expect(toConvertRequest(lenet, choices({ format: 'h5', out: ' /tmp/LeNet.h5 ', flipKernels: true, ordering: 'channels_first' }))).toEqual({
      request: { id: 's1', format: 'h5', out: '/tmp/LeNet.h5', ordering: 'channels_first', flipKernels: true },
    });
    expect(toConvertRequest(lenet, choices({ format: 'npy', out: '/tmp/w', ordering: 'channels_first', mean: ' /m/mean.binaryproto ' }))).toEqual({
      request: { id: 's1', format: 'npy', out: '/tmp/w', ordering: 'channels_last', mean: '/m/mean.binaryproto' },
    });
  });

  it('refuses an empty output, one that would replace the model, and a model without weights', () => {
    expect(toConvertRequest(lenet, choices({ out: '  ' }))).toEqual({ problem: 'enter the file to write' });
    expect(toConvertRequest(lenet, choices({ format: 'tfjs', out: '' }))).toEqual({ problem: 'enter the folder to write' });
    expect(toConvertRequest(lenet, choices({ out: lenet.caffemodel }))).toHaveProperty('problem', expect.stringMatching(/replace the model/));
    expect(toConvertRequest({ ...lenet, caffemodel: '/m/npy/' }, choices({ format: 'npy', out: '/m/npy' }))).toHaveProperty('problem', expect.stringMatching(/replace the model/));
    expect(toConvertRequest({ ...lenet, caffemodel: undefined }, choices())).toHaveProperty('problem', expect.stringMatching(/without weights/));
  });
});

describe('the export result', () => {
  it('lists the files by their folder', () => {
    expect(groupWrittenFiles(['/o/LeNet_npy/W_conv1.npy', '/o/LeNet_npy/b_conv1.npy'])).toEqual({ folder: '/o/LeNet_npy/', names: ['W_conv1.npy', 'b_conv1.npy'] });
    expect(groupWrittenFiles(['/o/net_tfjs/model.json', '/o/net_tfjs/group1-shard1of1.bin', '/o/portafilter_layers.js'])).toEqual({
      folder: '/o/',
      names: ['net_tfjs/model.json', 'net_tfjs/group1-shard1of1.bin', 'portafilter_layers.js'],
    });
    expect(groupWrittenFiles(['C:\\o\\a.onnx'])).toEqual({ folder: 'C:\\o\\', names: ['a.onnx'] });
    expect(groupWrittenFiles([])).toEqual({ folder: '', names: [] });
  });

  it('names the modules that define the custom layers', () => {
    const result = (format: string, files: string[], customLayers = ['LRN']) => ({ format, files, customLayers });
    expect(customLayerModules(result('keras', ['/o/net.keras', '/o/portafilter_layers.py']))).toEqual(['portafilter_layers.py']);
    expect(customLayerModules(result('tfjs', ['/o/net_tfjs/model.json']))).toEqual(['portafilter_layers.js']);
    expect(customLayerModules(result('h5', ['/o/net.h5']))).toEqual(['portafilter_layers.py']);
    expect(customLayerModules(result('onnx', ['/o/net.onnx'], []))).toEqual([]);
  });
});

/** An API client that answers convertModel with `answer` and records what it was asked. */
function fakeApi(answer: (request: Request<'convertModel'>) => ConvertResult | SerializedError) {
  const calls: Request<'convertModel'>[] = [];
  const client: ApiClient = {
    transport: 'web',
    endpoint: 'test',
    onConnectionChange: () => () => undefined,
    call: async <M extends Method>(method: M, request: Request<M>): Promise<Response<M>> => {
      if (method !== 'convertModel') throw new Error(`unexpected ${method}`);
      const r = request as Request<'convertModel'>;
      calls.push(r);
      const out = answer(r);
      if ('code' in out) throw new ApiError(out);
      return out as Response<M>;
    },
  };
  provideApi(client);
  return calls;
}

const summary = (over: Partial<ModelSummary> = {}): ModelSummary => ({
  ...lenet,
  prototxtFormat: 'V2',
  inputs: [{ name: 'data', shape: [1, 1, 28, 28] }],
  outputs: ['prob'],
  layers: [],
  totalParams: 431080,
  state: { phase: 'TEST', level: 0, stages: [], excluded: [] },
  notes: [],
  ...over,
});

describe('the exporter store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('starts each opened model at its default path and follows the format', async () => {
    const model = useModelStore();
    const exporter = useExporterStore();
    expect(exporter.out).toBe('');
    model.summary = summary();
    await nextTick();
    expect(exporter.out).toBe('/models/lenet_mnist/LeNet.keras');
    exporter.format = 'npy';
    await nextTick();
    expect(exporter.out).toBe('/models/lenet_mnist/LeNet_npy');
    exporter.out = '/elsewhere/weights';
    exporter.format = 'onnx';
    await nextTick();
    expect(exporter.out).toBe('/elsewhere/weights');
    model.summary = summary({ id: 's2', name: 'Other', prototxt: '/m/other/deploy.prototxt' });
    await nextTick();
    expect(exporter.out).toBe('/m/other/Other.onnx');
  });

  it('shows the flip checked only where it applies, and enables the options by format', async () => {
    const exporter = useExporterStore();
    exporter.flipKernels = true;
    expect(exporter.flipKernels).toBe(false);
    exporter.ordering = 'channels_first';
    expect(exporter.flipKernels).toBe(true);
    exporter.format = 'tfjs';
    expect([exporter.flipEnabled, exporter.flipKernels, exporter.orderingEnabled, exporter.meanEnabled]).toEqual([false, false, true, false]);
    exporter.format = 'npy';
    expect([exporter.flipEnabled, exporter.orderingEnabled, exporter.meanEnabled]).toEqual([false, false, true]);
  });

  it('exports through the API and keeps the result', async () => {
    const files = ['/o/LeNet.onnx'];
    const calls = fakeApi(() => ({ format: 'onnx', files, customLayers: [], notes: ['opset 13'] }));
    const model = useModelStore();
    const exporter = useExporterStore();
    model.summary = summary();
    await nextTick();
    exporter.format = 'onnx';
    exporter.out = '/o/LeNet.onnx';
    await exporter.run();
    // Verified by default; the Run view has no input yet, so on the service's seeded one.
    expect(calls).toEqual([{ id: 's1', format: 'onnx', out: '/o/LeNet.onnx', ordering: 'channels_last', verify: { preprocess: {} } }]);
    expect(exporter.verifyInput.label).toBe('a seeded random input (the Run view has no input chosen)');
    expect(exporter.result?.files).toEqual(files);
    expect(exporter.written).toEqual({ folder: '/o/', names: ['LeNet.onnx'] });
    expect(model.error).toBeNull();
  });

  it("verifies on the Run view's input and preprocessing, and not at all when unticked", async () => {
    const calls = fakeApi(() => ({ format: 'onnx', files: ['/o/LeNet.onnx'], customLayers: [], notes: [] }));
    const model = useModelStore();
    const exporter = useExporterStore();
    const runner = useRunnerStore();
    model.summary = summary();
    await nextTick();
    runner.choosePath('/in/digit.png');
    runner.current!.setup.preprocess.inputScale = '0.00390625';
    exporter.format = 'onnx';
    exporter.out = '/o/LeNet.onnx';
    expect(exporter.verifyInput.label).toBe("digit.png, the Run view's input");
    await exporter.run();
    exporter.verify = false;
    await exporter.run();
    expect(calls.map((c) => c.verify)).toEqual([{ input: { file: '/in/digit.png' }, preprocess: { scale: 0.00390625 } }, undefined]);
  });

  it('reads a verified output as a line: the error, its ratio to the tolerance and the top class', () => {
    expect(agreementLine({ blob: 'prob', shape: [1, 10], maxAbs: 5.96e-8, maxRel: 1e-6, ratio: 0.00054, ok: true, top1: { exported: 3, reference: 3 } })).toBe(
      'prob 1×10: max |Δ| 5.96e-8, 5.4e-4× the tolerance, top-1 3 = reference',
    );
    expect(agreementLine({ blob: 'prob', shape: [1, 10], maxAbs: 0.5, maxRel: 0.9, ratio: 2.5e4, ok: false, top1: { exported: 1, reference: 3 } })).toBe(
      'prob 1×10: max |Δ| 5.00e-1, 2.5e+4× the tolerance, top-1 1 (reference 3)',
    );
    // JSON carries a non-finite ratio (shapes that differ) as null.
    expect(agreementLine({ blob: 'boxes', shape: [1, 4420, 4], maxAbs: null as unknown as number, maxRel: 0, ratio: null as unknown as number, ok: false })).toBe(
      'boxes 1×4420×4: max |Δ| NaN, off the scale of the tolerance',
    );
  });

  it('puts a failed export in the error panel, and a bad form in its own line without calling the API', async () => {
    const failure: SerializedError = { code: 'PortafilterError', message: 'ENOTDIR: not a directory', location: { file: '/o/file' } };
    const calls = fakeApi(() => failure);
    const model = useModelStore();
    const exporter = useExporterStore();
    model.summary = summary();
    await nextTick();
    await exporter.run();
    expect(model.error).toEqual(failure);
    expect(exporter.result).toBeNull();
    exporter.out = '';
    await exporter.run();
    expect(exporter.problem).toBe('enter the file to write');
    expect(calls).toHaveLength(1);
  });
});
