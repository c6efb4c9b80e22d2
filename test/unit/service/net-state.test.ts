/** openModel in Caffe's net state: the phase and stages decide which layers of a train_val net are in, and the summary lists the rest. */
import { describe, expect, it } from 'vitest';
import { createService } from '../../../src/main/service/index.js';

const service = createService();
const LENET_TRAIN_TEST = new URL('../../data/models/lenet_train_test.v1.prototxt', import.meta.url).pathname;

describe('openModel in a net state', () => {
  it('opens BVLC lenet_train_test in TRAIN and in TEST, each with its own layers, and says which were left out', async () => {
    const train = await service.call('openModel', { prototxt: LENET_TRAIN_TEST, inputShapes: { data: [64, 1, 28, 28] }, phase: 'TRAIN' });
    expect(train.layers.map((l) => l.name)).not.toContain('accuracy');
    expect(train.state).toEqual({
      phase: 'TRAIN',
      level: 0,
      stages: [],
      excluded: [
        { name: 'mnist', type: 'Data', line: 17 },
        { name: 'accuracy', type: 'Accuracy', line: 133 },
      ],
    });
    const test = await service.call('openModel', { prototxt: LENET_TRAIN_TEST, inputShapes: { data: [100, 1, 28, 28] } });
    expect(test.state.phase).toBe('TEST');
    expect(test.layers.find((l) => l.name === 'accuracy')?.top_shapes).toEqual([[]]);
    expect(test.state.excluded).toEqual([{ name: 'mnist', type: 'Data', line: 2 }]);
  });

  it('refuses a phase Caffe does not have, naming the field', async () => {
    await expect(service.call('openModel', { prototxt: LENET_TRAIN_TEST, phase: 'DEPLOY' as 'TEST' })).rejects.toThrow(/phase/);
  });
});

describe('a net whose shapes the file does not give', () => {
  it('is refused where it must compute: a run, an export, the reference, with the first unknown layer and its line', async () => {
    const { loadCaffeNet } = await import('../../../src/main/net/model.js');
    const { createEngine } = await import('../../../src/main/engine/index.js');
    const { exportModel } = await import('../../../src/main/export/index.js');
    const model = await loadCaffeNet({ prototxt: LENET_TRAIN_TEST, tolerant: true });
    expect(model.shapes.unknown).toEqual([expect.objectContaining({ layer: 'mnist', type: 'Data', location: expect.objectContaining({ line: 17 }) })]);
    await expect(createEngine(model, { engine: 'reference' })).rejects.toThrow(/lenet_train_test\.v1\.prototxt:17:\d+.*running the net needs every shape; layer 'mnist' \(Data\) has none/);
    model.weights.set('conv1', []);
    await expect(exportModel(model, { format: 'onnx', out: '/nowhere/x.onnx', ordering: 'channels_last' })).rejects.toThrow(/exporting needs every shape; layer 'mnist' \(Data\) has none/);
    // Without `tolerant`, the net is refused at once, as before.
    await expect(loadCaffeNet({ prototxt: LENET_TRAIN_TEST })).rejects.toThrow(/the Data layer takes its shape from the records of its database/);
  });

  it('opens BVLC lenet_train_test without an input shape: the Data layer and all after it unknown, with the reason; a run asks for the shape', async () => {
    const summary = await service.call('openModel', { prototxt: LENET_TRAIN_TEST });
    expect(summary.layers.map((l) => l.name)).toEqual(['mnist', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'accuracy', 'loss']);
    const [mnist, conv1] = summary.layers;
    expect(mnist.top_shapes).toEqual([null, null]);
    expect(mnist.unknown).toBe('the Data layer takes its shape from the records of its database: give it as an input shape, data=N,C,H,W (the Input shapes field; --input-shape on the command line)');
    expect(conv1.top_shapes).toEqual([null]);
    expect(conv1.unknown).toBe("its bottom 'data' is unknown, after 'mnist' (Data): the Data layer takes its shape from the records of its database: give it as an input shape, data=N,C,H,W (the Input shapes field; --input-shape on the command line)");
    expect(summary.inputs).toEqual([
      { name: 'data', shape: null },
      { name: 'label', shape: null },
    ]);
    // The Keras side says why nothing converts, layer by layer.
    const keras = await service.call('kerasLayers', { id: summary.id, ordering: 'channels_last' });
    expect(keras.byCaffeLayer.conv1).toMatchObject({ status: 'failed' });
    expect(JSON.stringify(keras.byCaffeLayer.conv1)).toContain("its shape is unknown: its bottom 'data' is unknown");
    // An image needs a size to be resized to, which the file does not give.
    await expect(service.call('runModel', { id: summary.id, input: { sample: 'digit_3.png' } })).rejects.toThrow(
      /digit_3\.png: is an image, but the net input 'data' has no size to resize it to \(the Data layer takes its shape from the records of its database: .*\): give the input shape data=1,C,H,W, or feed a \.npy, which brings its own shape/,
    );
  });
});

describe('a data layer whose parameters give its shape', () => {
  it("opens the head of BVLC GoogLeNet's train_val in each phase with OpenCV's deploy shapes at the phase's batch size", async () => {
    const { readFileSync } = await import('node:fs');
    const { fixture } = await import('../../helpers/fixtures.js');
    const net = new URL('../../data/models/bvlc_googlenet_train_val.head.prototxt', import.meta.url).pathname;
    // OpenCV's dnn on the deploy prototxt (batch 10): the same layers, another batch.
    const deploy = JSON.parse(readFileSync(fixture('prototxts', 'bvlc_googlenet.shapes.json'), 'utf8')) as { layers: { name: string; top_shapes: number[][] }[] };
    const at = (batch: number) => new Map(deploy.layers.map((l) => [l.name, l.top_shapes.map((s) => [batch, ...s.slice(1)])]));
    for (const [phase, batch] of [['TRAIN', 32], ['TEST', 50]] as const) {
      const summary = await service.call('openModel', { prototxt: net, phase });
      const expected = at(batch);
      expect(summary.layers[0].top_shapes).toEqual([[batch, 3, 224, 224], [batch]]);
      for (const layer of summary.layers.slice(1)) expect(layer.top_shapes, `${phase} ${layer.name}`).toEqual(expected.get(layer.name));
      expect(summary.layers.every((l) => l.unknown === undefined)).toBe(true);
    }
  });
});
