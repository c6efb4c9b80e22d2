import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';

const bin = new URL('../../bin/portafilter.js', import.meta.url).pathname;
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'portafilter-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('portafilter inspect', () => {
  it('--json prints exactly one object in the documented form, shapes N,C,H,W, V2 type strings', () => {
    const { code, stdout } = run('inspect', fixture('prototxts/ResNet-50-deploy.prototxt'), '--json');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(stdout) as { inputs: unknown[]; layers: Record<string, unknown>[] };
    expect(Object.keys(out)).toEqual(['inputs', 'layers', 'phase', 'excluded']);
    expect(out.inputs).toEqual([{ name: 'data', shape: [1, 3, 224, 224] }]);
    const expected = JSON.parse(readFileSync(fixture('prototxts/ResNet-50-deploy.shapes.json'), 'utf8')) as {
      layers: { name: string; type: string; bottoms: string[]; tops: string[]; top_shapes: number[][]; blob_shapes?: number[][] }[];
    };
    const conv1 = expected.layers.find((l) => l.name === 'conv1')!;
    expect(out.layers.find((l) => l.name === 'conv1')).toEqual({
      name: 'conv1',
      type: conv1.type,
      bottoms: conv1.bottoms,
      tops: conv1.tops,
      top_shapes: conv1.top_shapes,
      blob_shapes: conv1.blob_shapes,
    });
    expect(Object.keys(out.layers[1])).toEqual(['name', 'type', 'bottoms', 'tops', 'top_shapes', 'blob_shapes']);
  });

  it("keeps the layers of the phase asked for in BVLC's lenet_train_test (Data layers shaped by --input-shape), and lists the ones left out", () => {
    const net = new URL('../data/models/lenet_train_test.v1.prototxt', import.meta.url).pathname;
    const names = (json: string): string[] => (JSON.parse(json) as { layers: { name: string }[] }).layers.map((l) => l.name);
    const test = run('inspect', net, '--input-shape', 'data=100,1,28,28', '--json');
    expect(test.code).toBe(0);
    expect(names(test.stdout)).toEqual(['mnist', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'accuracy', 'loss']);
    // The TRAIN Data layer (line 2) is left out in TEST, the TEST one (line 17) and the Accuracy (line 133) in TRAIN.
    expect(JSON.parse(test.stdout)).toMatchObject({ phase: 'TEST', excluded: [{ name: 'mnist', type: 'Data', line: 2 }] });
    const train = run('inspect', net, '--input-shape', 'data=64,1,28,28', '--phase', 'train', '--json');
    expect(train.code).toBe(0);
    expect(names(train.stdout)).toEqual(['mnist', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'loss']);
    const out = JSON.parse(train.stdout) as { phase: string; excluded: unknown[]; layers: { name: string; top_shapes: number[][] }[] };
    expect(out.phase).toBe('TRAIN');
    expect(out.excluded).toEqual([
      { name: 'mnist', type: 'Data', line: 17 },
      { name: 'accuracy', type: 'Accuracy', line: 133 },
    ]);
    expect(out.layers[0].top_shapes).toEqual([[64, 1, 28, 28], [64]]);
    const table = run('inspect', net, '--input-shape', 'data=64,1,28,28', '--phase', 'TRAIN');
    expect(table.stdout).toContain('note: left out 2 layer(s) not in the TRAIN phase: mnist, accuracy');
    const bad = run('inspect', net, '--phase', 'deploy');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--phase expects TEST or TRAIN (Caffe's Phase), got 'deploy'");
  });

  it('prints a table and checks the weights against the prototxt, with an input-shape override', () => {
    const { code, stdout } = run(
      'inspect',
      fixture('models/cifar10_quick/deploy.prototxt'),
      fixture('models/cifar10_quick/weights.caffemodel'),
      '--input-shape',
      'data=1,3,32,32',
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/layer\s+type\s+bottoms\s+tops\s+output shape/);
    expect(stdout).toMatch(/conv1\s+Convolution\s+data\s+conv1\s+1×32×32×32\s+2,432/);
    expect(stdout).toMatch(/caffemodel V1/);
    expect(stdout).toMatch(/every weight blob matches the shape the prototxt implies/);
  });

  it('exits non-zero with the file, line and column of a prototxt syntax error', () => {
    const bad = join(dir, 'bad.prototxt');
    writeFileSync(bad, 'name: "x"\nlayer {\n  name: "a"\n  type "ReLU"\n}\n');
    const { code, stderr } = run('inspect', bad);
    expect(code).toBe(1);
    expect(stderr).toContain(`${bad}:4:8, field 'type': expected ':' after field name 'type', found string "ReLU"`);
  });

  it('exits non-zero naming the layer and both shapes when weights do not fit', () => {
    const { code, stderr } = run('inspect', fixture('models/lenet_mnist/deploy.prototxt'), fixture('models/mtcnn_pnet/weights.caffemodel'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/weights\.caffemodel@\d+, layer 'conv1': blob 0 has shape \[10, 3, 3, 3\] in the caffemodel but the prototxt implies \[20, 1, 5, 5\]/);
  });

  it('lists every unsupported layer in one error', () => {
    const net = join(dir, 'fork.prototxt');
    writeFileSync(
      net,
      [
        'layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }',
        'layer { name: "up" type: "Upsample" bottom: "x" top: "u" upsample_param { scale: 2 } }',
        'layer { name: "relu" type: "ReLU" bottom: "u" top: "u" }',
        'layer { name: "shuffle" type: "ShuffleChannel" bottom: "u" top: "s" shuffle_channel_param { group: 2 } }',
      ].join('\n'),
    );
    // Looking at it works: the layers with no rule, and what follows them, have unknown shapes.
    const looked = run('inspect', net);
    expect(looked.code).toBe(0);
    expect(looked.stdout).toMatch(/^up +Upsample +x +u +unknown$/m);
    expect(looked.stdout).toMatch(/^relu +ReLU +u +u \(in place\) +unknown$/m);
    expect(looked.stdout).toContain("note: shapes unknown from layer 'up' (Upsample) on: Portafilter has no shape rule for the layer type 'Upsample'");
    expect(looked.stdout).toContain("note: shapes unknown from layer 'shuffle' (ShuffleChannel) on: Portafilter has no shape rule for the layer type 'ShuffleChannel'");
    expect(looked.stdout).toContain('4 layers, 0 parameters (not counting the 3 layers of unknown shape)');
    // Computing does not: one error names them all.
    const converted = run('convert', net, fixture('models/lenet_mnist/weights.caffemodel'), '--format', 'onnx', '--out', join(dir, 'fork.onnx'));
    expect(converted.code).toBe(1);
    expect(converted.stderr).toContain("2 unsupported layers: 'up' (Upsample) at line 2, 'shuffle' (ShuffleChannel) at line 4");
  });

  it('says so when the prototxt and the caffemodel are swapped, or a file is missing', () => {
    const swapped = run('inspect', fixture('models/lenet_mnist/weights.caffemodel'), fixture('models/lenet_mnist/deploy.prototxt'));
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/weights\.caffemodel:2:1: is not a text prototxt: the byte at offset 1 is the control character U\+0005.*swap/);
    const missing = run('inspect', join(dir, 'nope.prototxt'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(join(dir, 'nope.prototxt'));
  });
});
