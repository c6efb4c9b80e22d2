/**
 * The Compare view and the graph's error heat map end to end (web host, built renderer, Debian's
 * Chromium, no mocks): LeNet against the Caffe-semantics reference, then against OpenCV's dumps of
 * the same input (test/fixtures/models/lenet_mnist/expected/digit_3) with conv2's deliberately corrupted.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLaunchQuery } from '../../src/shared/launch.js';
import { fixture } from '../helpers/fixtures.js';
import { useWorkbenchPage } from './workbench-page.js';

const DUMPS = fixture('models', 'lenet_mnist', 'expected', 'digit_3');
const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-e2e-compare-', viewport: { width: 1500, height: 980 } });
const view = () => wb.page.locator('#view-compare');
const row = (layer: string) => view().locator(`tr[data-layer="${layer}"]`);

/** OpenCV's dumps with one value of conv2 moved by 0.5, by hand on the .npy bytes (float32 little-endian after the header). */
function corruptedDumps(): string {
  const dir = join(wb.scratch, 'dumps-conv2-corrupted');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(DUMPS)) copyFileSync(join(DUMPS, f), join(dir, f));
  const bytes = readFileSync(join(DUMPS, 'conv2.npy'));
  const start = 10 + bytes.readUInt16LE(8);
  bytes.writeFloatLE(bytes.readFloatLE(start + 17 * 4) + 0.5, start + 17 * 4);
  writeFileSync(join(dir, 'conv2.npy'), bytes);
  return dir;
}

async function openDemoOnDigit3(): Promise<void> {
  const url = new URL(wb.server.url);
  writeLaunchQuery({ kind: 'demo' }, url.searchParams);
  await wb.page.goto(url.toString());
  await wb.page.getByTestId('model-name').waitFor();
  await wb.page.getByRole('tab', { name: 'Run' }).click();
  await wb.page.locator('#view-run').getByRole('button', { name: 'digit_3', exact: true }).click();
  await wb.page.getByRole('tab', { name: 'Compare' }).click();
}

describe('the Compare view', () => {
  it('finds LeNet converted within tolerance of the reference at every layer, and shows a layer on both sides and their difference', async () => {
    await openDemoOnDigit3();
    await view().getByRole('button', { name: 'Compare', exact: true }).click();
    await expect.poll(() => view().getByTestId('compare-summary').textContent(), { timeout: 60_000 }).toMatch(/every layer within tolerance/);
    for (const layer of ['conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']) {
      expect(await row(layer).getAttribute('data-status')).toBe('ok');
      expect(Number(await row(layer).locator('[data-ratio]').textContent())).toBeLessThan(1);
    }
    await row('conv1').click();
    for (const side of ['converted', 'reference', 'difference']) await view().locator(`figure[data-side="${side}"] [data-testid="activation-maps"][data-maps="20"]`).waitFor();
    await wb.shot('compare-lenet-reference');
    expect(wb.problems).toEqual([]);
  });

  it('highlights conv2, whose Caffe dump was corrupted, as the first divergence, in the table and on the graph’s heat map', async () => {
    await openDemoOnDigit3();
    await view().getByRole('textbox', { name: 'Folder of Caffe dumps' }).fill(corruptedDumps());
    await view().getByRole('button', { name: 'Compare', exact: true }).click();
    await expect.poll(() => view().getByTestId('compare-summary').textContent(), { timeout: 60_000 }).toMatch(/first divergence at conv2/);
    expect(await row('conv2').getAttribute('class')).toContain('first');
    expect(await row('conv2').getAttribute('data-status')).toBe('diverged');
    expect(Number(await row('conv2').locator('[data-ratio]').textContent())).toBeGreaterThan(1);
    expect(await row('conv1').getAttribute('data-status')).toBe('ok');
    // The first divergence is selected: the inspector shows it.
    await expect.poll(() => wb.page.getByTestId('layer-details').textContent()).toContain('conv2');
    await wb.shot('compare-lenet-corrupted-dump');
    await wb.page.getByRole('tab', { name: 'Graph' }).click();
    const conv2Box = wb.page.getByTestId('graph').locator('.node:has([data-layer="conv2"])');
    await expect.poll(() => conv2Box.getAttribute('data-heat')).toBe('first');
    expect(await wb.page.getByTestId('graph').locator('.node:has([data-layer="conv1"])').getAttribute('data-heat')).toBe('ok');
    await expect.poll(() => wb.page.getByTestId('heat-legend').textContent()).toMatch(/first divergence at conv2/);
    await wb.shot('compare-heat-map');
    expect(wb.problems).toEqual([]);
  });
});
