import { afterAll, describe, expect, it } from 'vitest';
import { createWorkerService } from '../../src/main/service/worker-client.js';
import { fixture } from '../helpers/fixtures.js';

const service = createWorkerService();
afterAll(() => service.dispose());

describe('the service in a worker thread', () => {
  it('answers calls and reports progress across the thread', async () => {
    const demo = await service.call('demoModel', {});
    const stages: string[] = [];
    const summary = await service.call('openModel', { prototxt: demo.prototxt, caffemodel: demo.caffemodel, inputShapes: demo.inputShapes }, {
      onProgress: (p) => stages.push(p.stage),
    });
    expect(summary.layers.find((l) => l.name === 'conv1')?.top_shapes).toEqual([[1, 20, 24, 24]]);
    expect(stages).toContain('reading the weights');
  });

  it('brings typed errors back with their code and location', async () => {
    const err = await service.call('openModel', { prototxt: fixture('models/lenet_mnist/weights.caffemodel') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CaffeParseError', location: { file: fixture('models/lenet_mnist/weights.caffemodel') } });
    expect((err as Error).message).toMatch(/is not a text prototxt/);
  });

  it('validates requests inside the worker too', async () => {
    await expect(service.call('openModel', { prototxt: 42 })).rejects.toThrow(/invalid request for openModel/);
  });

  it('cancels a call when its signal aborts', async () => {
    const abort = new AbortController();
    const call = service.call('openModel', { prototxt: fixture('prototxts/bvlc_googlenet.prototxt') }, { signal: abort.signal });
    abort.abort();
    // Either it finished before the cancel arrived, or it reports the cancellation.
    const outcome = await call.then(() => 'finished', (e: Error) => e.message);
    expect(['finished', 'cancelled']).toContain(outcome);
  });
});
