import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A V2 prototxt of `n` small layers (a chain of ReLUs after an Input): seconds to parse, tiny weights. */
function longChain(n: number): string {
  const lines = ['name: "long"', 'layer { name: "data" type: "Input" top: "x0" input_param { shape { dim: 1 dim: 1 dim: 2 dim: 2 } } }'];
  for (let i = 1; i <= n; i++) lines.push(`layer { name: "r${i}" type: "ReLU" bottom: "x${i - 1}" top: "x${i}" }`);
  return lines.join('\n') + '\n';
}

describe('a spare worker, ready before a model is opened', () => {
  it('opens each model in the spare started before it, and starts the next spare behind it', async () => {
    const spawned: string[] = [];
    const pool = createWorkerService({ onSpawn: (role) => spawned.push(role) });
    try {
      await pool.call('version', {});
      expect(spawned).toEqual(['spare', 'utility']);
      const demo = await pool.call('demoModel', {});
      const a = await pool.call('openModel', demo);
      expect(spawned).toEqual(['spare', 'utility', 'spare']);
      const b = await pool.call('openModel', demo);
      expect(spawned).toEqual(['spare', 'utility', 'spare', 'spare']);
      // Each model kept the worker it was opened in: closing one leaves the other answering.
      await pool.call('closeModel', { id: a.id });
      expect((await pool.call('layerParams', { id: b.id, layer: 'conv1' })).layer).toBe('conv1');
    } finally {
      pool.dispose();
    }
  });

  it('spawns none when asked not to keep one', async () => {
    const spawned: string[] = [];
    const pool = createWorkerService({ spareWorker: false, onSpawn: (role) => spawned.push(role) });
    try {
      await pool.call('openModel', await pool.call('demoModel', {}));
      expect(spawned).toEqual(['utility', 'model']);
    } finally {
      pool.dispose();
    }
  });
});

describe('a pool of workers, one per open model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portafilter-pool-'));
  const long = join(dir, 'long.prototxt');
  writeFileSync(long, longChain(300_000));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers another client's calls while one model's long parse runs", async () => {
    const pool = createWorkerService();
    try {
      await pool.call('version', {}); // the utility worker is up before the race starts
      let opened = false;
      const opening = pool.call('openModel', { prototxt: long }).then(() => (opened = true));
      const version = await pool.call('version', {});
      expect(version.version).toMatch(/^\d+\.\d+\.\d+/);
      expect((await pool.call('demoModel', {})).title).toMatch(/LeNet/);
      expect(opened).toBe(false); // the long one is still parsing: nothing waited behind it
      await opening;
    } finally {
      pool.dispose();
    }
  }, 120_000);

  it('stops a parse mid-way when its openModel is cancelled, and keeps serving', async () => {
    const pool = createWorkerService();
    try {
      const abort = new AbortController();
      const cancelled = pool.call('openModel', { prototxt: long }, { signal: abort.signal });
      let other = false;
      const uncancelled = pool.call('openModel', { prototxt: long }).then(() => (other = true));
      setTimeout(() => abort.abort(), 200);
      await expect(cancelled).rejects.toThrow('cancelled');
      expect(other).toBe(false); // the same parse, not cancelled, is still running: the cancel did not wait for it
      expect((await pool.call('version', {})).node).toBe(process.versions.node);
      await uncancelled;
    } finally {
      pool.dispose();
    }
  }, 120_000);

  it('closes the least recently used model past its cap, and says so when it is asked for', async () => {
    const pool = createWorkerService({ maxModels: 2 });
    try {
      const demo = await pool.call('demoModel', {});
      const open = () => pool.call('openModel', { prototxt: demo.prototxt, caffemodel: demo.caffemodel });
      const a = await open();
      const b = await open();
      await pool.call('convertModel', { id: a.id, format: 'onnx', out: join(dir, 'a.onnx') }); // a is now the more recent
      const c = await open();
      await expect(pool.call('convertModel', { id: b.id, format: 'onnx', out: join(dir, 'b.onnx') })).rejects.toThrow(
        `no open model with id '${b.id}': at most 2 models stay open, and this one was used least recently`,
      );
      for (const m of [a, c]) expect((await pool.call('convertModel', { id: m.id, format: 'onnx', out: join(dir, `${m.id}.onnx`) })).format).toBe('onnx');
      expect(await pool.call('closeModel', { id: a.id })).toEqual({ closed: true });
      await expect(pool.call('convertModel', { id: a.id, format: 'onnx', out: join(dir, 'again.onnx') })).rejects.toThrow('closed by its client');
    } finally {
      pool.dispose();
    }
  }, 120_000);

  it('fails the calls of a worker that dies with the reason, and serves on', async () => {
    // A small heap, so the long net's parse runs its worker out of memory.
    const pool = createWorkerService({ resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 8 } });
    try {
      await expect(pool.call('openModel', { prototxt: long })).rejects.toThrow(/stopped \(it ran out of memory\)/);
      const demo = await pool.call('demoModel', {});
      expect((await pool.call('openModel', { prototxt: demo.prototxt, caffemodel: demo.caffemodel })).layers).toHaveLength(9);
    } finally {
      pool.dispose();
    }
  }, 120_000);
});
