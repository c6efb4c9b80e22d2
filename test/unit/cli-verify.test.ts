/** `portafilter convert --verify` through the real command: what it prints, its exit status, and the misuse it refuses. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';

const bin = new URL('../../bin/portafilter.js', import.meta.url).pathname;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const work = mkdtempSync(join(tmpdir(), 'portafilter-cli-verify-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const lenet = [fixture('models/lenet_mnist/deploy.prototxt'), fixture('models/lenet_mnist/weights.caffemodel')];

describe('portafilter convert --verify', () => {
  it('loads the TF.js export back, runs it on the drawn 3 and prints the agreement with the reference', () => {
    const out = join(work, 'lenet_tfjs');
    const { code, stdout, stderr } = cli('convert', ...lenet, '--format', 'tfjs', '--out', out, '--verify', '--input', fixture('models/lenet_mnist/digit_3.png'), '--scale', '0.00390625');
    expect(stderr).not.toMatch(/error/i);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^verified: loaded back with TF\.js 4\.\d+\.\d+ tf\.loadLayersModel on tfjs .*, run on .*digit_3\.png, preprocessed$/m);
    expect(stdout).toMatch(/^ {2}ok {3}prob \[1, 10\]: max \|Δ\| .* the tolerance, top-1 3 \(reference 3\)$/m);
  });

  it('gives the verification as JSON, on a seeded input when none is given', () => {
    const out = join(work, 'lenet.h5');
    const { code, stdout } = cli('convert', ...lenet, '--format', 'h5', '--out', out, '--ordering', 'channels_first', '--flip-kernels', '--verify', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { verification: { ok: boolean; input: string; consumer: string; outputs: { blob: string; ok: boolean }[] } };
    expect(result.verification.ok).toBe(true);
    expect(result.verification.input).toMatch(/^a seeded random input/);
    expect(result.verification.consumer).toMatch(/config and weights rebuilt on TF\.js/);
    expect(result.verification.outputs).toEqual([expect.objectContaining({ blob: 'prob', ok: true })]);
  });

  it('refuses input options without --verify, and --mean where it means nothing, before writing anything', () => {
    const out = join(work, 'refused.onnx');
    const a = cli('convert', ...lenet, '--format', 'onnx', '--out', out, '--input', fixture('models/lenet_mnist/digit_3.png'));
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('--input is for the input of --verify; add --verify, or leave it out');
    const b = cli('convert', ...lenet, '--format', 'onnx', '--out', out, '--mean', fixture('labels/ilsvrc_2012_mean.npy'));
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('--mean is for --format npy (written as mean_image.npy) or for the image of --verify --input');
    const c = cli('convert', ...lenet, '--format', 'onnx', '--out', out, '--verify', '--scale', '0.5');
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('--scale preprocess the --input image of --verify; give --input too');
    expect(existsSync(out)).toBe(false);
  });
});
