/**
 * Exports never destroy what they did not write and never leave half of themselves: the target is
 * replaced only when asked (and a folder only when it is an earlier export of the same format), the
 * model and its companions land together, leftovers of killed exports are cleaned up, and write
 * failures name the target and the cause.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_MARKER, isLeftOver, placeExport, sweepLeftovers } from '../../../src/main/export/atomic.js';
import { exportModel } from '../../../src/main/export/index.js';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';
import { fixture } from '../../helpers/fixtures.js';
import { tmpfs } from '../../helpers/mounts.js';

const work = mkdtempSync(join(tmpdir(), 'portafilter-atomic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const fresh = (tag: string): string => mkdtempSync(join(work, `${tag}-`));
const bin = new URL('../../../bin/portafilter.js', import.meta.url).pathname;
const lenetFiles = [fixture('models/lenet_mnist/deploy.prototxt'), fixture('models/lenet_mnist/weights.caffemodel')];
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

let lenet: CaffeNet;
beforeAll(async () => {
  lenet = await loadCaffeNet({ prototxt: lenetFiles[0], caffemodel: lenetFiles[1] });
});

/** A pid that is certainly not running: a child that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;
/** Everything below `dir`, as relative paths with their contents' size. */
const tree = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${join(e.parentPath, e.name).slice(dir.length + 1)}:${statSync(join(e.parentPath, e.name)).size}`)
    .sort();
const hidden = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('.portafilter-') || /\.\d+\.\d+\.(partial|old)$/.test(f));

describe('an export onto something that exists', () => {
  it('never touches a folder of files Portafilter did not write, even with --force (the reproduction)', () => {
    const d = join(fresh('thesis'), 'd');
    mkdirSync(join(d, 'sub'), { recursive: true });
    writeFileSync(join(d, 'thesis.txt'), 'x\n');
    writeFileSync(join(d, 'sub', 'a'), 'y\n');
    for (const force of [[], ['--force']]) {
      const r = cli('convert', ...lenetFiles, '--format', 'npy', '--out', d, ...force);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`portafilter: error: ${d}: holds files Portafilter did not write: an export never replaces them (choose a new folder, or empty this one yourself)\n`);
      expect(tree(d)).toEqual(['sub/a:2', 'thesis.txt:2']);
    }
  });

  it('replaces a file only with --force, and says so before doing any work', () => {
    const dir = fresh('file');
    const important = join(dir, 'important.txt');
    writeFileSync(important, 'do not lose me\n');
    const r = cli('convert', ...lenetFiles, '--format', 'onnx', '--out', important);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`portafilter: error: ${important}: exists (a file); replace it with --force, or choose another file\n`);
    expect(readFileSync(important, 'utf8')).toBe('do not lose me\n');
    const forced = cli('convert', ...lenetFiles, '--format', 'onnx', '--out', important, '--force');
    expect(forced.status).toBe(0);
    expect(statSync(important).size).toBeGreaterThan(1_000_000);
    expect(hidden(dir)).toEqual([]);
  });

  it('replaces a folder only when it holds an earlier export of the same format, and then only when forced', async () => {
    const out = join(fresh('npy'), 'lenet_npy');
    await exportModel(lenet, { format: 'npy', out, ordering: 'channels_last' });
    const marker = JSON.parse(readFileSync(join(out, EXPORT_MARKER), 'utf8'));
    expect(marker).toMatchObject({ writtenBy: 'Portafilter', format: 'npy' });
    await expect(exportModel(lenet, { format: 'npy', out, ordering: 'channels_last' })).rejects.toMatchObject({ details: { kind: 'exists' } });
    await expect(exportModel(lenet, { format: 'tfjs', out, ordering: 'channels_last', force: true })).rejects.toMatchObject({
      message: `${out}: holds an earlier Portafilter npy export, not tfjs: choose another folder`,
    });
    writeFileSync(join(out, 'W_conv1.npy'), 'changed by hand');
    const again = await exportModel(lenet, { format: 'npy', out, ordering: 'channels_last', force: true });
    expect(again.files).toContain(join(out, 'W_conv1.npy'));
    expect(statSync(join(out, 'W_conv1.npy')).size).toBe(128 + 20 * 25 * 4);
    expect(hidden(join(out, '..'))).toEqual([]);
  });

  it('writes into an empty folder without --force: there is nothing to lose', async () => {
    const out = join(fresh('empty'), 'new');
    mkdirSync(out);
    const result = await exportModel(lenet, { format: 'npy', out, ordering: 'channels_last' });
    expect(result.files).toHaveLength(8);
  });

  it('refuses an empty path, the current folder, the root and /proc, without spinning', () => {
    const empty = cli('convert', ...lenetFiles, '--format', 'onnx', '--out', '');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toMatch(/the output path is empty|--out/);
    const cwd = fresh('cwd');
    const here = spawnSync(process.execPath, [bin, 'convert', ...lenetFiles, '--format', 'npy', '--out', '.'], { cwd, encoding: 'utf8', timeout: 60_000 });
    expect(here.stderr).toBe(`portafilter: error: ${cwd}: is the current folder or one above it; name a new file or folder for the export\n`);
    const proc = cli('convert', ...lenetFiles, '--format', 'onnx', '--out', '/proc/nope/x.onnx');
    expect([proc.status, proc.signal]).toEqual([1, null]);
    expect(proc.stderr).toBe('portafilter: error: /proc/nope/x.onnx: cannot write here: /proc is in /proc, where no file can be written\n');
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('the model and its companions', () => {
  it('land together: a README and portafilter_layers.py beside the model, nothing hidden left', async () => {
    const folder = fresh('companions');
    const features = await loadCaffeNet({ prototxt: fixture('models/features_b/deploy.prototxt'), caffemodel: fixture('models/features_b/weights.caffemodel') });
    const out = join(folder, 'features.keras');
    const result = await exportModel(features, { format: 'keras', out, ordering: 'channels_last' });
    expect(result.files).toEqual([out, join(folder, 'portafilter_layers.py'), join(folder, 'README.md')]);
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'features.keras', 'portafilter_layers.py']);
  });

  it("gives a second model in the same folder its own README instead of replacing the first one's", async () => {
    const folder = fresh('two');
    await exportModel(lenet, { format: 'h5', out: join(folder, 'a.h5'), ordering: 'channels_last' });
    const second = await exportModel(lenet, { format: 'h5', out: join(folder, 'b.h5'), ordering: 'channels_last' });
    expect(second.files).toEqual([join(folder, 'b.h5'), join(folder, 'b.h5.README.md')]);
    expect(readFileSync(join(folder, 'README.md'), 'utf8')).toContain('# a.h5');
  });

  it('refuses to replace a portafilter_layers.py it did not write, and leaves it as it was', async () => {
    const folder = fresh('mine');
    writeFileSync(join(folder, 'portafilter_layers.py'), 'print("my own module")\n');
    const features = await loadCaffeNet({ prototxt: fixture('models/features_b/deploy.prototxt'), caffemodel: fixture('models/features_b/weights.caffemodel') });
    await expect(exportModel(features, { format: 'keras', out: join(folder, 'f.keras'), ordering: 'channels_last' })).rejects.toMatchObject({
      location: { file: join(folder, 'portafilter_layers.py') },
      details: { kind: 'foreign' },
    });
    expect(readdirSync(folder)).toEqual(['portafilter_layers.py']);
    expect(readFileSync(join(folder, 'portafilter_layers.py'), 'utf8')).toBe('print("my own module")\n');
  });
});

describe('temporaries and leftovers', () => {
  it('stages in a uniquely named folder and removes it when the writer fails, keeping its error', async () => {
    const folder = fresh('fails');
    const seen: string[] = [];
    const attempt = (n: number) =>
      placeExport({ out: join(folder, `m${n}.onnx`), kind: 'file', format: 'onnx' }, async (staging) => {
        seen.push(staging.dir);
        await new Promise((r) => setTimeout(r, 5));
        throw new Error('the writer broke');
      });
    const results = await Promise.allSettled([1, 2, 3, 4].map(attempt));
    expect(results.every((r) => r.status === 'rejected' && /cannot write: the writer broke/.test(String((r as PromiseRejectedResult).reason)))).toBe(true);
    expect(new Set(seen).size).toBe(4);
    for (const s of seen) expect(s).toMatch(new RegExp(`/\\.portafilter-m\\d\\.onnx\\.${process.pid}\\.[0-9a-f]{8}\\.partial$`));
    expect(readdirSync(folder)).toEqual([]);
  });

  it("removes what killed exports left beside the target, and says so; a live process's temporary stays", async () => {
    const folder = fresh('stale');
    const dead = deadPid();
    const partial = join(folder, `.portafilter-x.keras.${dead}.0badc0de.partial`);
    mkdirSync(partial);
    writeFileSync(join(partial, 'x.keras'), Buffer.alloc(3 << 20));
    const legacy = join(folder, `.x.onnx.${dead}.1796222791181.partial`);
    writeFileSync(legacy, Buffer.alloc(1000));
    const live = join(folder, `.portafilter-y.onnx.${process.ppid}.12345678.partial`);
    writeFileSync(live, 'still being written');
    const old = new Date(Date.now() - 60_000);
    for (const p of [partial, legacy]) utimesSync(p, old, old);
    const result = await exportModel(lenet, { format: 'onnx', out: join(folder, 'lenet.onnx'), ordering: 'channels_last' });
    expect(result.notes).toEqual(
      expect.arrayContaining([
        `removed .portafilter-x.keras.${dead}.0badc0de.partial (3.0 MiB), left by an export (pid ${dead}) that was killed`,
        `removed .x.onnx.${dead}.1796222791181.partial (1000 bytes), left by an export (pid ${dead}) that was killed`,
      ]),
    );
    expect(readdirSync(folder).sort()).toEqual([`.portafilter-y.onnx.${process.ppid}.12345678.partial`, 'lenet.onnx']);
  });

  it('tells a reused pid from the process that wrote the file', () => {
    expect(isLeftOver(deadPid(), Date.now())).toBe(true);
    expect(isLeftOver(process.pid, 0)).toBe(false);
    // pid 1 has run since boot: what it "wrote" a minute ago is its own; what it wrote before boot cannot be.
    expect(isLeftOver(1, Date.now() - 60_000)).toBe(false);
    expect(isLeftOver(1, 0)).toBe(true);
  });

  it('completes a file export killed between its moves, but only where the destination is as the journal found it', () => {
    const folder = fresh('commit');
    const dead = deadPid();
    const commit = join(folder, `.portafilter-m.keras.${dead}.abcdef01.commit`);
    mkdirSync(commit);
    writeFileSync(join(commit, 'm.keras'), 'the new model');
    writeFileSync(join(commit, 'keep.txt'), 'staged over a file the user changed since');
    writeFileSync(join(folder, 'README.md'), 'moved before the kill');
    writeFileSync(join(folder, 'keep.txt'), 'the user edited this after the journal was written');
    const journal = {
      target: join(folder, 'm.keras'),
      moves: [
        { name: 'README.md', dest: join(folder, 'README.md'), before: null },
        { name: 'keep.txt', dest: join(folder, 'keep.txt'), before: null },
        { name: 'm.keras', dest: join(folder, 'm.keras'), before: null },
      ],
    };
    writeFileSync(join(commit, 'journal.json'), JSON.stringify(journal));
    const notes = sweepLeftovers(folder);
    expect(notes).toEqual([
      `completed an export to ${join(folder, 'm.keras')} that was interrupted: moved ${join(folder, 'm.keras')} into place`,
      `left ${join(folder, 'keep.txt')} as they are: they changed after an interrupted export to ${join(folder, 'm.keras')} had chosen to replace them`,
    ]);
    expect(readFileSync(join(folder, 'm.keras'), 'utf8')).toBe('the new model');
    expect(readFileSync(join(folder, 'keep.txt'), 'utf8')).toBe('the user edited this after the journal was written');
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'keep.txt', 'm.keras']);
  });

  it('lets two processes replace the same folder many times over without a raw error or a leftover', async () => {
    const folder = fresh('race');
    const out = join(folder, 'shared');
    await exportModel(lenet, { format: 'npy', out, ordering: 'channels_last' });
    const script = `
      const { exportModel } = await import(${JSON.stringify(new URL('../../../src/main/export/index.ts', import.meta.url).pathname)});
      const { loadCaffeNet } = await import(${JSON.stringify(new URL('../../../src/main/net/model.ts', import.meta.url).pathname)});
      const net = await loadCaffeNet({ prototxt: ${JSON.stringify(lenetFiles[0])}, caffemodel: ${JSON.stringify(lenetFiles[1])} });
      let failed = [];
      for (let i = 0; i < 40; i++) {
        try { await exportModel(net, { format: 'npy', out: ${JSON.stringify(out)}, ordering: 'channels_last', force: true }); }
        catch (e) { failed.push(e.message); }
      }
      process.stdout.write(JSON.stringify(failed));`;
    const run = () =>
      new Promise<string[]>((done, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.on('data', (b: Buffer) => (text += b));
        child.on('close', (code) => (code === 0 ? done(JSON.parse(text) as string[]) : fail(new Error(`exit ${code}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect([...new Set([...a, ...b])]).toEqual([]);
    expect(readdirSync(folder)).toEqual(['shared']);
    expect(readdirSync(out).sort()).toEqual([EXPORT_MARKER, 'W_conv1.npy', 'W_conv2.npy', 'W_ip1.npy', 'W_ip2.npy', 'b_conv1.npy', 'b_conv2.npy', 'b_ip1.npy', 'b_ip2.npy'].sort());
  }, 180_000);
});

describe('write failures', () => {
  const readOnly = tmpfs({ readOnly: true });
  const full = tmpfs({ kib: 256 });
  afterAll(() => {
    readOnly.unmount();
    full.unmount();
  });

  it('say in one line that the file system is read-only, naming the target, for every format', () => {
    for (const [format, name] of [['onnx', 'm.onnx'], ['keras', 'm.keras'], ['h5', 'm.h5'], ['npy', 'm_npy'], ['tfjs', 'm_tfjs']]) {
      const out = join(readOnly.dir, name);
      const r = cli('convert', ...lenetFiles, '--format', format, '--out', out, '--json');
      expect(r.status, format).toBe(1);
      expect(r.stderr, format).toBe(`portafilter: error: ${out}: cannot write: the file system is read-only\n`);
    }
  });

  it('say in one line that no space is left, with no HDF5 diagnostics and nothing left behind', () => {
    for (const [format, name] of [['onnx', 'm.onnx'], ['keras', 'm.keras'], ['h5', 'm.h5'], ['npy', 'm_npy'], ['tfjs', 'm_tfjs']]) {
      const out = join(full.dir, name);
      const r = cli('convert', ...lenetFiles, '--format', format, '--out', out, '--json');
      expect(r.status, format).toBe(1);
      expect(r.stderr, format).toBe(`portafilter: error: ${out}: cannot write: no space is left on the device\n`);
      expect(readdirSync(full.dir), format).toEqual([]);
    }
  });
});

describe('an export killed at any moment', () => {
  it('leaves the previous export or the new one whole, and the next export cleans up after it', async () => {
    const folder = fresh('kill');
    const out = join(folder, 'lenet.keras');
    const first = cli('convert', ...lenetFiles, '--format', 'keras', '--out', out, '--ordering', 'channels_first');
    expect(first.status).toBe(0);
    const before = readFileSync(out);
    // Seeded kill points spread over the export's run time (its start-up, the writing, the moves).
    let seed = 20261202;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const outcomes = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const child = spawn(process.execPath, [bin, 'convert', ...lenetFiles, '--format', 'keras', '--out', out, '--ordering', 'channels_last', '--force'], { stdio: 'ignore' });
      const delay = 100 + random() * 1400;
      const ended = await new Promise<boolean>((done) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          done(false);
        }, delay);
        child.on('exit', (code) => {
          clearTimeout(timer);
          done(code === 0);
        });
      });
      await new Promise((r) => setTimeout(r, 50));
      const now = readFileSync(out);
      const whole = now.equals(before) ? 'old' : now.subarray(0, 2).toString() === 'PK' && now.length > 1_000_000 ? 'new' : 'broken';
      expect(whole, `kill ${i} after ${delay.toFixed(0)} ms`).not.toBe('broken');
      outcomes.add(ended ? 'finished' : `killed, ${whole}`);
      if (whole === 'new') {
        // Put the old one back, so the next kill can show which of the two survives.
        writeFileSync(out, before);
      }
    }
    const left = hidden(folder);
    const cleanup = await exportModel(lenet, { format: 'keras', out, ordering: 'channels_last', force: true });
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'lenet.keras']);
    // Each leftover of a killed export is named in the notes of the export that removed it.
    for (const name of left) expect(cleanup.notes.some((n) => n.includes(name)), name).toBe(true);
    expect([...outcomes].some((o) => o.startsWith('killed')), [...outcomes].join('; ')).toBe(true);
  }, 300_000);
});

describe('nothing half-written', () => {
  it('leaves no file behind a failed export', () => {
    const folder = fresh('half');
    expect(existsSync(folder)).toBe(true);
    const r = cli('convert', ...lenetFiles, '--format', 'onnx', '--out', join(folder, 'sub', 'deeper', 'm.onnx'), '--flip-kernels', '--ordering', 'channels_first');
    expect(r.status).toBe(1);
    expect(readdirSync(folder)).toEqual([]);
  });
});
