/**
 * The inspector, the Shapes view and the ordering switch end to end: the real service (in its
 * worker thread) behind the web host, the built renderer in Debian's Chromium. Expected Caffe shapes
 * come from test/fixtures/prototxts/*.shapes.json (OpenCV's shape pass over the same prototxts),
 * never from our own code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLaunchQuery, type LaunchTarget } from '../../src/shared/launch.js';
import { fixture } from '../helpers/fixtures.js';
import { useWorkbenchPage } from './workbench-page.js';

interface FixtureShapes {
  layers: { name: string; type: string; tops: string[]; top_shapes: number[][]; blob_shapes?: number[][] }[];
}
const shapesOf = (net: string): FixtureShapes => JSON.parse(readFileSync(fixture('prototxts', `${net}.shapes.json`), 'utf8')) as FixtureShapes;
const ALEXNET = fixture('prototxts', 'bvlc_alexnet.prototxt');
const GOOGLENET = fixture('prototxts', 'bvlc_googlenet.prototxt');

/** N×C×H×W as Caffe writes it, the same blob channels_last (batch open: N) and channels_first. */
const caffeText = (s: number[]): string => s.join('×');
const lastText = ([, c, h, w]: number[]): string => `N×${h}×${w}×${c}`;
const firstText = ([, c, h, w]: number[]): string => `N×${c}×${h}×${w}`;


const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-e2e-inspector-' });

const shot = (name: string) => wb.shot(name);
const details = () => wb.page.getByTestId('layer-details');
const shapesRow = (layer: string) => wb.page.locator(`[data-shape-layer="${layer}"]`);
const switcher = () => wb.page.getByTestId('ordering-switch');

async function open(prototxt: string, caffemodel?: string): Promise<void> {
  const url = new URL(wb.server.url);
  const target: LaunchTarget = caffemodel ? { kind: 'model', prototxt, caffemodel } : { kind: 'model', prototxt };
  writeLaunchQuery(target, url.searchParams);
  await wb.page.goto(url.toString());
  await wb.page.getByTestId('model-name').waitFor();
}

async function showShapes(): Promise<void> {
  await wb.page.getByRole('tab', { name: 'Shapes' }).click();
  await wb.page.getByTestId('shapes-summary').getByText(/converted/).waitFor();
}

/** Brings a layer's row into the (virtual) list by filtering for it, and clicks it. */
async function selectInShapes(layer: string): Promise<void> {
  await wb.page.getByRole('searchbox', { name: 'Filter shapes' }).fill(layer);
  await shapesRow(layer).click();
  await wb.page.getByRole('searchbox', { name: 'Filter shapes' }).fill('');
  await expect.poll(() => details().getByRole('heading', { level: 2 }).textContent()).toBe(layer);
}

describe('the Shapes view', () => {
  it("shows GoogLeNet's ceil-rounded pooling shapes as OpenCV computes them, matched by the Keras layers", async () => {
    const expected = shapesOf('bvlc_googlenet').layers.filter((l) => l.type === 'Pooling');
    expect(expected.length).toBeGreaterThan(10);
    await open(GOOGLENET);
    await showShapes();
    for (const l of expected) {
      await wb.page.getByRole('searchbox', { name: 'Filter shapes' }).fill(l.name);
      const row = shapesRow(l.name);
      await row.waitFor();
      expect(await row.getByTestId('shape-caffe').first().textContent(), l.name).toContain(caffeText(l.top_shapes[0]));
      // The last Keras layer of the group holds the top: its output is Caffe's shape, channels_last.
      expect((await row.getByTestId('shape-keras-output').last().textContent())?.trim(), l.name).toBe(lastText(l.top_shapes[0]));
      expect(await row.getAttribute('data-problem'), l.name).toBe('false');
    }
    await wb.page.getByRole('searchbox', { name: 'Filter shapes' }).fill('');
    // pool1/3x3_s2 pools 112 to 56 only with Caffe's ceil rounding ((112 - 3) / 2 + 1 = 55.5).
    const pool1 = expected.find((l) => l.name === 'pool1/3x3_s2');
    expect(pool1?.top_shapes[0]).toEqual([10, 64, 56, 56]);
    expect(await wb.page.getByTestId('shapes-summary').textContent()).toMatch(/0 cannot convert · 0 shape mismatches/);
    await wb.page.getByTestId('only-problems').check();
    expect(await wb.page.locator('[data-shape-layer]').count()).toBe(0);
    await wb.page.getByTestId('only-problems').uncheck();
    await shot('shapes-googlenet');
    expect(wb.problems).toEqual([]);
  });

  it('marks a layer that cannot convert in red, says why, and lists it alone among the problems', async () => {
    const odd = join(wb.scratch, 'reduction.prototxt');
    writeFileSync(
      odd,
      [
        'name: "WithReduction"',
        'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 13 dim: 13 } } }',
        'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 3 } }',
        'layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }',
        'layer { name: "sum" type: "Reduction" bottom: "pool1" top: "sum" }',
        '',
      ].join('\n'),
    );
    await open(odd);
    await showShapes();
    const row = shapesRow('sum');
    expect(await row.getAttribute('data-problem')).toBe('true');
    expect(await row.textContent()).toContain('cannot convert');
    expect(await row.textContent()).toContain('Reduction');
    expect(await wb.page.getByTestId('shapes-summary').textContent()).toContain('1 cannot convert');
    await wb.page.getByTestId('only-problems').check();
    expect(await wb.page.locator('[data-shape-layer]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-shape-layer')))).toEqual(['sum']);
    await row.click();
    const failed = details().getByTestId('keras-failed');
    await failed.waitFor();
    expect(await failed.textContent()).toMatch(/Cannot convert\..*Reduction/);
    expect(await details().getByTestId('detail-status').textContent()).toContain('cannot convert');
    await shot('shapes-failed-layer');
    expect(wb.problems).toEqual([]);
  });
});

describe('the ordering switch', () => {
  it("turns AlexNet's conv1 from N×55×55×96 (TensorFlow) into N×96×55×55 (Theano) in the inspector, the Shapes view and the export defaults", async () => {
    const conv1 = shapesOf('bvlc_alexnet').layers.find((l) => l.name === 'conv1');
    if (!conv1) throw new Error('conv1 missing from bvlc_alexnet.shapes.json');
    const [n, c, h, w] = conv1.top_shapes[0];
    expect(lastText(conv1.top_shapes[0])).toBe('N×55×55×96');
    await open(ALEXNET);
    await showShapes();
    await selectInShapes('conv1');
    const kerasOut = () => details().getByTestId('shape-table-keras').first().textContent();
    expect(await kerasOut()).toBe(lastText(conv1.top_shapes[0]));
    expect(await details().getByTestId('detail-top-keras').textContent()).toContain(`${n}×${h}×${w}×${c}`);
    expect(await shapesRow('conv1').getByTestId('shape-keras-output').textContent()).toBe(lastText(conv1.top_shapes[0]));
    // Keras keeps a Conv2D kernel as kh, kw, in, out in either ordering (Caffe's is out, in, kh, kw).
    const [out, inputs, kh, kw] = conv1.blob_shapes?.[0] ?? [];
    expect(await details().getByTestId('detail-keras-weights').textContent()).toContain(`kernel ${kh}×${kw}×${inputs}×${out}`);
    // The kernel flip belongs to channels_first alone.
    expect(await switcher().getByTestId('flip-kernels').count()).toBe(0);
    await shot('ordering-alexnet-tensorflow');

    await switcher().getByRole('radio', { name: /Theano/ }).check();
    await expect.poll(kerasOut).toBe(firstText(conv1.top_shapes[0]));
    expect(await details().getByTestId('detail-top-keras').textContent()).toContain(`${n}×${c}×${h}×${w}`);
    expect(await shapesRow('conv1').getByTestId('shape-keras-output').textContent()).toBe(firstText(conv1.top_shapes[0]));
    expect(await details().getByTestId('detail-keras-weights').textContent()).toContain(`kernel ${kh}×${kw}×${inputs}×${out}`);
    const flip = switcher().getByTestId('flip-kernels');
    expect(await flip.getAttribute('title')).toMatch(/true convolution.*cross-correlation/s);
    await flip.getByRole('checkbox').check();
    await expect.poll(() => wb.page.getByTestId('shapes-summary').textContent()).toContain('kernels flipped');

    // The export panel starts from the workbench's setting.
    await wb.page.getByRole('button', { name: 'Export…' }).click();
    const panel = wb.page.getByTestId('export-panel');
    expect(await panel.getByRole('radio', { name: /channels_first/ }).isChecked()).toBe(true);
    expect(await panel.getByRole('checkbox', { name: 'Flip kernels 180°' }).isChecked()).toBe(true);
    await shot('ordering-alexnet-theano');

    // Remembered: a reload comes back in Theano's ordering.
    await wb.page.reload();
    await wb.page.getByTestId('model-name').waitFor();
    expect(await switcher().getByRole('radio', { name: /Theano/ }).isChecked()).toBe(true);
    await switcher().getByRole('radio', { name: /TensorFlow/ }).check();
    expect(await switcher().getByTestId('flip-kernels').count()).toBe(0);
    expect(wb.problems).toEqual([]);
  });
});

describe('the inspector', () => {
  it("shows conv1's parameters with Caffe's defaults greyed, its blobs in both layouts, and its Keras Conv2D", async () => {
    await open(ALEXNET);
    await showShapes();
    await selectInShapes('conv1');
    const params = details().getByTestId('param-list');
    await params.waitFor();
    // Set in bvlc_alexnet.prototxt's conv1: num_output 96, kernel_size 11, stride 4; pad is left at Caffe's 0.
    const field = (path: string) => params.locator(`[data-param="${path}"]`);
    expect(await field('convolution_param.num_output').getAttribute('data-set')).toBe('true');
    expect(await field('convolution_param.num_output').locator('dd').textContent()).toBe('96');
    expect(await field('convolution_param.kernel_size').locator('dd').textContent()).toBe('11');
    expect(await field('convolution_param.stride').locator('dd').textContent()).toBe('4');
    expect(await field('convolution_param.pad').getAttribute('data-set')).toBe('false');
    expect(await field('convolution_param.pad').getAttribute('class')).toContain('default');
    // A default reads fainter than a value the prototxt sets.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- runs in the page; this file is typed for Node (no DOM globals)
    const opacity = (path: string) => field(path).locator('dd').evaluate((el) => Number((globalThis as any).getComputedStyle(el).opacity as string));
    expect(await opacity('convolution_param.pad')).toBeLessThan(await opacity('convolution_param.num_output'));

    expect(await details().getByTestId('detail-blobs').textContent()).toContain('blobs[0] 96×3×11×11');
    expect(await details().getByTestId('keras-class').first().textContent()).toBe('Conv2D');
    const table = details().getByTestId('shape-table');
    expect(await table.getByTestId('shape-table-caffe').first().textContent()).toContain('10×96×55×55');
    await shot('inspector-alexnet-conv1');

    // LRN has no Keras layer with Caffe's semantics: a custom layer, badged.
    await selectInShapes('norm1');
    expect(await details().getByTestId('keras-layer').first().textContent()).toContain('custom');
    await shot('inspector-alexnet-norm1');
    expect(wb.problems).toEqual([]);
  });
});
