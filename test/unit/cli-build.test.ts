/**
 * The command line is plain JavaScript built from the sources (bin/cli-build.js): a checkout that was
 * never built runs it, a changed source rebuilds it, an unchanged one reuses the build; and what a
 * command loads before it runs is only what it needs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** A checkout in miniature: the files the CLI is built from, and the repository's node_modules. */
function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portafilter-checkout-'));
  for (const part of ['bin', 'src/main', 'src/shared', 'proto', 'resources', 'package.json', 'tsconfig.json']) cpSync(join(repo, part), join(dir, part), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const manifest = (root: string): { build: string; inputs: Record<string, string> } => JSON.parse(readFileSync(join(root, 'out/cli/current.json'), 'utf8'));

describe('the command line built from the sources', () => {
  const checkout = freshCheckout();
  afterAll(() => rmSync(checkout, { recursive: true, force: true }));
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(checkout, 'bin/portafilter.js'), ...args], { encoding: 'utf8', timeout: 120_000 });

  it('runs in a checkout that was never built, building out/cli first', () => {
    expect(existsSync(join(checkout, 'out'))).toBe(false);
    const r = cli('inspect', fixture('models/lenet_mnist/deploy.prototxt'), '--json');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout).layers).toHaveLength(9);
    const { build, inputs } = manifest(checkout);
    expect(existsSync(join(checkout, 'out/cli', build, 'index.js'))).toBe(true);
    expect(Object.keys(inputs)).toEqual(expect.arrayContaining(['src/main/cli/index.ts', 'src/main/cli/inspect.ts', 'src/main/caffe/caffemodel.ts']));
  });

  it('reuses the build while no source changes, and rebuilds after one does', () => {
    const before = manifest(checkout).build;
    expect(cli('--help').status).toBe(0);
    expect(manifest(checkout).build).toBe(before);
    const source = join(checkout, 'src/main/net/shapes.ts');
    const later = new Date(Date.now() + 5_000);
    utimesSync(source, later, later);
    const r = cli('--help');
    expect(r.status).toBe(0);
    const after = manifest(checkout).build;
    expect(after).not.toBe(before);
    expect(readdirSync(join(checkout, 'out/cli')).filter((n) => n.startsWith('build-'))).toEqual(expect.arrayContaining([before, after]));
  });

  it('loads only commander for --help, and no engine, exporter or image library for inspect', () => {
    const dir = join(checkout, 'out/cli', manifest(checkout).build);
    /** The packages a chunk imports statically, with those of the chunks it imports statically. */
    const packages = (file: string, seen = new Set<string>()): Set<string> => {
      const out = new Set<string>();
      if (seen.has(file)) return out;
      seen.add(file);
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/^import\s(?:[^;]*?\sfrom\s*)?"([^"]+)";/gms)) {
        if (m[1].startsWith('./')) for (const p of packages(m[1].slice(2), seen)) out.add(p);
        else out.add(m[1]);
      }
      return out;
    };
    const notBuiltin = (names: Set<string>) => [...names].filter((n) => !n.startsWith('node:')).sort();
    expect(notBuiltin(packages('index.js'))).toEqual(['commander']);
    const inspectChunk = /import\("\.\/(inspect-[A-Z0-9]+\.js)"\)/.exec(readFileSync(join(dir, 'index.js'), 'utf8'))?.[1];
    expect(inspectChunk).toBeDefined();
    expect(notBuiltin(packages(inspectChunk!))).toEqual(['protobufjs']);
  });

  it("builds the service worker that `serve` starts, and it answers the API's calls", () => {
    const worker = join(checkout, 'out/cli', manifest(checkout).build, 'service-worker.js');
    const prototxt = fixture('models/lenet_mnist/deploy.prototxt');
    const script = `
      const { Worker } = await import('node:worker_threads');
      const w = new Worker(${JSON.stringify(worker)}, { execArgv: [] });
      const replies = [];
      w.on('message', (m) => {
        if (m.type === 'progress') return;
        replies.push(m);
        if (replies.length === 1) w.postMessage({ type: 'call', id: 2, method: 'openModel', request: { prototxt: ${JSON.stringify(prototxt)} } });
        else { process.stdout.write(JSON.stringify(replies)); w.terminate(); }
      });
      w.postMessage({ type: 'call', id: 1, method: 'version', request: {} });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const [version, opened] = JSON.parse(r.stdout) as [{ type: string; result: { version: string } }, { type: string; result: { layers: unknown[] } }];
    expect(version.type).toBe('result');
    expect(version.result.version).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
    expect([opened.type, opened.result.layers.length]).toEqual(['result', 9]);
  });
});
