/**
 * Opening models on the web host, end to end: files dropped on the page (or chosen with Upload…)
 * travel to the host as uploads and open from there; the host's file browser lists its roots and
 * opens what is clicked. The real service in its worker behind the real web host, the built
 * renderer in Debian's Chromium.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallOptions, Method, ModelSummary, OpenModelRequest } from '../../src/shared/api.js';
import { createWorkerService } from '../../src/main/service/worker-client.js';
import type { Service } from '../../src/main/service/types.js';
import { fixture } from '../helpers/fixtures.js';
import { dropFiles, useWorkbenchPage } from './workbench-page.js';

const LENET = fixture('models', 'lenet_mnist');
const MODELS = fixture('models');
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The openModel calls the page made and what they answered, as the real service saw them. */
let opened: { request: OpenModelRequest; summary: ModelSummary }[];

const wb = useWorkbenchPage({
  scratchPrefix: 'portafilter-e2e-open-',
  viewport: { width: 1400, height: 900 },
  // The real service, watched: every call goes through unchanged; openModel's are noted for the checks.
  service: () => {
    const real = createWorkerService();
    return {
      call: (async (method: Method, request: unknown, options?: CallOptions) => {
        const result = await real.call(method, request, options);
        if (method === 'openModel') opened.push({ request: request as OpenModelRequest, summary: result as ModelSummary });
        return result;
      }) as Service['call'],
      dispose: () => real.dispose(),
    };
  },
  // The fixture models' folder is a root, as a folder named when starting the host would be.
  server: { folderRoots: [MODELS] },
});

beforeEach(async () => {
  opened = [];
  await wb.page.goto(wb.server.url);
  await wb.page.getByRole('button', { name: 'Upload…' }).waitFor();
});

const field = (name: 'prototxt' | 'caffemodel') => wb.page.locator(`input[name="${name}"]`);
const shot = (name: string) => wb.shot(`open-${name}`);
const uploads = (): string[] => readdirSync(wb.server.uploadDir, { recursive: true, encoding: 'utf8' });

async function waitForValue(name: 'prototxt' | 'caffemodel', test: (value: string) => boolean): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await field(name).inputValue();
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`the ${name} field still holds ${JSON.stringify(value)}`);
    await wb.page.waitForTimeout(50);
  }
}

const drop = (files: { name: string; bytes: Buffer }[], options?: { release?: boolean }): Promise<void> => dropFiles(wb.page, files, options);

describe('files dropped on the web host page', () => {
  it('are uploaded to the host, fill the fields by extension, and the model opens from there', async () => {
    const prototxt = readFileSync(join(LENET, 'deploy.prototxt'));
    const caffemodel = readFileSync(join(LENET, 'weights.caffemodel'));

    await drop([{ name: 'deploy.prototxt', bytes: prototxt }], { release: false });
    await wb.page.locator('.drop-overlay').waitFor();
    await shot('drop-overlay');

    await drop([
      { name: 'weights.caffemodel', bytes: caffemodel },
      { name: 'deploy.prototxt', bytes: prototxt },
    ]);
    const prototxtPath = await waitForValue('prototxt', (v) => v.startsWith(wb.server.uploadDir) && v.endsWith('/deploy.prototxt'));
    const caffemodelPath = await waitForValue('caffemodel', (v) => v.startsWith(wb.server.uploadDir) && v.endsWith('/weights.caffemodel'));
    expect(await wb.page.locator('.drop-overlay').count()).toBe(0);
    // What reached the host is what was dropped, byte for byte.
    expect(sha256(readFileSync(prototxtPath))).toBe(sha256(prototxt));
    expect(sha256(readFileSync(caffemodelPath))).toBe(sha256(caffemodel));
    await wb.page.getByTestId('open-notice').waitFor();
    await shot('dropped');

    await wb.page.getByRole('button', { name: 'Open', exact: true }).click();
    await wb.page.getByTestId('model-name').filter({ hasText: 'LeNet' }).waitFor();
    expect(await wb.page.getByTestId('open-notice').count()).toBe(0);
    expect(opened).toHaveLength(1);
    expect(opened[0].request).toMatchObject({ prototxt: prototxtPath, caffemodel: caffemodelPath });
    expect(opened[0].summary.layers.map((l) => l.name)).toEqual(['data', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']);
    expect(opened[0].summary.totalParams).toBe(520 + 25050 + 400500 + 5010);
    // The graph view (drawn in its own time) is what a user sees next.
    await wb.page.getByTestId('graph').locator('[data-layer="conv1"]').waitFor();
    await shot('dropped-opened');
    expect(wb.problems).toEqual([]);
  });

  it('names a dropped file that fits no field and uploads nothing for it', async () => {
    const before = uploads().length;
    await drop([{ name: 'notes.md', bytes: Buffer.from('# notes') }]);
    await wb.page.getByRole('alert').filter({ hasText: 'notes.md is not a .prototxt, a .caffemodel or a .binaryproto' }).waitFor();
    expect(uploads().length).toBe(before);
  });
});

describe('Upload… on the web host', () => {
  it('uploads the files chosen in the file dialog; a .binaryproto becomes the export mean file', async () => {
    await wb.page.getByTestId('upload-input').setInputFiles([join(LENET, 'deploy.prototxt'), join(LENET, 'weights.caffemodel'), fixture('labels', 'neuralcatdog_mean.binaryproto')]);
    const prototxtPath = await waitForValue('prototxt', (v) => v.startsWith(wb.server.uploadDir));
    expect(sha256(readFileSync(prototxtPath))).toBe(sha256(readFileSync(join(LENET, 'deploy.prototxt'))));
    const notice = wb.page.getByTestId('open-notice');
    await notice.filter({ hasText: "Uploaded to the host: deploy.prototxt, weights.caffemodel, neuralcatdog_mean.binaryproto. The mean image is now the Export panel's mean file" }).waitFor();
    const meanPath = /mean file \((.+?)\)/.exec((await notice.textContent()) ?? '')?.[1];
    expect(meanPath?.startsWith(wb.server.uploadDir)).toBe(true);
    expect(sha256(readFileSync(meanPath!))).toBe(sha256(readFileSync(fixture('labels', 'neuralcatdog_mean.binaryproto'))));
    await shot('uploaded');
  });

  it('shows an upload in the progress strip and cancels it, leaving nothing on the host', async () => {
    const big = join(wb.scratch, 'big.caffemodel');
    writeFileSync(big, '');
    truncateSync(big, 64 * 1024 * 1024);
    const before = uploads();
    // Slowed to 4 MB/s, so the 64 MB take long enough to see and cancel.
    const cdp = await wb.context.newCDPSession(wb.page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
    await wb.page.getByTestId('upload-input').setInputFiles(big);
    const strip = wb.page.getByRole('status').filter({ hasText: 'Uploading big.caffemodel' });
    await strip.waitFor();
    await strip.filter({ hasText: /\d MB of 67 MB · \d+%/ }).waitFor();
    await shot('upload-progress');
    await strip.getByRole('button', { name: 'Cancel' }).click();
    await wb.page.getByRole('alert').filter({ hasText: 'the upload of big.caffemodel was cancelled' }).waitFor();
    expect(await field('caffemodel').inputValue()).not.toContain('big.caffemodel');
    const deadline = Date.now() + 5000;
    while (JSON.stringify(uploads()) !== JSON.stringify(before) && Date.now() < deadline) await wb.page.waitForTimeout(50);
    expect(uploads()).toEqual(before);
  });
});

describe('the host file browser', () => {
  it('lists the roots, walks into the fixture models by mouse and keyboard, and opens what was clicked', async () => {
    await wb.page.getByRole('button', { name: 'Browse host…' }).click();
    const browser = wb.page.getByTestId('host-browser');
    await browser.waitFor();
    const row = (name: string) => browser.locator(`[data-entry="${name}"]`);
    await row(MODELS).waitFor();
    expect(await browser.locator('[data-entry]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entry')))).toEqual(
      expect.arrayContaining([MODELS, wb.server.uploadDir]),
    );
    await shot('browser-roots');

    await row(MODELS).click();
    await row('lenet_mnist').waitFor();
    const folders = await browser.locator('[data-entry]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entry')));
    expect(folders).toEqual([...readdirSync(MODELS, { withFileTypes: true })].filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort());

    // The keyboard: focus lenet_mnist, Enter opens it, Backspace goes back up, Enter again.
    await row('lenet_mnist').focus();
    await wb.page.keyboard.press('Enter');
    await row('deploy.prototxt').waitFor();
    await wb.page.keyboard.press('Backspace');
    await row('lenet_mnist').waitFor();
    await row('lenet_mnist').focus();
    await wb.page.keyboard.press('Enter');
    await row('weights.caffemodel').waitFor();
    const names = await browser.locator('[data-entry]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entry')));
    expect(names).toEqual(['expected', 'deploy.prototxt', 'digit_0.npy', 'digit_0.png', 'digit_3.npy', 'digit_3.png', 'digit_7.npy', 'digit_7.png', 'weights.caffemodel']);
    expect(await row('weights.caffemodel').textContent()).toContain('1.7 MB');
    expect(await browser.getByRole('navigation', { name: 'Folder' }).textContent()).toContain('lenet_mnist');

    await row('deploy.prototxt').click();
    await row('weights.caffemodel').click();
    expect(await field('prototxt').inputValue()).toBe(join(LENET, 'deploy.prototxt'));
    expect(await field('caffemodel').inputValue()).toBe(join(LENET, 'weights.caffemodel'));
    await shot('browser-lenet');

    await browser.getByRole('button', { name: 'Open', exact: true }).click();
    await wb.page.getByTestId('model-name').filter({ hasText: 'LeNet' }).waitFor();
    expect(await browser.count()).toBe(0);
    expect(opened.map((o) => o.request)).toEqual([{ prototxt: join(LENET, 'deploy.prototxt'), caffemodel: join(LENET, 'weights.caffemodel') }]);
    expect(wb.problems).toEqual([]);
  });

  it('starts in the folder of the prototxt in the form, and Escape closes it', async () => {
    await field('prototxt').fill(join(LENET, 'deploy.prototxt'));
    await wb.page.getByRole('button', { name: 'Browse host…' }).click();
    const browser = wb.page.getByTestId('host-browser');
    await browser.locator('[data-entry="weights.caffemodel"]').waitFor();
    await wb.page.keyboard.press('Escape');
    await browser.waitFor({ state: 'detached' });
  });

  it('starts at the roots when the folder of the prototxt in the form is out of reach', async () => {
    await field('prototxt').fill('/etc/deploy.prototxt');
    await wb.page.getByRole('button', { name: 'Browse host…' }).click();
    const browser = wb.page.getByTestId('host-browser');
    // A start folder out of reach is not an error to show: the browser lists the roots instead.
    await browser.locator(`[data-entry="${MODELS}"]`).waitFor();
    expect(await browser.getByRole('alert').count()).toBe(0);
  });
});
