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
