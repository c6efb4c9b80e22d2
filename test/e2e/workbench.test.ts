/**
 * The workbench end to end: the real service behind the web host, the built renderer in Debian's
 * Chromium, driven like a user would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { resourcePath } from '../../src/main/paths.js';
import { useWorkbenchPage } from './workbench-page.js';
import { startServer } from '../../src/main/server/index.js';
import { rendererOutDir } from '../../src/main/server/renderer-build.js';
import { createService } from '../../src/main/service/index.js';
import type { Service } from '../../src/main/service/types.js';
import type { CallOptions, Method } from '../../src/shared/api.js';

const LENET_LAYERS = ['data', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob'];

// The in-process service: the slow-open test below wraps its calls.
const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-e2e-', viewport: { width: 1400, height: 900 }, timeout: 20_000, service: createService });

const row = (name: string) => wb.page.locator(`tr[data-layer="${name}"]`);
const shapeOf = (name: string) => row(name).getByTestId('layer-shape');

/** A model opens in the graph view: these tests read the layer table. */
async function showTable(): Promise<void> {
  await wb.page.getByTestId('model-name').waitFor();
  await wb.page.getByRole('tab', { name: 'Table' }).click();
}

async function openDemo(): Promise<void> {
  await wb.page.goto(wb.server.url);
  await wb.page.getByRole('heading', { name: 'No model open' }).waitFor();
  await wb.page.getByRole('button', { name: 'Open demo model' }).click();
  await showTable();
  await row('prob').waitFor();
}

describe('the workbench in Chromium', () => {
  it("opens the demo model and lists LeNet's layers with Caffe's N×C×H×W shapes", async () => {
    await openDemo();
    expect(await wb.page.getByTestId('model-name').textContent()).toBe('LeNet');
    expect(await wb.page.getByTestId('model-inputs').textContent()).toContain('data 1×1×28×28');
    expect(await wb.page.locator('tbody tr[data-layer]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-layer')))).toEqual(LENET_LAYERS);
    expect(await shapeOf('conv1').textContent()).toBe('1×20×24×24');
    expect(await shapeOf('pool1').textContent()).toBe('1×20×12×12');
    expect(await shapeOf('conv2').textContent()).toBe('1×50×8×8');
    expect(await shapeOf('pool2').textContent()).toBe('1×50×4×4');
    expect(await shapeOf('ip1').textContent()).toBe('1×500');
    expect(await shapeOf('ip2').textContent()).toBe('1×10');
    expect(await row('relu1').textContent()).toContain('in-place');
    expect(await row('conv1').locator('.c-params').textContent()).toBe('520');
    expect(wb.problems).toEqual([]);
  });

  it("shows the selected layer's prototxt, bottoms and blob shapes", async () => {
    await openDemo();
    await row('conv2').click();
    const details = wb.page.getByTestId('layer-details');
    expect(await details.getByRole('heading', { level: 2 }).textContent()).toBe('conv2');
    expect(await details.textContent()).toContain('pool1 1×20×12×12');
    expect(await details.getByTestId('detail-top-shape').textContent()).toBe('1×50×8×8');
    const blobs = await details.getByTestId('detail-blobs').textContent();
    expect(blobs).toContain('blobs[0] 50×20×5×5');
    expect(blobs).toContain('blobs[1] 50');
    const prototxt = await details.getByTestId('detail-prototxt').textContent();
    expect(prototxt).toContain('name: "conv2"');
    expect(prototxt).toContain('num_output: 50');
    // Arrow keys move the selection through the table.
    await wb.page.getByRole('region', { name: 'Layers' }).locator('.scroll').press('ArrowDown');
    expect(await details.getByRole('heading', { level: 2 }).textContent()).toBe('pool2');
    expect(wb.problems).toEqual([]);
  });

  it('filters the layer table and sorts it by parameter count', async () => {
    await openDemo();
    await wb.page.getByRole('searchbox', { name: 'Filter layers' }).fill('type:conv');
    expect(await wb.page.locator('tbody tr[data-layer]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-layer')))).toEqual(['conv1', 'conv2']);
    await wb.page.getByRole('searchbox', { name: 'Filter layers' }).fill('');
    await wb.page.getByRole('button', { name: 'Params' }).click();
    const names = await wb.page.locator('tbody tr[data-layer]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-layer')));
    expect(names.slice(0, 4)).toEqual(['ip1', 'conv2', 'ip2', 'conv1']);
  });

  it('opens the demo when the page URL says so, as `portafilter serve` prints it', async () => {
    const url = new URL(wb.server.url);
    url.searchParams.set('open', 'demo');
    await wb.page.goto(url.toString());
    await showTable();
    await row('ip2').waitFor();
    expect(await shapeOf('ip2').textContent()).toBe('1×10');
  });

  it('opens the prototxt the page URL names, at its declared batch', async () => {
    const url = new URL(wb.server.url);
    url.searchParams.set('prototxt', resourcePath('demo', 'lenet_mnist', 'deploy.prototxt'));
    await wb.page.goto(url.toString());
    await showTable();
    await row('prob').waitFor();
    expect(await shapeOf('conv1').textContent()).toBe('64×20×24×24');
    expect(await wb.page.getByTestId('model-inputs').textContent()).toContain('data 64×1×28×28');
  });

  it("opens BVLC's lenet_train_test in the TRAIN phase and lists the layers its include rules left out", async () => {
    const net = fileURLToPath(new URL('../data/models/lenet_train_test.v1.prototxt', import.meta.url));
    await wb.page.goto(wb.server.url);
    await wb.page.getByRole('textbox', { name: 'Prototxt' }).fill(net);
    await wb.page.getByRole('textbox', { name: 'Caffemodel' }).fill('');
    await wb.page.getByRole('textbox', { name: 'Input shapes' }).fill('data=64,1,28,28');
    await wb.page.getByRole('combobox', { name: 'Phase' }).selectOption('TRAIN');
    await wb.page.getByRole('button', { name: 'Open', exact: true }).click();
    const state = wb.page.getByTestId('model-state');
    await state.waitFor();
    expect(await state.textContent()).toContain('TRAIN');
    await state.getByText('2 layers left out').click();
    const left = state.getByRole('list', { name: 'Layers left out by include/exclude rules' });
    expect(await left.locator('li').evaluateAll((items) => items.map((li) => li.textContent?.replace(/\s+/g, ' ').trim()))).toEqual([
      'mnist Data · line 17',
      'accuracy Accuracy · line 133',
    ]);
    await wb.shot('workbench-train-phase-excluded');
    expect(wb.problems).toEqual([]);
  });

  it('opens a train_val net whose Data layer reads a database: its shapes and those after it read unknown, with the reason', async () => {
    const net = fileURLToPath(new URL('../data/models/lenet_train_test.v1.prototxt', import.meta.url));
    await wb.page.goto(wb.server.url);
    await wb.page.getByRole('textbox', { name: 'Prototxt' }).fill(net);
    await wb.page.getByRole('textbox', { name: 'Caffemodel' }).fill('');
    await wb.page.getByRole('textbox', { name: 'Input shapes' }).fill('');
    await wb.page.getByRole('button', { name: 'Open', exact: true }).click();
    await wb.page.getByTestId('model-name').waitFor();
    expect(await wb.page.getByTestId('model-inputs').textContent()).toContain('data unknown');
    expect(await wb.page.getByRole('region', { name: 'Model' }).textContent()).toContain("shapes unknown from layer 'mnist' (Data) on: the Data layer takes its shape from the records of its database");
    await wb.page.getByRole('tab', { name: 'Table' }).click();
    expect(await shapeOf('conv1').textContent()).toBe('unknown');
    await wb.page.getByRole('tab', { name: 'Graph' }).click();
    await wb.page.locator('[data-layer="conv1"]').first().waitFor();
    await wb.shot('workbench-unknown-shapes');
    expect(await wb.page.getByTestId('error').count()).toBe(0);
    expect(wb.problems).toEqual([]);
  });

  it('shows a parse error with its file:line:column', async () => {
    const broken = join(wb.scratch, 'broken.prototxt');
    writeFileSync(broken, 'name: "Broken"\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n');
    await wb.page.goto(wb.server.url);
    await wb.page.getByRole('textbox', { name: 'Prototxt' }).fill(broken);
    await wb.page.getByRole('button', { name: 'Open', exact: true }).click();
    const error = wb.page.getByTestId('error');
    await error.waitFor();
    const text = (await error.textContent()) ?? '';
    expect(text).toContain('CaffeParseError');
    expect(text).toMatch(/broken\.prototxt:\d+:\d+/);
  });

  it('shows the error of a model path that does not exist, naming the file', async () => {
    await openDemo();
    await wb.page.getByRole('textbox', { name: 'Prototxt' }).fill(join(wb.scratch, 'no-such-model.prototxt'));
    await wb.page.getByRole('textbox', { name: 'Caffemodel' }).fill('');
    await wb.page.getByRole('textbox', { name: 'Input shapes' }).fill('');
    await wb.page.getByRole('button', { name: 'Open', exact: true }).click();
    const error = wb.page.getByTestId('error');
    await error.waitFor();
    expect(await error.textContent()).toContain('no-such-model.prototxt');
    // The model that was open stays open under the error.
    expect(await shapeOf('conv1').textContent()).toBe('1×20×24×24');
  });
});

describe('a long call', () => {
  it('shows its progress and stops when cancelled', async () => {
    // The real service, but for one prototxt that reports progress and then waits to be cancelled.
    let cancelled = false;
    const slow: Service = {
      call: (async (method: Method, request: unknown, options: CallOptions = {}) => {
        if (method === 'openModel' && (request as { prototxt: string }).prototxt.endsWith('slow.prototxt')) {
          options.onProgress?.({ stage: 'reading the weights', fraction: 0.42 });
          await new Promise<never>((_, reject) =>
            options.signal?.addEventListener('abort', () => {
              cancelled = true;
              reject(new Error('aborted'));
            }),
          );
        }
        return wb.service.call(method, request, options);
      }) as Service['call'],
      dispose: () => undefined,
    };
    const slowServer = await startServer({ port: 0, service: slow, staticDir: rendererOutDir() });
    try {
      await wb.page.goto(slowServer.url);
      await wb.page.getByRole('textbox', { name: 'Prototxt' }).fill('/models/slow.prototxt');
      await wb.page.getByRole('button', { name: 'Open', exact: true }).click();
      const bar = wb.page.getByRole('progressbar');
      await wb.page.getByRole('status').getByText('reading the weights · 42%').waitFor();
      expect(await bar.getAttribute('aria-valuenow')).toBe('42');
      await wb.page.getByRole('button', { name: 'Cancel' }).click();
      await bar.waitFor({ state: 'detached' });
      await expect.poll(() => cancelled).toBe(true);
      // A cancel is the user's own doing, not an error.
      expect(await wb.page.getByTestId('error').count()).toBe(0);
    } finally {
      await slowServer.close();
    }
  });
});

describe('the web host refuses strangers', () => {
  it('refuses the page without the token or with a wrong one', async () => {
    const wrong = await wb.page.goto(`${wb.server.origin}/?token=${'x'.repeat(wb.server.token.length)}`);
    expect(wrong?.status()).toBe(401);
    const none = await wb.page.goto(`${wb.server.origin}/`);
    expect(none?.status()).toBe(401);
  });

  it('refuses an API socket with a wrong token', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${wb.server.port}/api?token=wrong`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('a wrong token was accepted')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
  });

  it("tells the user when the page's socket is refused for its token", async () => {
    // Hand the browser the page for a wrong token (the host itself would refuse it) to reach the
    // case of a page whose socket is refused: a host restarted with a new token under an open tab.
    const html = readFileSync(join(rendererOutDir(), 'index.html'), 'utf8');
    await wb.page.route((url) => url.pathname === '/', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
    await wb.page.goto(`${wb.server.origin}/?token=wrong`);
    const error = wb.page.getByTestId('error');
    await error.waitFor();
    expect(await error.textContent()).toContain("refused this page's token");
  });
});
