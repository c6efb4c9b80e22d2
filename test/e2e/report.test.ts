/**
 * The equivalence report end to end (web host, built renderer, Debian's Chromium, no mocks): the demo
 * LeNet's report over the fixture's three drawn digits, written from the Compare view's Report… panel,
 * then opened from disk in Chromium as a reviewer would, its plot drawn.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeLaunchQuery } from '../../src/shared/launch.js';
import { fixture } from '../helpers/fixtures.js';
import { SCREENSHOTS, useWorkbenchPage } from './workbench-page.js';

const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-e2e-report-', viewport: { width: 1500, height: 980 } });
const view = () => wb.page.locator('#view-compare');

describe('the equivalence report', () => {
  it('is written from the Compare view over three digits and reads offline in Chromium, its plot drawn', async () => {
    const images = join(wb.scratch, 'digits');
    mkdirSync(images);
    for (const d of ['digit_0', 'digit_3', 'digit_7']) copyFileSync(fixture('models', 'lenet_mnist', `${d}.png`), join(images, `${d}.png`));
    const out = join(wb.scratch, 'lenet-report.html');

    const url = new URL(wb.server.url);
    writeLaunchQuery({ kind: 'demo' }, url.searchParams);
    await wb.page.goto(url.toString());
    await wb.page.getByTestId('model-name').waitFor();
    // The demo's preprocessing (x/256) is in the Run view's fields: the report takes it from there.
    await wb.page.getByRole('tab', { name: 'Run' }).click();
    await expect.poll(() => wb.page.locator('#view-run input[name="inputScale"]').inputValue()).toBe('0.00390625');
    await wb.page.getByRole('tab', { name: 'Compare' }).click();
    await view().getByRole('button', { name: 'Report…' }).click();
    const panel = view().getByTestId('report-panel');
    await panel.getByRole('textbox', { name: 'Folder of inputs to report on' }).fill(images);
    await panel.getByRole('textbox', { name: 'Report file' }).fill(out);
    await panel.getByRole('button', { name: 'Write report' }).click();
    const result = panel.getByTestId('report-result');
    await expect.poll(() => result.textContent(), { timeout: 90_000 }).toMatch(/3 inputs: every layer within tolerance; top-1 agreement 100 % \(3 of 3\), top-5 100 % \(3 of 3\)/);
    expect(await result.getAttribute('data-path')).toBe(out);
    await wb.shot('report-panel');
    expect(wb.problems).toEqual([]);

    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<meta name="generator" content="portafilter report">');
    // Opened from disk, with every console error (a CSP violation is one) collected.
    const reader = await wb.context.newPage();
    const problems: string[] = [];
    reader.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    reader.on('pageerror', (e) => problems.push(e.message));
    reader.on('request', (r) => !r.url().startsWith('file:') && problems.push(`requested ${r.url()}`));
    await reader.goto(pathToFileURL(out).href);
    await expect.poll(() => reader.title()).toBe('Equivalence report: LeNet');
    const plot = reader.locator('svg.plot');
    await expect.poll(() => plot.count()).toBeGreaterThan(0);
    await plot.first().scrollIntoViewIfNeeded();
    expect(await plot.first().isVisible()).toBe(true);
    const box = await plot.first().boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(100);
    expect(await plot.first().locator('rect.bar').count()).toBeGreaterThan(2);
    expect(await reader.locator('tr[data-layer="conv2"]').getAttribute('data-status')).toBe('ok');
    await reader.screenshot({ path: join(SCREENSHOTS, 'report-lenet.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
