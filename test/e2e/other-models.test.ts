/**
 * The workbench on nets that are not fixtures, as the "checked by" asks: ResNet-152 (generated
 * from the ResNet-50 fixture's pattern), GoogLeNet at an odd input size, VGG_CNN_S with its 393 MB of
 * (synthetic) weights, and the MobileNet-SSD head. Each saves what a user sees; the shapes at the odd
 * input size are checked against OpenCV's dnn module, an independent Caffe implementation.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import { resnetPrototxt } from '../helpers/resnet-prototxt.js';
import { ensureSyntheticWeights } from '../helpers/synthetic-weights.js';
import { PYTHON } from '../system-deps.js';
import { useWorkbenchPage } from './workbench-page.js';

const VGG_CNN_S = fileURLToPath(new URL('../data/models/vgg_cnn_s.v1.prototxt', import.meta.url));
/** Kept between runs: writing 393 MB takes seconds, and the bytes depend only on the prototxt. */
const WEIGHTS_DIR = join(tmpdir(), 'portafilter-e2e-weights');

const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-other-models-', timeout: 60_000 });

// Every page of this file must run without a console error or a CSP violation.
afterEach(() => expect(wb.problems).toEqual([]));

const shot = (name: string) => wb.shot(name);
const open = (prototxt: string, caffemodel?: string) => wb.open(prototxt, caffemodel);
const tab = (name: string) => wb.page.getByRole('tab', { name });

/** The Shapes view's Caffe shape of a layer's first top, found through the view's own filter. */
async function caffeShapeInView(layer: string): Promise<string> {
  await wb.page.getByRole('searchbox', { name: 'Filter shapes' }).fill(layer);
  const row = wb.page.locator(`[data-shape-layer="${layer}"]`);
  await row.waitFor();
  return ((await row.getByTestId('shape-caffe').first().textContent()) ?? '').trim();
}

describe('nets that are not fixtures', () => {
  it('draws ResNet-152 and finds every Keras shape equal to Caffe’s', async () => {
    const prototxt = join(wb.scratch, 'ResNet-152-deploy.prototxt');
    writeFileSync(prototxt, resnetPrototxt([3, 8, 36, 3]));
    await open(prototxt);
    await expect.poll(() => wb.page.getByTestId('graph-status').textContent()).toContain('671 layers');
    await wb.page.getByTestId('graph-boxes').waitFor();
    await shot('other-resnet152-graph');
    await tab('Shapes').click();
    await expect.poll(() => wb.page.getByTestId('shapes-summary').textContent(), { timeout: 60_000 }).toContain('0 cannot convert');
    expect(await wb.page.getByTestId('shapes-summary').textContent()).toContain('0 shape mismatches');
    await shot('other-resnet152-shapes');
  });

  it('gives GoogLeNet at 300×417 the pooling shapes OpenCV’s Caffe computes', async () => {
    const text = readFileSync(fixture('prototxts', 'bvlc_googlenet.prototxt'), 'utf8');
    // The deploy net's one input_param shape: 10×3×224×224 becomes 1×3×300×417.
    const odd = text.replace(/dim:\s*10\s+dim:\s*3\s+dim:\s*224\s+dim:\s*224/, 'dim: 1 dim: 3 dim: 300 dim: 417');
    expect(odd).not.toBe(text);
    const prototxt = join(wb.scratch, 'googlenet-300x417.prototxt');
    const caffemodel = join(wb.scratch, 'googlenet-300x417.caffemodel');
    writeFileSync(prototxt, odd);
    await ensureSyntheticWeights(prototxt, caffemodel);
    const pools = ['pool1/3x3_s2', 'pool2/3x3_s2', 'pool3/3x3_s2', 'pool4/3x3_s2', 'pool5/7x7_s1', 'loss3/classifier'];
    const script = [
      'import cv2, json, sys',
      'net = cv2.dnn.readNetFromCaffe(sys.argv[1], sys.argv[2])',
      'ids, _, outs = net.getLayersShapes([1, 3, 300, 417])',
      'names = net.getLayerNames()',
      'shapes = {names[i - 1]: [int(d) for d in o[0].flatten()] for i, o in zip(list(ids), list(outs)) if i > 0}',
      'print(json.dumps({n: shapes[n] for n in sys.argv[3:]}))',
    ].join('\n');
    const cv = spawnSync(PYTHON, ['-c', script, prototxt, caffemodel, ...pools], { encoding: 'utf8' });
    expect(cv.status, cv.stderr).toBe(0);
    const expected = JSON.parse(cv.stdout.trim().split('\n').pop()!) as Record<string, number[]>;

    await open(prototxt, caffemodel);
    await tab('Shapes').click();
    for (const layer of pools) expect(await caffeShapeInView(layer), layer).toBe(expected[layer].join('×'));
    await wb.page.getByRole('searchbox', { name: 'Filter shapes' }).fill('pool');
    await shot('other-googlenet-300x417-shapes');
    await tab('Graph').click();
    await wb.page.getByTestId('graph-boxes').waitFor();
    await shot('other-googlenet-300x417-graph');
  });

  it('opens VGG_CNN_S with its 393 MB of weights and summarises every blob', async () => {
    const caffemodel = join(WEIGHTS_DIR, 'vgg_cnn_s.caffemodel');
    const { bytes, blobs } = await ensureSyntheticWeights(VGG_CNN_S, caffemodel);
    expect(bytes).toBeGreaterThan(390e6);
    await open(VGG_CNN_S, caffemodel);
    await tab('Weights').click();
    await wb.page.getByRole('radio', { name: 'Whole model' }).check();
    await wb.page.getByTestId('weight-boxplot').waitFor();
    await expect.poll(() => wb.page.getByTestId('overview-summary').textContent(), { timeout: 60_000 }).toMatch(/\d/);
    await shot('other-vgg-cnn-s-weights-model');
    await wb.page.getByRole('radio', { name: 'Selected layer' }).check();
    await wb.page.getByTestId('weights-view').getByRole('combobox', { name: 'Layer with weights' }).selectOption('fc6');
    await expect.poll(() => wb.page.getByTestId('weight-histogram').count(), { timeout: 60_000 }).toBe(2);
    // fc6 is 4096 × (512·6·6) in Caffe: the card counts every one of its 75.5 M values.
    const count = wb.page.getByTestId('weight-stats').first().locator('[data-stat="count"]');
    await expect.poll(() => count.getAttribute('data-value'), { timeout: 60_000 }).toBe(String(4096 * 512 * 6 * 6));
    await shot('other-vgg-cnn-s-weights-fc6');
    expect(blobs).toBe(16);
  });

  it('draws the MobileNet-SSD head with its detection layers', async () => {
    await open(fixture('prototxts', 'MobileNet-SSD_deploy.prototxt'));
    await wb.page.getByTestId('graph-boxes').waitFor();
    await wb.page.getByTestId('graph-search').fill('detection_out');
    await wb.page.getByTestId('graph-search').press('Enter');
    await shot('other-mobilenet-ssd-head');
    await tab('Shapes').click();
    await wb.page.getByTestId('shapes-summary').waitFor();
    await shot('other-mobilenet-ssd-shapes');
  });
});
