/**
 * Exporting from the workbench end to end: the real service behind the web host, the built renderer
 * in Debian's Chromium, files checked on disk.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_MARKER } from '../../src/main/export/atomic.js';
import { resourcePath } from '../../src/main/paths.js';
import { useWorkbenchPage } from './workbench-page.js';

/** LeNet's learnable layers, each with its weights and its bias. */
const LENET_NPY = ['conv1', 'conv2', 'ip1', 'ip2'].flatMap((layer) => [`W_${layer}.npy`, `b_${layer}.npy`]);

const wb = useWorkbenchPage({ scratchPrefix: 'portafilter-e2e-export-', viewport: { width: 1400, height: 900 } });
/** The output folder of the current test: fresh each time, the checks list all it holds. */
let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(wb.scratch, 'test-'));
});

const panel = () => wb.page.getByTestId('export-panel');
const output = () => panel().getByRole('textbox', { name: /^Output (file|folder)$/ });
const result = () => wb.page.getByTestId('export-result');
/** The full paths the result lists. */
const listed = () => result().locator('[data-path]').evaluateAll((items) => items.map((li) => li.getAttribute('data-path')));

async function openExportPanel(): Promise<void> {
  await wb.page.goto(wb.server.url);
  await wb.page.getByRole('button', { name: 'Open demo model' }).click();
  // The graph is the view a model opens in: wait for the model itself, not the (hidden) table.
  await wb.page.getByTestId('model-name').waitFor();
  await wb.page.getByRole('button', { name: 'Export…' }).click();
  await panel().waitFor();
}

async function exportTo(format: string, out: string): Promise<void> {
  await panel().getByRole('combobox', { name: 'Format' }).selectOption(format);
  await output().fill(out);
  await panel().getByRole('button', { name: 'Export', exact: true }).click();
}

describe('exporting from the workbench', () => {
  it('exports the demo model to ONNX and to a .npy weights folder, and lists what it wrote', async () => {
    await openExportPanel();
    const demoDir = resourcePath('demo', 'lenet_mnist');
    // Prefilled next to the prototxt, named after the model; the ending follows the format.
    expect(await output().inputValue()).toBe(join(demoDir, 'LeNet.keras'));
    await panel().getByRole('combobox', { name: 'Format' }).selectOption('onnx');
    expect(await output().inputValue()).toBe(join(demoDir, 'LeNet.onnx'));

    const onnx = join(scratch, 'LeNet.onnx');
    await exportTo('onnx', onnx);
    await result().waitFor();
    expect(await result().textContent()).toContain('Wrote ONNX · 1 file');
    expect(await listed()).toEqual([onnx]);
    expect(readFileSync(onnx).length).toBeGreaterThan(400_000 * 4);

    await panel().getByRole('combobox', { name: 'Format' }).selectOption('npy');
    // A path of the user's own that ends like a default follows the format too.
    expect(await output().inputValue()).toBe(join(scratch, 'LeNet_npy'));
    await panel().getByRole('button', { name: 'Export', exact: true }).click();
    await result().getByText('.npy weights').waitFor();
    const folder = join(scratch, 'LeNet_npy');
    expect(readdirSync(folder).sort()).toEqual([EXPORT_MARKER, ...LENET_NPY].sort());
    expect((await listed()).sort()).toEqual(LENET_NPY.map((f) => join(folder, f)).sort());
    expect(await result().textContent()).toContain('Wrote .npy weights · 8 files');
    // Nothing else was written beside them (no temporaries left).
    expect(readdirSync(scratch).sort()).toEqual(['LeNet.onnx', 'LeNet_npy']);
    expect(await wb.page.getByTestId('error').count()).toBe(0);
    expect(wb.problems).toEqual([]);
  });

  it("verifies every format on the Run view's digit: the files loaded back agree with the reference, and say so beside the export", async () => {
    await openExportPanel();
    // The Run view's input is what an export is verified on.
    await wb.page.getByRole('tab', { name: 'Run' }).click();
    await wb.page.getByTestId('run-view').getByRole('button', { name: 'digit_3', exact: true }).click();
    expect(await panel().getByRole('checkbox', { name: 'Verify' }).isChecked()).toBe(true);
    const verification = () => wb.page.getByTestId('export-verification');
    const cases: [format: string, out: string, first: string, consumer: RegExp][] = [
      ['keras', join(scratch, 'LeNet.keras'), join(scratch, 'LeNet.keras'), /loaded back with the file's config and weights rebuilt on TF\.js 4\.\d+\.\d+ on tfjs /],
      ['h5', join(scratch, 'LeNet.h5'), join(scratch, 'LeNet.h5'), /loaded back with the file's config and weights rebuilt on TF\.js/],
      ['tfjs', join(scratch, 'LeNet_tfjs'), join(scratch, 'LeNet_tfjs', 'model.json'), /loaded back with TF\.js 4\.\d+\.\d+ tf\.loadLayersModel on tfjs /],
      ['onnx', join(scratch, 'LeNet.onnx'), join(scratch, 'LeNet.onnx'), /loaded back with onnxruntime-node \d+\.\d+\.\d+ InferenceSession/],
      ['npy', join(scratch, 'LeNet_npy'), join(scratch, 'LeNet_npy', 'W_conv1.npy'), /loaded back with the reference executor, with the weights read back from the \.npy folder/],
    ];
    for (const [format, out, first, consumer] of cases) {
      await exportTo(format, out);
      await expect.poll(() => listed().then((files) => files[0] ?? ''), { timeout: 60_000 }).toBe(first);
      await verification().waitFor();
      const text = (await verification().textContent()) ?? '';
      expect(text, format).toMatch(consumer);
      expect(text, format).toContain('run on digit_3.png, preprocessed');
      expect(await verification().getAttribute('data-ok'), `${format}: ${text}`).toBe('true');
      expect(await verification().locator('[data-blob="prob"]').textContent(), format).toMatch(/^prob 1×10: max \|Δ\| .*× the tolerance, top-1 3 = reference$/);
      if (format === 'tfjs') await wb.shot('export-verified');
    }
    expect(await wb.page.getByTestId('error').count()).toBe(0);
    expect(wb.problems).toEqual([]);
  });

  it('offers the kernel flip only for channels_first Keras files, and the mean file only for .npy', async () => {
    await openExportPanel();
    const flip = panel().getByRole('checkbox', { name: 'Flip kernels 180°' });
    const mean = panel().getByRole('textbox', { name: 'Mean file' });
    expect(await flip.isDisabled()).toBe(true);
    await panel().getByRole('radio', { name: /channels_first/ }).check();
    expect(await flip.isEnabled()).toBe(true);
    await panel().getByRole('combobox', { name: 'Format' }).selectOption('onnx');
    expect(await flip.isDisabled()).toBe(true);
    expect(await flip.locator('xpath=..').getAttribute('title')).toMatch(/cross-correlation/);
    expect(await mean.count()).toBe(0);
    await panel().getByRole('combobox', { name: 'Format' }).selectOption('npy');
    expect(await mean.count()).toBe(1);
    expect(await panel().getByRole('radio', { name: /channels_last/ }).isDisabled()).toBe(true);
  });

  it('asks before replacing an earlier export, and replaces it only on a yes', async () => {
    await openExportPanel();
    const onnx = join(scratch, 'LeNet.onnx');
    await exportTo('onnx', onnx);
    await result().waitFor();
    const first = statSync(onnx).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));

    await panel().getByRole('button', { name: 'Export', exact: true }).click();
    const confirm = wb.page.getByTestId('export-confirm-replace');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(`${onnx} already exists. Replace it with this export?`);
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(statSync(onnx).mtimeMs).toBe(first);

    await panel().getByRole('button', { name: 'Export', exact: true }).click();
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Replace' }).click();
    await result().waitFor();
    expect(statSync(onnx).mtimeMs).toBeGreaterThan(first);
    expect(readdirSync(scratch)).toEqual(['LeNet.onnx']);
    expect(await wb.page.getByTestId('error').count()).toBe(0);
    expect(wb.problems).toEqual([]);
  });

  it('refuses a folder of files it did not write, offering no replace, and leaves it as it was', async () => {
    const mine = join(scratch, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'thesis.txt'), 'years of work');
    await openExportPanel();
    await exportTo('npy', mine);
    const error = wb.page.getByTestId('error');
    await error.waitFor();
    expect(await error.textContent()).toContain(`${mine}: holds files Portafilter did not write`);
    expect(await wb.page.getByTestId('export-confirm-replace').count()).toBe(0);
    expect(readdirSync(mine)).toEqual(['thesis.txt']);
    expect(wb.problems).toEqual([]);
  });

  it('shows the error of an output whose parent is a file, and leaves nothing behind', async () => {
    const blocker = join(scratch, 'not-a-folder');
    writeFileSync(blocker, 'a file');
    await openExportPanel();
    for (const [format, out] of [
      ['onnx', join(blocker, 'LeNet.onnx')],
      ['npy', join(blocker, 'LeNet_npy')],
    ]) {
      await exportTo(format, out);
      const error = wb.page.getByTestId('error');
      await error.waitFor();
      const text = (await error.textContent()) ?? '';
      expect(text).toContain(`${out}: cannot write here: ${blocker} is a file, not a folder`);
      expect(await result().count()).toBe(0);
      await error.getByRole('button', { name: 'Dismiss the error' }).click();
    }
    expect(readdirSync(scratch)).toEqual(['not-a-folder']);
    expect(readFileSync(blocker, 'utf8')).toBe('a file');
    expect(existsSync(join(blocker, 'LeNet.onnx'))).toBe(false);
    expect(wb.problems).toEqual([]);
  });
});
