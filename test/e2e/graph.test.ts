/**
 * The graph view end to end: the real service (in its worker thread) behind the web host, the built
 * renderer in Debian's Chromium, ELK laying out in its Web Worker under the page's CSP. No mocks.
 * Each test saves what a user sees to test-results/screenshots/graph-*.png.
 *
 * Expected node counts come from the prototxt text itself (a brace-matching read here, not the
 * project's parser): one box per layer, minus the in-place layers (top == bottom) that fold into
 * the layer before them, plus one per net input declared without a layer (`input:`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeLaunchQuery, type LaunchTarget } from '../../src/shared/launch.js';
import { fixture } from '../helpers/fixtures.js';
import { resnet152Prototxt } from '../helpers/resnet-prototxt.js';
import { useWorkbenchPage } from './workbench-page.js';

const GOOGLENET = fixture('prototxts', 'bvlc_googlenet.prototxt');
const RESNET50 = fixture('prototxts', 'ResNet-50-deploy.prototxt');
const LENET = { prototxt: fixture('models', 'lenet_mnist', 'deploy.prototxt'), caffemodel: fixture('models', 'lenet_mnist', 'weights.caffemodel') };

interface ParsedLayer { name: string; type: string; bottoms: string[]; tops: string[] }

/** The layers of a deploy prototxt and its `input:` declarations, read with a brace scanner. */
function readPrototxt(path: string): { layers: ParsedLayer[]; inputs: string[] } {
  const text = readFileSync(path, 'utf8').replace(/#.*$/gm, '');
  const layers: ParsedLayer[] = [];
  let depth = 0;
  let start = -1;
  const topLevel: string[] = [];
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '{') {
      if (depth === 0) {
        const head = text.slice(last, i);
        if (/\blayers?\s*$/.test(head)) start = i;
        topLevel.push(head);
      }
      depth++;
    } else if (text[i] === '}') {
      depth--;
      if (depth === 0) {
        if (start >= 0) {
          const body = text.slice(start + 1, i);
          // Only the layer's own fields: drop nested blocks.
          let own = body;
          while (/\{[^{}]*\}/.test(own)) own = own.replace(/\{[^{}]*\}/g, '');
          const all = (key: string): string[] => [...own.matchAll(new RegExp(`\\b${key}\\s*:\\s*"([^"]*)"`, 'g'))].map((m) => m[1]);
          layers.push({ name: all('name')[0], type: all('type')[0], bottoms: all('bottom'), tops: all('top') });
        }
        start = -1;
        last = i + 1;
      }
    }
  }
  topLevel.push(text.slice(last));
  const inputs = topLevel.flatMap((t) => [...t.matchAll(/^\s*input\s*:\s*"([^"]*)"/gm)].map((m) => m[1]));
  return { layers, inputs };
}

/** Boxes the graph should draw: in-place layers fold, a declared input gets its own. */
function expectedBoxes(path: string): { boxes: number; layers: number; inPlace: string[] } {
  const { layers, inputs } = readPrototxt(path);
  const inPlace = layers.filter((l) => l.tops.length > 0 && l.tops.every((t, i) => l.bottoms[i] === t)).map((l) => l.name);
  return { boxes: layers.length - inPlace.length + inputs.length, layers: layers.length, inPlace };
}

const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-graph-e2e-', viewport: { width: 1400, height: 900 } });

beforeEach(() => {
  // ELK runs in a Web Worker: its errors (a refused script under the CSP) count as the page's.
  wb.page.on('worker', (worker) => worker.on('console', (message) => message.type() === 'error' && wb.problems.push(`worker: ${message.text()}`)));
});

const graph = () => wb.page.getByTestId('graph');
const CSS_ESCAPE = (s: string): string => s.replace(/["\\]/g, '\\$&');
const node = (layer: string) => graph().locator(`[data-layer="${CSS_ESCAPE(layer)}"]`);
const details = () => wb.page.getByTestId('layer-details');
const canvasBox = async () => {
  const box = await graph().getByTestId('graph-canvas').boundingBox();
  if (!box) throw new Error('the graph canvas is not on screen');
  return box;
};
const shot = (name: string) => wb.shot(`graph-${name}`);

/** Opens a model the way `portafilter serve --open` and the Electron window do: a launch query on the page URL. */
async function openByUrl(target: LaunchTarget): Promise<void> {
  const url = new URL(wb.server.url);
  writeLaunchQuery(target, url.searchParams);
  await wb.page.goto(url.toString());
  await graph().locator('.node').first().waitFor();
}

/** Distance of the centre of the box drawing a layer (its own, or the one it is folded into) from the canvas centre, in pixels. */
async function offCentre(layer: string): Promise<number> {
  const canvas = await canvasBox();
  const drawn = graph().locator(`.node:has([data-layer="${CSS_ESCAPE(layer)}"])`);
  const folded = (await node(layer).first().getAttribute('class'))?.includes('badge') ?? false;
  const box = await (folded ? drawn.locator('.node-box') : node(layer)).first().boundingBox();
  return box ? Math.round(Math.hypot(box.x + box.width / 2 - (canvas.x + canvas.width / 2), box.y + box.height / 2 - (canvas.y + canvas.height / 2))) : Number.POSITIVE_INFINITY;
}

/** Boxes drawn: one .node each near; far out, one closed sub-path each in the flat drawing. */
async function drawnBoxes(): Promise<number> {
  const mode = await graph().locator('svg.surface').getAttribute('data-mode');
  if (mode === 'near') return graph().locator('.node').count();
  const paths = await graph().locator('.far-box').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
  return paths.reduce((n, d) => n + (d.match(/z/g)?.length ?? 0), 0);
}

/** Zooms in from a fitted view until the boxes are drawn with their text. */
async function zoomToNear(): Promise<void> {
  for (let i = 0; i < 12 && (await graph().locator('svg.surface').getAttribute('data-mode')) === 'far'; i++) await graph().getByRole('button', { name: 'Zoom in' }).click();
}

/** The label text on the edge a layer's output leaves by. */
const labelFrom = (layer: string) => graph().locator(`.edge[data-from="${CSS_ESCAPE(layer)}"] [data-testid="edge-label"]`).first().textContent();

describe('the graph view in Chromium', () => {
  it('opens GoogLeNet on the graph, one box per layer with its in-place layers folded into badges', async () => {
    const expected = expectedBoxes(GOOGLENET);
    // Counted with grep as well: 143 `layer {` blocks, 57 ReLU and 1 Dropout, all on their own input; an Input layer, no `input:`.
    expect([expected.layers, expected.inPlace.length, expected.boxes]).toEqual([143, 58, 85]);
    await openByUrl({ kind: 'model', prototxt: GOOGLENET });
    expect(await wb.page.getByRole('tab', { name: 'Graph' }).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => graph().getByTestId('graph-status').textContent()).toBe('143 layers');
    // Fitted, the whole net is on screen (as flat boxes: too small for text).
    await graph().getByRole('button', { name: 'Fit' }).click();
    await expect.poll(drawnBoxes).toBe(expected.boxes);
    expect(await graph().getByTestId('graph-boxes').textContent()).toBe(`${expected.boxes} boxes`);
    await shot('googlenet-fitted');
    // Close enough to read: every in-place layer drawn is a badge on its producer's box, not a box of its own.
    await zoomToNear();
    const badges = await graph().locator('.badge').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
    expect(badges.length).toBeGreaterThan(expected.inPlace.length / 2);
    expect(badges.every((b) => b !== null && expected.inPlace.includes(b))).toBe(true);
    const heads = await graph().locator('.row.head').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
    expect(heads.filter((h) => h !== null && expected.inPlace.includes(h))).toEqual([]);
    // Labelled with name, type and key parameters (as the main side words them).
    const conv1 = await node('conv1/7x7_s2').textContent();
    expect(conv1).toContain('conv1/7x7_s2');
    expect(conv1).toContain('Convolution');
    expect(conv1).toMatch(/7×7/);
    // Coloured by category: a convolution and a pooling box differ.
    const fill = (layer: string) => node(layer).locator('xpath=ancestor::*[@data-node][1]').locator('.bar').evaluate((el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).fill);
    expect(await fill('conv1/7x7_s2')).not.toBe(await fill('pool1/3x3_s2'));
    expect(await graph().getByTestId('graph-legend').textContent()).toContain('convolution');
    // Laid out: no two boxes overlap.
    const boxes = await graph().locator('.node-box').evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect()).map(({ x, y, width, height }) => ({ x, y, width, height })));
    const overlaps = boxes.flatMap((a, i) => boxes.slice(i + 1).filter((b) => a.x + a.width > b.x + 0.5 && b.x + b.width > a.x + 0.5 && a.y + a.height > b.y + 0.5 && b.y + b.height > a.y + 0.5));
    expect(overlaps).toEqual([]);
    await shot('googlenet-readable');
    expect(wb.problems).toEqual([]);
  });

  it('folds ResNet-50’s BatchNorm, Scale and ReLU into each convolution', async () => {
    const expected = expectedBoxes(RESNET50);
    // Counted with grep as well: 228 layers, 53 BatchNorm + 53 Scale + 49 ReLU in place, and `input: "data"` drawn as a box.
    expect([expected.layers, expected.inPlace.length, expected.boxes]).toEqual([228, 155, 74]);
    await openByUrl({ kind: 'model', prototxt: RESNET50 });
    await graph().getByRole('button', { name: 'Fit' }).click();
    await expect.poll(drawnBoxes).toBe(expected.boxes);
    expect(await graph().getByTestId('graph-boxes').textContent()).toBe(`${expected.boxes} boxes`);
    // Found by the search, conv1 carries its three in-place layers as badges, and so does the first block's sum.
    await graph().getByTestId('graph-search').fill('bn_conv1');
    await expect.poll(() => offCentre('bn_conv1'), { timeout: 5000 }).toBeLessThan(40);
    const conv1Box = graph().locator('.node:has([data-layer="conv1"])');
    expect(await conv1Box.locator('.badge').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')))).toEqual(['bn_conv1', 'scale_conv1', 'conv1_relu']);
    await graph().getByTestId('graph-search').fill('res2a_relu');
    await expect.poll(() => node('res2a_relu').getAttribute('class'), { timeout: 5000 }).toContain('badge');
    await shot('resnet50-block');
    expect(wb.problems).toEqual([]);
  });

  it('draws LeNet with weights, relu1 a badge on ip1 that expands to a row, per box and all at once', async () => {
    await openByUrl({ kind: 'model', ...LENET });
    expect(await graph().locator('.node').count()).toBe(expectedBoxes(LENET.prototxt).boxes);
    expect(await node('relu1').getAttribute('class')).toContain('badge');
    // Zoomed in on the folded box.
    await node('ip1').click();
    for (let i = 0; i < 3; i++) await graph().getByRole('button', { name: 'Zoom in' }).click();
    await wb.page.keyboard.press('Enter');
    await expect.poll(() => offCentre('ip1'), { timeout: 5000 }).toBeLessThan(60);
    await shot('folded-node');

    const folded = await graph().locator('.node:has([data-layer="ip1"]) .node-box').boundingBox();
    await graph().getByRole('button', { name: /Show the 1 in-place layers of ip1/ }).click();
    await expect.poll(() => node('relu1').getAttribute('class')).toContain('attached');
    const expanded = await graph().locator('.node:has([data-layer="ip1"]) .node-box').boundingBox();
    expect(expanded?.height ?? 0).toBeGreaterThan(folded?.height ?? 0);
    await shot('expanded-node');
    await graph().getByRole('button', { name: /Fold the 1 in-place layers of ip1/ }).click();
    await expect.poll(() => node('relu1').getAttribute('class')).toContain('badge');
    await graph().getByTestId('graph-expand-all').check();
    await expect.poll(() => node('relu1').getAttribute('class')).toContain('attached');
    expect(wb.problems).toEqual([]);
  });

  it('selects a layer clicked in the graph in the inspector and the table, and walks the edges with the arrow keys', async () => {
    await openByUrl({ kind: 'model', ...LENET });
    await node('conv2').click();
    await expect.poll(() => details().textContent()).toContain('conv2');
    expect(await node('conv2').getAttribute('aria-pressed')).toBe('true');
    await wb.page.keyboard.press('ArrowDown');
    await expect.poll(() => node('pool2').getAttribute('aria-pressed')).toBe('true');
    await wb.page.keyboard.press('ArrowUp');
    await wb.page.keyboard.press('ArrowUp');
    await expect.poll(() => node('pool1').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => details().textContent()).toContain('pool1');
    await wb.page.getByRole('tab', { name: 'Table' }).click();
    expect(await wb.page.locator('tr[data-layer="pool1"]').getAttribute('aria-selected')).toBe('true');
    // Selected in the table, far from the view: the graph brings it to the middle.
    await wb.page.locator('tr[data-layer="prob"]').click();
    await wb.page.getByRole('tab', { name: 'Graph' }).click();
    for (let i = 0; i < 4; i++) await graph().getByRole('button', { name: 'Zoom in' }).click();
    await wb.page.getByRole('tab', { name: 'Table' }).click();
    await wb.page.locator('tr[data-layer="conv1"]').click();
    await wb.page.getByRole('tab', { name: 'Graph' }).click();
    await expect.poll(() => offCentre('conv1'), { timeout: 5000 }).toBeLessThan(40);
    expect(wb.problems).toEqual([]);
  });

  it('finds layers by name: highlights every match, centres on the first, Enter moves on; a click selects it', async () => {
    await openByUrl({ kind: 'model', prototxt: GOOGLENET });
    const { layers } = readPrototxt(GOOGLENET);
    const expected = layers.filter((l) => l.name.includes('pool_proj') || l.type.toLowerCase().includes('pool_proj')).map((l) => l.name);
    // Nine pool_proj convolutions and the nine ReLUs on them.
    expect(expected).toHaveLength(18);
    await graph().getByTestId('graph-search').fill('pool_proj');
    await expect.poll(() => graph().getByTestId('graph-search-count').textContent()).toBe(`1 of ${expected.length}`);
    await expect.poll(() => offCentre(expected[0]), { timeout: 5000 }).toBeLessThan(40);
    expect(await node(expected[0]).getAttribute('class')).toContain('match');
    await shot('search');
    await graph().getByTestId('graph-search').press('Enter');
    await expect.poll(() => graph().getByTestId('graph-search-count').textContent()).toBe(`2 of ${expected.length}`);
    await expect.poll(() => offCentre(expected[1]), { timeout: 5000 }).toBeLessThan(40);
    // Fitted, every match is highlighted at once: as rows and badges near, as outlines far out (a ReLU's box is its convolution's).
    await graph().getByRole('button', { name: 'Fit' }).click();
    await wb.page.waitForTimeout(400);
    if ((await graph().locator('svg.surface').getAttribute('data-mode')) === 'near') {
      expect(await graph().locator('.row.match, .badge.match').count()).toBe(expected.length);
    } else {
      expect((await graph().locator('.far-match').getAttribute('d'))?.match(/z/g)).toHaveLength(9);
    }
    await shot('search-fitted');
    // A type matches too.
    await graph().getByTestId('graph-search').fill('concat');
    await expect.poll(() => graph().getByTestId('graph-search-count').textContent()).toBe(`1 of ${layers.filter((l) => l.type === 'Concat').length}`);
    await graph().getByTestId('graph-search').fill('inception_4b/pool_proj');
    await expect.poll(() => offCentre('inception_4b/pool_proj'), { timeout: 5000 }).toBeLessThan(40);
    await node('inception_4b/pool_proj').click();
    await expect.poll(() => details().textContent()).toContain('inception_4b/pool_proj');
    await wb.page.getByRole('tab', { name: 'Table' }).click();
    expect(await wb.page.locator('tr[data-layer="inception_4b/pool_proj"]').getAttribute('aria-selected')).toBe('true');
    expect(wb.problems).toEqual([]);
  });

  it('labels the edges with the blob shapes of the current ordering, and changes them when the ordering flips', async () => {
    await openByUrl({ kind: 'model', ...LENET });
    // conv1 at LeNet's declared batch 64: Caffe 64×20×24×24 (conv1 5×5 on 28×28).
    await expect.poll(() => labelFrom('conv1')).toBe('64×24×24×20');
    const layouts = () => wb.page.evaluate(() => performance.getEntriesByName('portafilter:graph-layout', 'measure').length);
    const laidOut = await layouts();
    expect(laidOut).toBeGreaterThan(0);
    const switcher = wb.page.getByTestId('ordering-switch');
    if ((await switcher.count()) > 0) {
      await switcher.locator('input[data-ordering="channels_first"]').check();
    } else {
      await wb.page.evaluate(`localStorage.setItem('portafilter.ordering', JSON.stringify({ ordering: 'channels_first', flipKernels: false }))`);
      await wb.page.reload();
      await graph().locator('.node').first().waitFor();
    }
    await expect.poll(() => labelFrom('conv1')).toBe('64×20×24×24');
    await expect.poll(() => labelFrom('relu1')).toBe('64×500');
    // Only the labels changed: no new ELK layout (when the switch is in the page; a reload lays out afresh).
    if ((await switcher.count()) > 0) expect(await layouts()).toBe(laidOut);
    await shot('channels-first-labels');
    expect(wb.problems).toEqual([]);
  });

  it('marks a layer that cannot convert, with the reason in its tooltip', async () => {
    const path = join(wb.scratch, 'mvn.prototxt');
    writeFileSync(
      path,
      [
        'name: "has_mvn"',
        'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }',
        'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }',
        'layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }',
        // MVN has no Keras mapping.
        'layer { name: "mvn1" type: "MVN" bottom: "conv1" top: "mvn1" }',
        'layer { name: "pool1" type: "Pooling" bottom: "mvn1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }',
        '',
      ].join('\n'),
    );
    await openByUrl({ kind: 'model', prototxt: path });
    const mvnBox = graph().locator('.node:has([data-layer="mvn1"])');
    await expect.poll(() => mvnBox.getByTestId('failed-mark').count()).toBe(1);
    expect(await mvnBox.getByTestId('failed-mark').locator('title').textContent()).toMatch(/mvn1 cannot convert to Keras: .*MVN/);
    expect(await graph().locator('.node:has([data-layer="conv1"])').getByTestId('failed-mark').count()).toBe(0);
    await expect.poll(() => graph().getByTestId('graph-failed').textContent()).toMatch(/^\d+ cannot convert$/);
    await shot('failed-layer');
    expect(wb.problems).toEqual([]);
  });

  it('pans by dragging, zooms with the wheel, a trackpad pinch and a two-finger touch pinch about the pointer, and fits the whole net', async () => {
    await openByUrl({ kind: 'model', ...LENET });
    const canvas = await canvasBox();
    const before = await node('conv1').boundingBox();
    if (!before) throw new Error('no conv1 box');
    await wb.page.mouse.move(canvas.x + 20, canvas.y + 60);
    await wb.page.mouse.down();
    await wb.page.mouse.move(canvas.x + 80, canvas.y + 90, { steps: 5 });
    await wb.page.mouse.up();
    const panned = await node('conv1').boundingBox();
    expect(panned?.x).toBeCloseTo(before.x + 60, 0);
    expect(panned?.y).toBeCloseTo(before.y + 30, 0);

    const at = { x: (panned?.x ?? 0) + 10, y: (panned?.y ?? 0) + 10 };
    await wb.page.mouse.move(at.x, at.y);
    await wb.page.mouse.wheel(0, -300);
    await expect.poll(async () => (await node('conv1').boundingBox())?.width ?? 0).toBeGreaterThan((panned?.width ?? 0) * 1.5);
    const zoomed = await node('conv1').boundingBox();
    expect(zoomed && at.x >= zoomed.x && at.x <= zoomed.x + zoomed.width && at.y >= zoomed.y && at.y <= zoomed.y + zoomed.height).toBe(true);
    // A pinch arrives as ctrl+wheel with fine deltas: it zooms out a little, about the pointer.
    const percent = async () => Number((await graph().getByTestId('graph-zoom').textContent())?.replace('%', ''));
    const beforePinch = await percent();
    await wb.page.keyboard.down('Control');
    await wb.page.mouse.wheel(0, 20);
    await wb.page.keyboard.up('Control');
    await expect.poll(percent).toBeLessThan(beforePinch);
    expect(await percent()).toBeGreaterThan(beforePinch * 0.7);

    // Two fingers on a touch screen, through Chromium's own touch input, either side of conv1: spreading
    // them 2x zooms in 2x about their centre, so conv1 doubles in width and stays where it was.
    const conv1Before = await node('conv1').boundingBox();
    if (!conv1Before) throw new Error('conv1 left the view');
    const centre = { x: conv1Before.x + conv1Before.width / 2, y: conv1Before.y + conv1Before.height / 2 };
    const fingers = (spread: number) => [
      { x: centre.x - spread, y: centre.y, id: 1 },
      { x: centre.x + spread, y: centre.y, id: 2 },
    ];
    const beforeTouch = await percent();
    const cdp = await wb.page.context().newCDPSession(wb.page);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(40) });
    for (let spread = 45; spread <= 80; spread += 5) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(spread) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await cdp.detach();
    await expect.poll(percent).toBeGreaterThan(beforeTouch * 1.8);
    expect(await percent()).toBeLessThan(beforeTouch * 2.2);
    const conv1After = await node('conv1').boundingBox();
    if (!conv1After) throw new Error('conv1 left the view');
    expect(conv1After.width / conv1Before.width).toBeCloseTo(2, 1);
    expect(Math.abs(conv1After.x + conv1After.width / 2 - centre.x)).toBeLessThan(4);
    expect(Math.abs(conv1After.y + conv1After.height / 2 - centre.y)).toBeLessThan(4);

    await graph().getByRole('button', { name: 'Fit' }).click();
    await expect
      .poll(async () =>
        (await graph().locator('.node-box').evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect()))).every(
          (b) => b.x >= canvas.x && b.y >= canvas.y && b.x + b.width <= canvas.x + canvas.width && b.y + b.height <= canvas.y + canvas.height,
        ),
      )
      .toBe(true);
    expect(wb.problems).toEqual([]);
  });

  it('shows ResNet-152 with a minimap; a click on the minimap moves the view there', async () => {
    const path = join(wb.scratch, 'ResNet-152-deploy.prototxt');
    writeFileSync(path, resnet152Prototxt());
    const expected = expectedBoxes(path);
    expect(expected.layers).toBe(670);
    await openByUrl({ kind: 'model', prototxt: path });
    await expect.poll(() => graph().getByTestId('graph-boxes').textContent()).toBe(`${expected.boxes} boxes`);
    const minimap = graph().getByTestId('graph-minimap');
    await minimap.waitFor();
    const map = await minimap.boundingBox();
    if (!map) throw new Error('no minimap');
    // The net's end is at the bottom of the minimap; clicking there brings fc1000 into the view.
    expect(await node('fc1000').count()).toBe(0);
    await wb.page.mouse.click(map.x + map.width / 2, map.y + map.height - 8);
    await expect.poll(() => node('fc1000').count(), { timeout: 5000 }).toBeGreaterThan(0);
    await shot('minimap-resnet152');
    await graph().getByRole('button', { name: 'Fit' }).click();
    await wb.page.waitForTimeout(400);
    expect(await graph().locator('svg').getAttribute('data-mode')).toBe('far');
    await shot('resnet152-fitted');
    expect(wb.problems).toEqual([]);
  });
});

/** What the page offers to functions run in it with evaluate (this file is typed for Node, without the DOM library). */
interface PageGlobals {
  getComputedStyle(element: unknown): { fill: string };
}
