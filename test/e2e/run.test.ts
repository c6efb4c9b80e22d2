/**
 * The Run view end to end: the real service (in its worker threads) behind the web host, the built
 * renderer in Debian's Chromium, no mocks. The demo LeNet runs on its bundled digit_3; what the page
 * shows is held against the fixtures: the digit we drew, and conv1's output as OpenCV's dnn
 * reference runner computed it (test/fixtures/models/lenet_mnist/expected/digit_3).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLaunchQuery } from '../../src/shared/launch.js';
import { fixture } from '../helpers/fixtures.js';
import { dropFiles, useWorkbenchPage } from './workbench-page.js';

const EXPECTED = (file: string) => fixture('models', 'lenet_mnist', 'expected', 'digit_3', file);
const RFB = { prototxt: fixture('models', 'ultraface_rfb320', 'deploy.prototxt'), caffemodel: fixture('models', 'ultraface_rfb320', 'weights.caffemodel') };
const CIFAR = { prototxt: fixture('models', 'cifar10_quick', 'deploy.prototxt'), caffemodel: fixture('models', 'cifar10_quick', 'weights.caffemodel') };

/** A little-endian float32 C-order .npy, read here rather than by the project's reader. */
function readFloat32Npy(path: string): { shape: number[]; data: Float32Array } {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  if (!header.includes("'descr': '<f4'") || !header.includes("'fortran_order': False")) throw new Error(`${path}: not a C-order <f4 array`);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const start = 10 + headerLength;
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
  return { shape, data };
}

const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-e2e-run-', viewport: { width: 1500, height: 980 } });

const view = () => wb.page.getByTestId('run-view');

/* eslint-disable @typescript-eslint/no-explicit-any -- these run in the page; this file is typed for Node (no DOM types) */
/** The details of every performance mark of that name the page has set. */
const marks = (name: string) => wb.page.evaluate((n) => performance.getEntriesByName(n, 'mark').map((m: any) => m.detail ?? null), name);
/* eslint-enable @typescript-eslint/no-explicit-any */

async function openDemoAndRunDigit3(): Promise<void> {
  const url = new URL(wb.server.url);
  writeLaunchQuery({ kind: 'demo' }, url.searchParams);
  await wb.page.goto(url.toString());
  await wb.page.getByTestId('model-name').waitFor();
  await wb.page.getByRole('tab', { name: 'Run' }).click();
  await view().getByRole('button', { name: 'digit_3', exact: true }).click();
  expect(await view().getByRole('button', { name: 'digit_3', exact: true }).getAttribute('aria-pressed')).toBe('true');
  await wb.shot('run-demo-ready');
  await view().getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(() => marks('portafilter:run-done').then((m) => m.length), { timeout: 60_000 }).toBe(1);
}

describe('the Run view', () => {
  it('runs LeNet on the drawn 3 and predicts 3', async () => {
    await openDemoAndRunDigit3();
    const predictions = view().getByTestId('prediction');
    expect(await predictions.first().getAttribute('data-index')).toBe('3');
    // The fixture's reference run gives p = 1.000000 for the 3.
    expect(Number(await predictions.first().getAttribute('data-score'))).toBeGreaterThan(0.99);
    expect(await predictions.count()).toBe(5);
    // What the net saw: the 28×28 digit, drawn.
    const preview = view().getByTestId('input-preview').locator('canvas');
    expect([await preview.getAttribute('data-width'), await preview.getAttribute('data-height')]).toEqual(['28', '28']);
    expect((await view().getByTestId('run-engine').textContent())?.trim()).toMatch(/^Ran on .+ · [\d.]+ (µs|ms|s)/);
    await wb.shot('run-demo-digit3-predictions');
    expect(wb.problems).toEqual([]);
  });

  it("shows conv1's 20 maps of 24×24 after the run, and reads out a value", async () => {
    const shapes = JSON.parse(readFileSync(EXPECTED('shapes.json'), 'utf8')) as Record<string, number[]>;
    const [, channels, height, width] = shapes.conv1;
    const conv1 = readFloat32Npy(EXPECTED('conv1.npy'));
    expect(conv1.shape).toEqual(shapes.conv1);

    await openDemoAndRunDigit3();
    // Selected in the table, as a user would; the run stays with the model while the Run view is away.
    await wb.page.getByRole('tab', { name: 'Table' }).click();
    await wb.page.getByTestId('layer-table').locator('tr[data-layer="conv1"]').click();
    await wb.page.getByRole('tab', { name: 'Run' }).click();

    const maps = view().getByTestId('activation-maps');
    await expect.poll(() => maps.getAttribute('data-maps')).toBe(String(channels));
    expect([await maps.getAttribute('data-tile-width'), await maps.getAttribute('data-tile-height')]).toEqual([String(width), String(height)]);
    await expect.poll(async () => (await marks('portafilter:activation-drawn')).some((d: { layer?: string } | null) => d?.layer === 'conv1')).toBe(true);
    await maps.scrollIntoViewIfNeeded();
    await wb.shot('run-demo-conv1-maps');

    // Enlarge channel 0 by a click inside the first tile, whatever the zoom.
    const gap = Number(await maps.getAttribute('data-gap'));
    const box = await maps.boundingBox();
    const canvasWidth = await maps.evaluate((c) => (c as unknown as { width: number }).width);
    if (!box) throw new Error('no activation maps on screen');
    const zoom = box.width / canvasWidth;
    await maps.click({ position: { x: (gap + width / 2) * zoom, y: (gap + height / 2) * zoom } });
    const enlarged = view().getByTestId('activation-enlarged');
    await enlarged.waitFor();
    expect(await enlarged.locator('[data-channel]').getAttribute('data-channel')).toBe('0');

    // Point at channel 0's strongest response in the reference run.
    let at = 0;
    for (let i = 1; i < height * width; i++) if (conv1.data[i] > conv1.data[at]) at = i;
    const [y, x] = [Math.floor(at / width), at % width];
    const readout = enlarged.getByTestId('activation-readout');
    await readout.scrollIntoViewIfNeeded();
    const big = enlarged.locator('canvas');
    const bigBox = await big.boundingBox();
    if (!bigBox) throw new Error('no enlarged map on screen');
    await big.hover({ position: { x: ((x + 0.5) * bigBox.width) / width, y: ((y + 0.5) * bigBox.height) / height } });
    await expect.poll(() => readout.getAttribute('data-value')).not.toBeNull();
    expect(await readout.textContent()).toContain(`[0, ${y}, ${x}] =`);
    // float32 convolutions summed in different orders: equal far below the 4 digits shown.
    expect(Number(await readout.getAttribute('data-value'))).toBeCloseTo(conv1.data[at], 4);
    await wb.shot('run-demo-conv1-readout');

    // Another colour map is another request, drawn again: grey maps have r = g = b everywhere.
    const drawn = (await marks('portafilter:activation-drawn')).length;
    await view().getByRole('combobox', { name: 'Colour map' }).selectOption('gray');
    await expect.poll(async () => (await marks('portafilter:activation-drawn')).length).toBeGreaterThan(drawn);
    const cols = Number(await maps.getAttribute('data-cols'));
    // Inside the tiles only: the gaps between them are the theme's border colour.
    const colouredInTiles = await maps.evaluate(
      (c, g) => {
        const canvas = c as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let coloured = 0;
        for (let t = 0; t < g.tiles; t++) {
          for (let y = 0; y < g.h; y++) {
            for (let x = 0; x < g.w; x++) {
              const px = g.gap + (t % g.cols) * (g.w + g.gap) + x;
              const py = g.gap + Math.floor(t / g.cols) * (g.h + g.gap) + y;
              const i = (py * canvas.width + px) * 4;
              if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) coloured++;
            }
          }
        }
        return coloured;
      },
      { tiles: channels, cols, w: width, h: height, gap },
    );
    expect(colouredInTiles).toBe(0);
    await wb.shot('run-demo-conv1-gray');
    expect(wb.problems).toEqual([]);
  });

  it("plots ip2's 10 values, whose largest is the reference run's", async () => {
    const ip2 = readFloat32Npy(EXPECTED('ip2.npy'));
    await openDemoAndRunDigit3();
    await view().getByRole('combobox', { name: 'Layer to show' }).selectOption('ip2');
    const values = view().getByTestId('activation-values');
    await expect.poll(() => values.locator('[data-values]').getAttribute('data-values')).toBe(String(ip2.data.length));
    await expect.poll(async () => (await marks('portafilter:activation-drawn')).some((d: { layer?: string } | null) => d?.layer === 'ip2')).toBe(true);
    const max = Number(await view().locator('[data-testid="activation-stats"] [data-stat="max"]').getAttribute('data-value'));
    expect(max).toBeCloseTo(Math.max(...ip2.data), 3);
    await values.scrollIntoViewIfNeeded();
    await wb.shot('run-demo-ip2-values');
    expect(wb.problems).toEqual([]);
  });

  it("feeds a CIFAR-10 photo picked in the host's file browser, swapped to BGR, and predicts what the reference run predicts", async () => {
    const prob = readFloat32Npy(fixture('models', 'cifar10_quick', 'expected', 'dog10', 'prob.npy'));
    const best = prob.data.indexOf(Math.max(...prob.data));
    await wb.open(CIFAR.prototxt, CIFAR.caffemodel);
    await wb.page.getByRole('tab', { name: 'Run' }).click();
    // Not the demo: no digits, but the bundled photo a 3-channel net can take; here a file.
    expect(await view().getByRole('group', { name: 'Bundled samples' }).getByRole('button').allTextContents()).toEqual(['cat']);
    await view().getByRole('group', { name: 'input', exact: true }).getByRole('button', { name: 'Browse host…' }).click();
    const browser = wb.page.getByTestId('host-browser');
    // It starts in the model's folder, where the photos are.
    await browser.locator('[data-entry="dog10.png"]').click();
    await browser.waitFor({ state: 'detached' });
    expect(await view().locator('input[name="runInput"]').inputValue()).toBe(fixture('models', 'cifar10_quick', 'dog10.png'));
    await view().getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => marks('portafilter:run-done').then((m) => m.length), { timeout: 60_000 }).toBe(1);
    expect(await view().getByTestId('prediction').first().getAttribute('data-index')).toBe(String(best));
    const preview = view().getByTestId('input-preview').locator('canvas');
    expect([await preview.getAttribute('data-width'), await preview.getAttribute('data-height')]).toEqual(['32', '32']);
    await wb.shot('run-cifar-dog10');
    expect(wb.problems).toEqual([]);
  });

  it('runs on a photo dropped on the Run view (uploaded to the host), listing the top-k asked for with the labels file given', async () => {
    const prob = readFloat32Npy(fixture('models', 'cifar10_quick', 'expected', 'dog10', 'prob.npy'));
    const order = Array.from(prob.data.keys()).sort((a, b) => prob.data[b] - prob.data[a]);
    const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
    const labels = join(wb.scratch, 'cifar10-labels.txt');
    writeFileSync(labels, names.join('\n') + '\n');
    await wb.open(CIFAR.prototxt, CIFAR.caffemodel);
    await wb.page.getByRole('tab', { name: 'Run' }).click();
    await dropFiles(wb.page, [{ name: 'dog10.png', bytes: readFileSync(fixture('models', 'cifar10_quick', 'dog10.png')) }]);
    // The upload's path on the host, in the input field; the open form keeps its model.
    await expect.poll(() => view().locator('input[name="runInput"]').inputValue()).toMatch(/dog10\.png$/);
    expect(await wb.page.locator('input[name="prototxt"]').inputValue()).toBe(CIFAR.prototxt);
    await view().getByRole('spinbutton', { name: 'Top-k' }).fill('3');
    await view().locator('input[name="labels"]').fill(labels);
    await view().getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => marks('portafilter:run-done').then((m) => m.length), { timeout: 60_000 }).toBe(1);
    const predictions = view().getByTestId('prediction');
    expect(await predictions.count()).toBe(3);
    expect(await predictions.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-index'))))).toEqual(order.slice(0, 3));
    expect(await predictions.first().locator('.label').textContent()).toBe(names[order[0]]);
    await wb.shot('run-cifar-dropped-top3-labels');
    expect(wb.problems).toEqual([]);
  });

  it('cancels a run: no predictions, no error, and the next run goes through', async () => {
    await wb.open(RFB.prototxt, RFB.caffemodel);
    await wb.page.getByRole('tab', { name: 'Run' }).click();
    await view().locator('input[name="runInput"]').fill(fixture('models', 'ultraface_rfb320', 'sample_1.npy'));
    // The reference executor on a 240×320 detector: long enough to be cancelled while it runs.
    await view().getByRole('combobox', { name: 'Engine' }).selectOption('reference');
    await view().getByRole('button', { name: 'Run', exact: true }).click();
    await view().getByRole('button', { name: 'Cancel', exact: true }).click();
    await view().getByRole('button', { name: 'Run', exact: true }).waitFor();
    expect(await marks('portafilter:run-done')).toEqual([]);
    expect(await view().getByTestId('run-engine').count()).toBe(0);
    expect(await wb.page.getByTestId('error').count()).toBe(0);
    await view().getByRole('combobox', { name: 'Engine' }).selectOption('auto');
    await view().getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => marks('portafilter:run-done').then((m) => m.length), { timeout: 60_000 }).toBe(1);
    expect(await wb.page.getByTestId('error').count()).toBe(0);
    expect(wb.problems).toEqual([]);
  });
});
