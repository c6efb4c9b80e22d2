/**
 * The Weights view end to end: the real service (in its worker thread) behind the web host, the built
 * renderer in Debian's Chromium, ECharts under the page's CSP. The expected statistics come from
 * protobufjs' own decode of the fixture caffemodels against proto/caffe.proto, computed here in float64.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { writeLaunchQuery } from '../../src/shared/launch.js';
import { fixture } from '../helpers/fixtures.js';
import { useWorkbenchPage } from './workbench-page.js';

const LENET = { prototxt: fixture('models', 'lenet_mnist', 'deploy.prototxt'), caffemodel: fixture('models', 'lenet_mnist', 'weights.caffemodel') };
const CIFAR = { prototxt: fixture('models', 'cifar10_quick', 'deploy.prototxt'), caffemodel: fixture('models', 'cifar10_quick', 'weights.caffemodel') };

interface Blob {
  shape: number[];
  data: Float32Array;
}
/** Every learnable blob of a V2 caffemodel, by layer name, through protobufjs alone. */
function decodeBlobs(caffemodel: string): Map<string, Blob[]> {
  const Net = protobuf.loadSync(join(process.cwd(), 'proto', 'caffe.proto')).lookupType('caffe.NetParameter');
  type DecodedBlob = { shape?: { dim: number[] }; num?: number; channels?: number; height?: number; width?: number; data: number[] };
  const net = Net.toObject(Net.decode(readFileSync(caffemodel)), { arrays: true, longs: Number }) as {
    layer: { name: string; blobs: DecodedBlob[] }[];
    layers: { name: string; blobs: DecodedBlob[] }[];
  };
  // A V1 file (`layers`) gives its blobs Caffe's legacy 4-D num, channels, height, width.
  const shape = (b: DecodedBlob): number[] => b.shape?.dim ?? [b.num ?? 1, b.channels ?? 1, b.height ?? 1, b.width ?? 1];
  return new Map([...net.layer, ...net.layers].filter((l) => l.blobs.length > 0).map((l) => [l.name, l.blobs.map((b) => ({ shape: shape(b), data: Float32Array.from(b.data) }))]));
}

function stats(data: Float32Array) {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    if (v === 0) zeros++;
  }
  const mean = sum / data.length;
  let sq = 0;
  for (const v of data) sq += (v - mean) ** 2;
  return { count: data.length, min, max, mean, std: Math.sqrt(sq / data.length), zeroFraction: zeros / data.length, nanCount: 0, infCount: 0 };
}


const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-e2e-weights-' });

const shot = (name: string) => wb.shot(name);
const view = () => wb.page.getByTestId('weights-view');

async function openWeights(model: { prototxt: string; caffemodel: string }, layer: string): Promise<void> {
  const url = new URL(wb.server.url);
  writeLaunchQuery({ kind: 'model', ...model }, url.searchParams);
  await wb.page.goto(url.toString());
  await wb.page.getByTestId('model-name').waitFor();
  await wb.page.getByRole('tab', { name: 'Weights' }).click();
  await view().getByRole('combobox', { name: 'Layer with weights' }).selectOption(layer);
  await expect.poll(() => wb.page.getByTestId('layer-details').getByRole('heading', { level: 2 }).textContent()).toBe(layer);
}

/* eslint-disable @typescript-eslint/no-explicit-any -- these run in the page; this file is typed for Node (no DOM types) */
/** A canvas's pixels, read back in the wb.page. */
const pixelsOf = (selector: string) =>
  wb.page.locator(selector).first().evaluate((canvas: any) => {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    return { width: canvas.width as number, height: canvas.height as number, data: Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data as Uint8ClampedArray) };
  });

/** How many distinct colours a canvas shows (a blank one shows one), counted in the wb.page. */
const coloursOf = (selector: string) =>
  wb.page.locator(selector).first().evaluate((canvas: any) => {
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data as Uint8ClampedArray | undefined;
    if (!data) throw new Error('no 2d context');
    const seen = new Set<number>();
    const words = new Uint32Array(data.buffer, data.byteOffset, data.length / 4);
    for (let i = 0; i < words.length && seen.size < 64; i++) seen.add(words[i]);
    return seen.size;
  });
/* eslint-enable @typescript-eslint/no-explicit-any */

describe('the Weights view of one layer', () => {
  it("gives each of LeNet conv1's blobs the statistics protobufjs' decode of the caffemodel gives, beside its histogram", async () => {
    const blobs = decodeBlobs(LENET.caffemodel).get('conv1');
    if (!blobs) throw new Error('conv1 has no blobs in the LeNet caffemodel');
    await openWeights(LENET, 'conv1');
    const cards = view().getByTestId('weight-histogram');
    await expect.poll(() => cards.count()).toBe(blobs.length);
    for (const [i, blob] of blobs.entries()) {
      const card = view().locator(`[data-testid="weight-histogram"][data-blob="${i}"]`);
      expect(await card.locator('figcaption').textContent()).toContain(blob.shape.join('×'));
      const want = stats(blob.data);
      for (const [key, value] of Object.entries(want)) {
        const shown = Number(await card.locator(`[data-stat="${key}"]`).getAttribute('data-value'));
        // float32 data summed in float64 on both sides: equal far below the 4 digits shown.
        expect(shown, `blobs[${i}] ${key}`).toBeCloseTo(value, 9);
      }
      // The chart drew: its canvas holds more than a background.
      await card.locator('canvas').first().waitFor();
      await expect.poll(() => coloursOf(`[data-testid="weight-histogram"][data-blob="${i}"] canvas`)).toBeGreaterThan(2);
    }
    await shot('weights-layer-lenet-conv1');
    expect(wb.problems).toEqual([]);
  });

  it("draws CIFAR-10 conv1's 32 filters as RGB tiles, the largest |w| of each at full intensity, and enlarges one on a click", async () => {
    const [kernel] = decodeBlobs(CIFAR.caffemodel).get('conv1') ?? [];
    if (!kernel) throw new Error('conv1 has no blobs in the CIFAR-10 caffemodel');
    const [filters, inputs, kh, kw] = kernel.shape;
    expect(inputs).toBe(3);
    await openWeights(CIFAR, 'conv1');
    const canvas = view().getByTestId('filter-tiles-canvas');
    await canvas.waitFor();
    await expect.poll(() => canvas.getAttribute('data-tiles')).toBe(String(filters));
    const cols = Number(await canvas.getAttribute('data-cols'));
    const gap = Number(await canvas.getAttribute('data-gap'));
    const { width, data } = await pixelsOf('[data-testid="filter-tiles-canvas"]');
    for (let f = 0; f < filters; f++) {
      // Where the filter's largest |w| sits, its channel is driven to an end of the range, away from the grey of 0.
      let at = 0;
      for (let i = 0; i < inputs * kh * kw; i++) if (Math.abs(kernel.data[f * inputs * kh * kw + i]) > Math.abs(kernel.data[f * inputs * kh * kw + at])) at = i;
      const channel = Math.floor(at / (kh * kw));
      const y = Math.floor((at % (kh * kw)) / kw);
      const x = at % kw;
      const px = gap + (f % cols) * (kw + gap) + x;
      const py = gap + Math.floor(f / cols) * (kh + gap) + y;
      // Caffe's BGR input channels are shown as RGB: channel 0 (blue) is the pixel's third byte.
      const byte = data[(py * width + px) * 4 + (2 - channel)];
      expect(Math.abs(byte - 127.5), `filter ${f} at channel ${channel}, ${y}, ${x}`).toBeGreaterThan(120);
    }
    // Inside the first tile, whatever the zoom (each weight is at least one screen pixel, the gap one weight wide).
    const zoomed = Number((await canvas.boundingBox())?.width) / width;
    await canvas.click({ position: { x: (gap + kw / 2) * zoomed, y: (gap + kh / 2) * zoomed } });
    await view().getByTestId('filter-enlarged').waitFor();
    expect(await view().getByTestId('filter-enlarged').textContent()).toContain('filter 0');
    await shot('weights-layer-cifar-conv1-tiles');
    expect(wb.problems).toEqual([]);
  });
});

describe('the whole-model Weights view', () => {
  it("draws one box per learnable blob of LeNet, on a log axis too, and a click on a box selects its layer", async () => {
    const blobs = [...decodeBlobs(LENET.caffemodel).values()].flat();
    await openWeights(LENET, 'conv1');
    await view().getByRole('radio', { name: 'Whole model' }).check();
    const chart = view().getByTestId('weight-boxplot');
    await expect.poll(() => chart.getAttribute('data-boxes')).toBe(String(blobs.length));
    expect(await view().getByTestId('overview-summary').textContent()).toContain(`${blobs.length} blobs in 4 layers`);
    await expect.poll(() => coloursOf('[data-testid="weight-boxplot"] canvas')).toBeGreaterThan(3);
    await shot('weights-model-lenet');

    await view().getByRole('radio', { name: /log/ }).check();
    await expect.poll(() => coloursOf('[data-testid="weight-boxplot"] canvas')).toBeGreaterThan(3);
    await shot('weights-model-lenet-log');

    // On the log axis every box rises from the floor: just above the x axis, the 7th category (ip2's weights) is inside its box.
    const box = await chart.boundingBox();
    if (!box) throw new Error('no box plot on screen');
    const [left, right, bottom] = [56, 14, 70];
    const seventh = [...decodeBlobs(LENET.caffemodel).entries()].flatMap(([layer, bs]) => bs.map(() => layer))[6];
    expect(seventh).toBe('ip2');
    await wb.page.mouse.click(box.x + left + ((6 + 0.5) * (box.width - left - right)) / blobs.length, box.y + box.height - bottom - 4);
    await expect.poll(() => wb.page.getByTestId('layer-details').getByRole('heading', { level: 2 }).textContent()).toBe('ip2');
    expect(wb.problems).toEqual([]);
  });
});
