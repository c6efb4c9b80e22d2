import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/main/engine/index.js';
import { checkMemory, estimateMemory } from '../../../src/main/engine/memory.js';
import { loadCaffeNet } from '../../../src/main/net/model.js';
import { fixture } from '../../helpers/fixtures.js';

const lenet = { prototxt: fixture('models/lenet_mnist/deploy.prototxt'), caffemodel: fixture('models/lenet_mnist/weights.caffemodel') };
const pnet = { prototxt: fixture('models/mtcnn_pnet/deploy.prototxt'), caffemodel: fixture('models/mtcnn_pnet/weights.caffemodel') };
const GiB = 1024 ** 3;

/**
 * P-Net's float32 outputs at 1×3×H×W, by Caffe's rules from its prototxt: 3×3 convolutions of stride 1
 * take 2 off each side, the 2×2 stride-2 pooling rounds up, PReLU is in place but its output is its own,
 * and the four 1×1 heads (score, prob, bbox_pred, landmark_pred) have 2, 2, 4 and 10 channels.
 */
function pnetBytes(h: number): number {
  const s1 = h - 2;
  const s2 = Math.ceil((s1 - 2) / 2) + 1;
  const s3 = s2 - 2;
  const s4 = s3 - 2;
  return 4 * (3 * h * h + 2 * 10 * s1 * s1 + 10 * s2 * s2 + 2 * 16 * s3 * s3 + 2 * 32 * s4 * s4 + (2 + 2 + 4 + 10) * s4 * s4);
}

describe('the memory a run needs', () => {
  it("counts LeNet's every layer output as OpenCV's dumps of one digit have them, and its 431,080 weights", async () => {
    const model = await loadCaffeNet({ ...lenet, inputShapes: { data: [1, 1, 28, 28] } });
    const shapes = JSON.parse(readFileSync(fixture('models/lenet_mnist/expected/digit_3/shapes.json'), 'utf8')) as Record<string, number[]>;
    const values = 28 * 28 + Object.values(shapes).reduce((sum, s) => sum + s.reduce((a, d) => a * d, 1), 0);
    const estimate = estimateMemory(model);
    expect(estimate.activations).toBe(4 * values);
    // conv1 20·1·5·5+20, conv2 50·20·5·5+50, ip1 500·800+500, ip2 10·500+10
    expect(estimate.weights).toBe(4 * 431_080);
    expect(estimate.total).toBe(4 * (values + 431_080));
    expect(estimate.largest).toMatchObject({ layer: 'conv1', shape: [1, 20, 24, 24] });
  });

  it('grows with the input shape as Caffe reshapes P-Net', async () => {
    const model = await loadCaffeNet({ ...pnet, inputShapes: { data: [1, 3, 1000, 1000] } });
    expect(estimateMemory(model).activations).toBe(pnetBytes(1000));
  });

  it('refuses a run larger than the machine, naming the input, its shape, where the shape came from and both sizes', async () => {
    const model = await loadCaffeNet({ ...pnet, inputShapes: { data: [1, 3, 4000, 4000] } });
    const machine = { total: 2 * GiB, free: 1 * GiB };
    const needs = (pnetBytes(4000) / GiB).toFixed(1);
    expect(() => checkMemory(model, { machine, origin: (input) => `--input-shape ${input}=1,3,4000,4000` })).toThrow(
      new RegExp(
        `^the input data 1×3×4000×4000 \\(--input-shape data=1,3,4000,4000\\) is too large for this machine: running it needs at least ${needs} GiB, ` +
          `.* but this machine has 2\\.0 GiB of memory \\(1\\.0 GiB free\\)`,
      ),
    );
    // Without the caller's words, it still says the shape was given rather than declared.
    expect(() => checkMemory(model, { machine })).toThrow(/the input data 1×3×4000×4000 \(given as its input shape\)/);
    expect(pnetBytes(4000)).toBeGreaterThan(2 * GiB);
  });

  it('lets through a run that fits', async () => {
    const model = await loadCaffeNet(pnet);
    expect(() => checkMemory(model, { machine: { total: GiB, free: GiB } })).not.toThrow();
  });

  it.skipIf(totalmem() >= pnetBytes(14_000))('createEngine refuses P-Net at 1×3×14000×14000 on this machine at once, before allocating', async () => {
    const model = await loadCaffeNet({ ...pnet, inputShapes: { data: [1, 3, 14_000, 14_000] } });
    const started = performance.now();
    await expect(createEngine(model, { engine: 'reference' })).rejects.toThrow(/the input data 1×3×14000×14000 .* too large for this machine/);
    await expect(createEngine(model, { engine: 'cpu' })).rejects.toThrow(/too large for this machine/);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
