/**
 * The equivalence report over LeNet's three digits (test/fixtures/models/lenet_mnist): its numbers
 * against OpenCV's outputs of the same inputs (expected/<input>/), against dumps laid out from those
 * outputs (one folder per input), the HTML it writes, what it refuses to overwrite, and its cancel.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCaffeNet, type CaffeNet } from '../../src/main/net/model.js';
import { report, reportText } from '../../src/main/cli/report.js';
import { gatherEquivalence, type Equivalence } from '../../src/main/report/equivalence.js';
import { writeEquivalenceReport } from '../../src/main/report/index.js';
import { fixture } from '../helpers/fixtures.js';
import { readBlob } from '../helpers/fixture-runs.js';
import { PYTHON } from '../system-deps.js';

const LENET = (...p: string[]): string => fixture('models', 'lenet_mnist', ...p);
const DIGITS = ['digit_0', 'digit_3', 'digit_7'];
/** Caffe's lenet_train_test.prototxt scales pixels by 1/256 (model.json's preprocessing). */
const SCALE = 0.00390625;

let scratch: string;
let model: CaffeNet;
let npyFolder: string;
let pngFolder: string;
let byReference: Equivalence;

const argmax = (data: Float32Array): number => data.reduce((best, v, i) => (v > data[best] ? i : best), 0);

/** DUMPS/<stem>/ from OpenCV's expected/<stem>/, with one value of `corrupt` (if given) moved by 0.5 in `in`'s dumps. */
function dumpsFolder(name: string, corrupt?: { in: string; layer: string }): string {
  const root = join(scratch, name);
  for (const digit of DIGITS) {
    const dir = join(root, digit);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(LENET('expected', digit))) copyFileSync(LENET('expected', digit, f), join(dir, f));
  }
  if (corrupt) {
    const file = join(root, corrupt.in, `${corrupt.layer}.npy`);
    const bytes = readFileSync(file);
    const start = 10 + bytes.readUInt16LE(8);
    bytes.writeFloatLE(bytes.readFloatLE(start + 17 * 4) + 0.5, start + 17 * 4);
    writeFileSync(file, bytes);
  }
  return root;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'portafilter-report-'));
  npyFolder = join(scratch, 'npy');
  pngFolder = join(scratch, 'png');
  mkdirSync(npyFolder);
  mkdirSync(pngFolder);
  for (const d of DIGITS) {
    copyFileSync(LENET(`${d}.npy`), join(npyFolder, `${d}.npy`));
    copyFileSync(LENET(`${d}.png`), join(pngFolder, `${d}.png`));
  }
  model = await loadCaffeNet({ prototxt: LENET('deploy.prototxt'), caffemodel: LENET('weights.caffemodel'), inputShapes: { data: [1, 1, 28, 28] } });
  byReference = await gatherEquivalence(model, { images: npyFolder });
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the equivalence report against the reference', () => {
  it('finds the converted LeNet in 100 % top-1 agreement with the reference on the three digits', () => {
    expect(byReference.images.map((i) => i.name)).toEqual(DIGITS.map((d) => `${d}.npy`));
    expect(byReference.agreement).toEqual([{ blob: 'prob', classes: 10, k: 5, compared: 3, top1: 3, top5: 3 }]);
    expect(byReference.ok).toBe(true);
    expect(byReference.first).toBeUndefined();
  });

  it("gives each digit the reference's top-1 class that OpenCV's prob output gives it", () => {
    for (const [i, digit] of DIGITS.entries()) {
      const opencv = argmax(readBlob(LENET('expected', digit, 'prob.npy')).data);
      const sample = byReference.images[i].outputs[0].samples[0];
      expect(sample.reference[0].index).toBe(opencv);
      expect(sample.candidate[0].index).toBe(opencv);
    }
  });

  it('has a row for every layer of the net, each compared on the three digits within tolerance', () => {
    const tops = model.graph.layers.flatMap((l) => l.tops.map((_, top) => `${l.name}:${top}`));
    expect(byReference.layers.map((l) => `${l.layer}:${l.top}`)).toEqual(tops);
    for (const l of byReference.layers) {
      expect(l.status).toBe('ok');
      expect(l.compared).toBe(3);
      expect(l.ratio).toBeLessThan(1);
      expect(l.p99).toBeLessThanOrEqual(l.maxAbs!);
    }
    expect(byReference.layers.find((l) => l.layer === 'prob')!.final).toBe(true);
    // The histogram holds the 10 probabilities of each digit.
    expect(byReference.finals.count).toBe(30);
  });

  it('preprocesses the PNGs as model.json says and agrees with OpenCV on them too', async () => {
    const eq = await gatherEquivalence(model, { images: pngFolder, preprocess: { scale: SCALE } });
    expect(eq.ok).toBe(true);
    for (const [i, digit] of DIGITS.entries()) expect(eq.images[i].outputs[0].samples[0].reference[0].index).toBe(argmax(readBlob(LENET('expected', digit, 'prob.npy')).data));
  });
});

describe('the equivalence report against dumps from real Caffe, one folder per input', () => {
  it('agrees 100 % with OpenCV’s outputs laid out as dumps', async () => {
    const eq = await gatherEquivalence(model, { images: npyFolder, against: dumpsFolder('dumps') });
    expect(eq.ok).toBe(true);
    expect(eq.naming).toBe('layers');
    expect(eq.agreement[0]).toMatchObject({ compared: 3, top1: 3, top5: 3 });
    expect(eq.layers.filter((l) => l.status === 'ok').map((l) => l.layer)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']);
  });

  it('names conv2 as the first divergence when one digit’s conv2 dump is corrupted', async () => {
    const eq = await gatherEquivalence(model, { images: npyFolder, against: dumpsFolder('dumps-corrupted', { in: 'digit_3', layer: 'conv2' }) });
    expect(eq.ok).toBe(false);
    const first = eq.layers[eq.first!];
    expect(first).toMatchObject({ layer: 'conv2', status: 'diverged', diverged: 1, firstImage: 'digit_3.npy' });
    expect(first.ratio).toBeGreaterThan(1);
    expect(first.maxAbs).toBeGreaterThan(0.4);
    expect(eq.images.map((i) => i.first?.layer)).toEqual([undefined, 'conv2', undefined]);
    // Only the dump was changed: the predictions still agree.
    expect(eq.agreement[0]).toMatchObject({ compared: 3, top1: 3 });
  });

  it('refuses an input with no dump folder, naming the input and the folder it looked for', async () => {
    const dumps = dumpsFolder('dumps-incomplete');
    rmSync(join(dumps, 'digit_7'), { recursive: true });
    await expect(gatherEquivalence(model, { images: npyFolder, against: dumps })).rejects.toThrow(/digit_7\.npy: has no dumps: .*dumps-incomplete\/digit_7 is not a folder/);
  });
});

describe('the report file', () => {
  it('is one HTML file marked as a Portafilter report, loading nothing from outside, whose SVG plots parse', async () => {
    const out = join(scratch, 'lenet-report.html');
    const { summary } = await writeEquivalenceReport(model, { images: npyFolder, out });
    expect(summary).toMatchObject({ out, images: 3, ok: true, top1: { agreed: 3, compared: 3 }, top5: { agreed: 3, compared: 3 } });
    expect(summary.imagesPerSecond).toBeGreaterThan(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<meta name="generator" content="portafilter report">');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    for (const layer of ['conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']) expect(html).toContain(`data-layer="${layer}"`);
    for (const d of DIGITS) expect(html).toContain(`${d}.npy`);
    expect(html).toContain(summary.engineDetail);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBeGreaterThan(0);
    // An XML parser other than ours reads each plot: well-formed, with its bars.
    const parsed = spawnSync(
      PYTHON,
      ['-c', 'import sys, json, xml.etree.ElementTree as ET; plots = [ET.fromstring(s) for s in json.load(sys.stdin)]; print(plots[0].tag, sum(1 for e in plots[0].iter() if e.tag.endswith("rect")))'],
      { input: JSON.stringify(svgs), encoding: 'utf8' },
    );
    expect(parsed.stderr).toBe('');
    const [tag, rects] = parsed.stdout.trim().split('\n')[0].split(' ');
    expect(tag).toBe('svg');
    expect(Number(rects)).toBeGreaterThan(2);
  });

  it('replaces an earlier report only with force, and never a file that is not a report', async () => {
    const out = join(scratch, 'again.html');
    await writeEquivalenceReport(model, { images: npyFolder, out });
    await expect(writeEquivalenceReport(model, { images: npyFolder, out })).rejects.toThrow(/exists \(an earlier report\); replace it with --force/);
    await writeEquivalenceReport(model, { images: npyFolder, out, force: true });
    const foreign = join(scratch, 'notes.html');
    writeFileSync(foreign, '<html><body>my own notes</body></html>');
    await expect(writeEquivalenceReport(model, { images: npyFolder, out: foreign, force: true })).rejects.toThrow(/is not a Portafilter report.*left alone/);
    expect(readFileSync(foreign, 'utf8')).toBe('<html><body>my own notes</body></html>');
    expect(readdirSync(scratch).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('stops when cancelled between inputs, writing nothing', async () => {
    const out = join(scratch, 'cancelled.html');
    const abort = new AbortController();
    const stages: string[] = [];
    const running = writeEquivalenceReport(model, {
      images: npyFolder,
      out,
      signal: abort.signal,
      onProgress: (stage) => {
        stages.push(stage);
        if (stage.startsWith('image 2 of 3')) abort.abort();
      },
    });
    await expect(running).rejects.toThrow(/abort/i);
    expect(stages.some((s) => s.startsWith('image 3'))).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(scratch).filter((f) => f.includes('.partial'))).toEqual([]);
  });
});

describe('bad inputs to a report', () => {
  it('refuses an empty folder, naming it', async () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    await expect(gatherEquivalence(model, { images: empty })).rejects.toThrow(new RegExp(`${empty}: holds no inputs to report on.*it is empty`));
  });

  it('refuses an image that does not decode, naming the file', async () => {
    const folder = join(scratch, 'broken');
    mkdirSync(folder);
    copyFileSync(LENET('digit_0.png'), join(folder, 'a.png'));
    writeFileSync(join(folder, 'b.png'), 'not a png');
    await expect(gatherEquivalence(model, { images: folder, preprocess: { scale: SCALE } })).rejects.toThrow(/broken\/b\.png: cannot read the image/);
  });
});

describe('portafilter report', () => {
  it('says what ran, the agreement and the throughput, with progress lines', async () => {
    const lines: string[] = [];
    const summary = await report(LENET('deploy.prototxt'), LENET('weights.caffemodel'), { images: pngFolder, out: join(scratch, 'cli.html'), scale: SCALE }, (l) => lines.push(l));
    expect(lines).toContain('image 1 of 3: digit_0.png…');
    const text = reportText(summary);
    expect(text).toMatch(/top-1 agreement 100 % \(3 of 3\), top-5 agreement 100 % \(3 of 3\)/);
    expect(text).toMatch(/every compared layer within tolerance on all 3 inputs/);
    expect(text).toMatch(/throughput: [\d.]+ inputs\/s/);
    expect(text).toContain(`wrote ${join(scratch, 'cli.html')}`);
  });
});
