import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy, writeNpy } from '../../src/main/caffe/npy.js';
import { fixture } from '../helpers/fixtures.js';
import { PYTHON } from '../system-deps.js';

const bin = new URL('../../bin/portafilter.js', import.meta.url).pathname;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const work = mkdtempSync(join(tmpdir(), 'portafilter-cli-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const lenet = [fixture('models/lenet_mnist/deploy.prototxt'), fixture('models/lenet_mnist/weights.caffemodel')];

describe('portafilter run', () => {
  it('predicts the drawn 7 from the PNG (x = png/256), naming the engine it used', () => {
    const { code, stdout } = cli('run', ...lenet, '--input', fixture('models/lenet_mnist/digit_7.png'), '--scale', '0.00390625', '--top', '2', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { engine: string; engineDetail: string; outputs: { blob: string; top: { index: number; score: number }[][] }[] };
    expect(out.engine).toMatch(/^(tfjs-node-gpu|tfjs-node|onnxruntime|wasm|cpu)$/);
    expect(out.engineDetail.length).toBeGreaterThan(0);
    expect(out.outputs[0].blob).toBe('prob');
    expect(out.outputs[0].top[0][0].index).toBe(7);
    expect(out.outputs[0].top[0][0].score).toBeCloseTo(0.999978, 5); // README: digit_7 -> 7 (p = 0.999978)
  });

  it('labels CIFAR-10 predictions from a labels file and runs each engine asked for', () => {
    const labels = join(work, 'cifar.txt');
    writeFileSync(labels, 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    for (const engine of ['reference', 'cpu']) {
      const { code, stdout } = cli(
        'run',
        fixture('models/cifar10_quick/deploy.prototxt'),
        fixture('models/cifar10_quick/weights.caffemodel'),
        '--input',
        fixture('models/cifar10_quick/truck10.png'),
        '--labels',
        labels,
        '--engine',
        engine,
      );
      expect(code, engine).toBe(0);
      expect(stdout).toContain(`engine: ${engine}`);
      expect(stdout).toMatch(/output prob: 1×10\n\s+0\.98\d+\s+9\s+truck/);
    }
  });

  it('--dump writes every layer as <layer>.npy in Caffe layout, in-place layers separately, and marks the folder as a dump', () => {
    const dir = join(work, 'dump');
    const { code } = cli('run', ...lenet, '--input', fixture('models/lenet_mnist/digit_3.npy'), '--dump', dir, '--engine', 'cpu');
    expect(code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['.portafilter-dump', ...['conv1', 'conv2', 'data', 'ip1', 'ip2', 'pool1', 'pool2', 'prob', 'relu1'].map((n) => `${n}.npy`)]);
    const ip1 = readNpy(join(dir, 'ip1.npy'));
    const relu1 = readNpy(join(dir, 'relu1.npy'));
    expect(ip1.shape).toEqual([1, 500]);
    expect([...npyToFloat32(ip1)].some((v) => v < 0)).toBe(true); // before the ReLU
    expect([...npyToFloat32(relu1)].every((v) => v >= 0)).toBe(true); // after it
    const expected = npyToFloat32(readNpy(fixture('models/lenet_mnist/expected/digit_3/pool2.npy')));
    const pool2 = npyToFloat32(readNpy(join(dir, 'pool2.npy')));
    expect(Math.max(...pool2.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-4);
  });
});

interface RanJson {
  engine: string;
  engineDetail: string;
  form: string;
  ordering: string | null;
  flipKernels: boolean;
  ran: string;
  skipped: { name: string; reason: string }[];
}
type DiffJson = RanJson & { rows: { layer: string; status: string; kerasShape?: number[] }[] };
type RunJson = RanJson & { outputs: { blob: string; top: { index: number; score: number }[][] }[] };

describe('what portafilter run runs', () => {
  const digit7 = ['--input', fixture('models/lenet_mnist/digit_7.npy')];

  it('runs the ordering asked for on whichever engine auto takes, and names engine, backend and ordering', () => {
    for (const ordering of ['channels_last', 'channels_first']) {
      const { code, stdout } = cli('run', ...lenet, ...digit7, '--ordering', ordering, '--json');
      expect(code, ordering).toBe(0);
      const out = JSON.parse(stdout) as RunJson;
      expect(out.ordering).toBe(ordering);
      expect(['keras', 'onnx']).toContain(out.form);
      expect(out.ran).toContain(`in ${ordering}`);
      expect(out.ran).toContain(out.engineDetail);
      expect(out.outputs[0].top[0][0].index).toBe(7);
      const text = cli('run', ...lenet, ...digit7, '--ordering', ordering);
      expect(text.stdout).toMatch(new RegExp(`^engine: ${out.engine} — the (Keras|ONNX form of the) model in ${ordering}`));
    }
  });

  it('runs --flip-kernels on the Keras model, passing over onnxruntime and saying why', () => {
    const { code, stdout } = cli('run', ...lenet, ...digit7, '--ordering', 'channels_first', '--flip-kernels', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as RunJson;
    expect([out.form, out.ordering, out.flipKernels]).toEqual(['keras', 'channels_first', true]);
    expect(out.engine).toMatch(/^(tfjs-node-gpu|tfjs-node|wasm|cpu)$/);
    expect(out.skipped.find((s) => s.name === 'onnxruntime')?.reason).toMatch(/ONNX form .* no flipped kernels/);
    expect(out.outputs[0].top[0][0].index).toBe(7);
    expect(out.outputs[0].top[0][0].score).toBeCloseTo(0.999978, 5);
  });

  it('refuses what the engine asked for cannot compute, with the reason', () => {
    const onnx = cli('run', ...lenet, ...digit7, '--engine', 'onnxruntime', '--ordering', 'channels_first', '--flip-kernels');
    expect(onnx.code).toBe(1);
    expect(onnx.stderr).toMatch(/^portafilter: error: the onnxruntime engine cannot run this: it runs the ONNX form of the model/);
    const reference = cli('run', ...lenet, ...digit7, '--engine', 'reference', '--ordering', 'channels_first');
    expect(reference.code).toBe(1);
    expect(reference.stderr).toMatch(/the reference engine cannot run this: it computes Caffe's formulas in Caffe's own layout/);
    const means = cli('run', ...lenet, '--input', fixture('models/lenet_mnist/digit_7.png'), '--mean-values', '1,2');
    expect(means.code).toBe(1);
    expect(means.stderr).toContain('--mean-values gives 2 values for a 1-channel input');
    const flipLast = cli('run', ...lenet, ...digit7, '--flip-kernels');
    expect(flipLast.code).toBe(1);
    expect(flipLast.stderr).toMatch(/--flip-kernels is only for the channels_first/);
  });

  it('runs the reference in Caffe\'s layout and says that it has no ordering', () => {
    const { code, stdout } = cli('run', ...lenet, ...digit7, '--engine', 'reference', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as RunJson;
    expect([out.engine, out.form, out.ordering]).toEqual(['reference', 'reference', null]);
    expect(out.ran).toMatch(/^the Caffe-semantics reference in Caffe's layout N,C,H,W/);
  });

  it('runs an explicit onnxruntime in the asked ordering: NHWC at the graph\'s edges for channels_last', () => {
    const { code, stdout } = cli('run', ...lenet, ...digit7, '--engine', 'onnxruntime', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as RunJson;
    expect([out.engine, out.form, out.ordering]).toEqual(['onnxruntime', 'onnx', 'channels_last']);
    expect(out.ran).toMatch(/^the ONNX form of the model in channels_last \(NHWC inputs and outputs\) on onnxruntime-node /);
  });
});

describe('portafilter diff', () => {
  it('exits 0 when every layer matches the real dumps', () => {
    const { code, stdout } = cli('diff', ...lenet, '--input', fixture('models/lenet_mnist/digit_3.npy'), '--against', fixture('models/lenet_mnist/expected/digit_3'));
    expect(code).toBe(0);
    expect(stdout).toContain('all 8 compared outputs within tolerance');
  });

  it('exits 1 and names a deliberately corrupted layer as the first divergence', () => {
    const dir = join(work, 'corrupt');
    mkdirSync(dir);
    const src = fixture('models/lenet_mnist/expected/digit_3');
    for (const f of readdirSync(src)) if (f.endsWith('.npy')) copyFileSync(join(src, f), join(dir, f));
    const conv2 = readNpy(join(dir, 'conv2.npy'));
    const data = npyToFloat32(conv2);
    data[100] *= -3;
    writeNpy(join(dir, 'conv2.npy'), conv2.shape, data);
    const { code, stdout } = cli('diff', ...lenet, '--input', fixture('models/lenet_mnist/digit_3.npy'), '--against', dir, '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { ok: boolean; first: number; rows: { layer: string; status: string }[] };
    expect(report.ok).toBe(false);
    expect(report.rows[report.first]).toMatchObject({ layer: 'conv2', status: 'diverged' });
  });

  it('compares against the Caffe-semantics reference by default, in channels_first too', () => {
    const { code, stdout } = cli('diff', ...lenet, '--input', fixture('models/lenet_mnist/digit_0.npy'), '--engine', 'cpu', '--ordering', 'channels_first');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^engine: cpu — the Keras model in channels_first on tfjs cpu \(plain JavaScript\)\nagainst: the Caffe-semantics reference\n/);
    expect(stdout).toContain('all 9 compared outputs within tolerance');
  });

  it('runs the converted Keras model on TF.js by default, in the ordering asked for, and says so', () => {
    for (const ordering of ['channels_last', 'channels_first']) {
      const { code, stdout } = cli('diff', ...lenet, '--input', fixture('models/lenet_mnist/digit_7.npy'), '--ordering', ordering, '--json');
      expect(code, ordering).toBe(0);
      const report = JSON.parse(stdout) as DiffJson;
      expect(report.form).toBe('keras');
      expect(report.engine).toMatch(/^(tfjs-node-gpu|tfjs-node|wasm|cpu)$/);
      expect(report.ordering).toBe(ordering);
      expect(report.ran).toBe(`the Keras model in ${ordering} on ${report.engineDetail}`);
      // The Keras tensors are in the asked ordering: conv1's 20 channels last or first.
      const conv1 = report.rows.find((r) => r.layer === 'conv1')!;
      expect(conv1.kerasShape).toEqual(ordering === 'channels_last' ? [1, 24, 24, 20] : [1, 20, 24, 24]);
      expect(report.rows.every((r) => r.status === 'ok')).toBe(true);
    }
  });

  it('proves the flipped-kernel model too: the flip, then the true convolution a Theano backend does, gives Caffe\'s numbers', () => {
    const { code, stdout } = cli('diff', ...lenet, '--input', fixture('models/lenet_mnist/digit_7.npy'), '--ordering', 'channels_first', '--flip-kernels', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as DiffJson;
    expect([report.form, report.ordering, report.flipKernels]).toEqual(['keras', 'channels_first', true]);
    expect(report.rows.filter((r) => r.status === 'ok')).toHaveLength(9);
  });

  it('refuses to compare the reference with itself, and the flip outside channels_first', () => {
    const self = cli('diff', ...lenet, '--input', fixture('models/lenet_mnist/digit_7.npy'), '--engine', 'reference');
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/comparing the reference with itself proves nothing/);
    const flip = cli('diff', ...lenet, '--input', fixture('models/lenet_mnist/digit_7.npy'), '--flip-kernels');
    expect(flip.code).toBe(1);
    expect(flip.stderr).toMatch(/--flip-kernels is only for the channels_first \(Theano\) ordering/);
  });

  it('exits 1 when nothing could be compared', () => {
    const empty = join(work, 'unrelated');
    mkdirSync(empty);
    writeNpy(join(empty, 'nothing_here.npy'), [1], new Float32Array([1]));
    const { code, stdout } = cli('diff', ...lenet, '--input', fixture('models/lenet_mnist/digit_0.npy'), '--against', empty);
    expect(code).toBe(1);
    expect(stdout).toContain('nothing was compared');
  });
});

describe('what run and diff refuse', () => {
  const digit7npy = fixture('models/lenet_mnist/digit_7.npy');
  const pnet = [fixture('models/mtcnn_pnet/deploy.prototxt'), fixture('models/mtcnn_pnet/weights.caffemodel')];
  const refused = (r: { code: number | null; stdout: string; stderr: string }): string => {
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    return r.stderr;
  };

  it('a second file for the same input, however it is named', () => {
    const png = fixture('models/lenet_mnist/digit_3.png');
    for (const second of [png, `data=${png}`])
      expect(refused(cli('run', ...lenet, '--input', digit7npy, '--input', second))).toBe(
        `portafilter: error: the input 'data' is given twice ('${digit7npy}' and '${png}'): give one file per input\n`,
      );
    expect(refused(cli('diff', ...lenet, '--input', `data=${digit7npy}`, '--input', `data=${png}`))).toMatch(/the input 'data' is given twice/);
    expect(refused(cli('run', ...lenet, '--input', 'data='))).toMatch(/'data=' names the input 'data' but no file to feed it/);
  });

  it('an input that preprocessing took beyond float32, naming the options that did', () => {
    const png = fixture('models/lenet_mnist/digit_7.png');
    expect(refused(cli('run', ...lenet, '--input', png, '--scale', '1e308'))).toMatch(
      new RegExp(`^portafilter: error: ${png}: the input 'data' is not finite after preprocessing \\(Infinity at data\\[0, 0, \\d+, \\d+\\]\\) with --scale 1e\\+308: float32 holds magnitudes up to 3\\.4e38`),
    );
    // 1e39 is a finite double but not a float32.
    expect(refused(cli('diff', ...lenet, '--input', png, '--mean-values', '1e39'))).toMatch(/not finite after preprocessing \(-Infinity at data\[0, 0, 0, 0\]\) with --mean-values 1e\+39:/);
  });

  it('a .npy whose shape is not the --input-shape asked for, and a batch an image cannot fill', () => {
    expect(refused(cli('run', ...lenet, '--input', digit7npy, '--input-shape', 'data=2,1,28,28'))).toBe(
      `portafilter: error: ${digit7npy}: has shape 1×1×28×28, but --input-shape data=2,1,28,28 asks for 2×1×28×28: a .npy feeds its own shape, so give one of them\n`,
    );
    expect(refused(cli('run', ...lenet, '--input', fixture('models/lenet_mnist/digit_7.png'), '--input-shape', 'data=4,1,28,28'))).toMatch(
      /--input-shape data=4,1,28,28 asks for a batch of 4, but an image feeds one/,
    );
  });

  // P-Net's outputs at 1×3×14000×14000 take 39.4 GiB (each blob within Caffe's INT_MAX); a larger machine could run it.
  it.skipIf(totalmem() > 39 * 1024 ** 3)('an input shape too large for this machine, at once, naming --input-shape', () => {
    const started = performance.now();
    const stderr = refused(cli('run', ...pnet, '--input', fixture('models/mtcnn_pnet/face_12.png'), '--input-shape', 'data=1,3,14000,14000'));
    expect(stderr).toMatch(/^portafilter: error: the input data 1×3×14000×14000 \(--input-shape data=1,3,14000,14000\) is too large for this machine: running it needs at least 39\.4 GiB/);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('a labels file or an image that is a FIFO, a device or a folder, without waiting on it', () => {
    const fifo = join(work, 'labels.fifo');
    expect(spawnSync(PYTHON, ['-c', `import os; os.mkfifo(${JSON.stringify(fifo)})`]).status).toBe(0);
    expect(refused(cli('run', ...lenet, '--input', digit7npy, '--labels', fifo))).toBe(`portafilter: error: ${fifo}: cannot read the labels: is a named pipe (FIFO), not a file to read\n`);
    expect(refused(cli('run', ...lenet, '--input', digit7npy, '--labels', '/dev/zero'))).toBe('portafilter: error: /dev/zero: cannot read the labels: is a character device, not a file to read\n');
    expect(refused(cli('run', ...lenet, '--input', fifo))).toBe(`portafilter: error: ${fifo}: cannot read the image: is a named pipe (FIFO), not a file to read\n`);
    expect(refused(cli('run', ...lenet, '--input', work))).toBe(`portafilter: error: ${work}: cannot read the image: is a folder, not a file to read\n`);
  });

  it('a --dump that is a file, in /proc, or a folder of someone else\'s files unless --force', () => {
    const file = join(work, 'not-a-folder');
    writeFileSync(file, 'x');
    expect(refused(cli('run', ...lenet, '--input', digit7npy, '--dump', file))).toBe(`portafilter: error: ${file}: is a file, not a folder to write the dump in\n`);
    const started = performance.now();
    expect(refused(cli('run', ...lenet, '--input', digit7npy, '--dump', '/proc/nope'))).toMatch(/^portafilter: error: \/proc\/nope: cannot make the dump folder: \/proc is in \/proc, a pseudo file system/);
    expect(performance.now() - started).toBeLessThan(20_000);

    const theirs = join(work, 'theirs');
    mkdirSync(theirs);
    writeFileSync(join(theirs, 'conv1.npy'), 'their own conv1');
    expect(refused(cli('run', ...lenet, '--input', digit7npy, '--dump', theirs))).toMatch(/holds 1 entry Portafilter did not write \(conv1\.npy\): .* give --force/);
    expect(readFileSync(join(theirs, 'conv1.npy'), 'utf8')).toBe('their own conv1');
    expect(cli('run', ...lenet, '--input', digit7npy, '--dump', theirs, '--force').code).toBe(0);
    expect(readNpy(join(theirs, 'conv1.npy')).shape).toEqual([1, 20, 24, 24]);

    const ours = join(work, 'ours');
    for (let i = 0; i < 2; i++) expect(cli('run', ...lenet, '--input', digit7npy, '--dump', ours, '--engine', 'reference').code).toBe(0);
    expect(readdirSync(ours)).toContain('.portafilter-dump');
    expect(refused(cli('run', ...lenet, '--input', digit7npy, '--force'))).toMatch(/--force is for --dump DIR/);
  });
});

describe('what run and diff warn of', () => {
  // Every pixel 3e38, the largest float32s but finite: LeNet's conv1 sums 25 of them.
  const huge = join(work, 'huge.npy');
  writeNpy(huge, [1, 1, 28, 28], new Float32Array(784).fill(3e38));

  it('run names the first layer to overflow, in text and in --json, and still exits 0', () => {
    const json = cli('run', ...lenet, '--input', huge, '--json');
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as { warnings: string[] };
    expect(out.warnings).toEqual([expect.stringMatching(/^layer 'conv1' \(Convolution\) is the first to give a non-finite value, .* from a finite input; output 'prob' holds NaN or Infinity/)]);
    const text = cli('run', ...lenet, '--input', huge, '--engine', 'reference');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\nwarning: layer 'conv1' \(Convolution\) is the first to give a non-finite value/);
    const healthy = JSON.parse(cli('run', ...lenet, '--input', fixture('models/lenet_mnist/digit_7.npy'), '--json').stdout) as { warnings: string[] };
    expect(healthy.warnings).toEqual([]);
  });

  it('diff names the first non-finite layer of the candidate beside its diverged rows', () => {
    const { code, stdout } = cli('diff', ...lenet, '--input', huge, '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { warnings: string[]; rows: { layer: string; status: string }[] };
    expect(report.rows.find((r) => r.layer === 'prob')?.status).toBe('diverged');
    expect(report.warnings).toEqual([expect.stringMatching(/^layer 'conv1' \(Convolution\) is the first to give a non-finite value/)]);
  });
});
