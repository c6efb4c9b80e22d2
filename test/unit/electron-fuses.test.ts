/**
 * The fuses `npm run package` flips on the packaged Electron binary, checked on synthetic binaries
 * laid out as Electron's fuse docs describe (sentinel, schema version, wire length, one byte per
 * fuse) and read back with @electron/fuses' own reader; and the packaging options around them.
 * No Electron release can be downloaded here: the packager runs on a small app with a synthetic
 * release zip (a stand-in binary carrying the fuse wire), which proves the options and the hook, not
 * that the real Electron starts.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { listPackage } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { packager } from '@electron/packager';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronBinaryAfterCopy, flipPackagedFuses, fuseMismatches } from '../../src/main/electron/fuses.js';
import { ASAR_UNPACK_DIR, PACKAGE_IGNORE, fuseHook, packagerOptions } from '../../src/main/electron/packaging.js';

/** Electron's docs/tutorial/fuses.md: the wire follows this exact string in the binary. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ON = 0x31;
const OFF = 0x30;
const REMOVED = 0x72;

/**
 * An unsigned Electron as shipped: RunAsNode, NODE_OPTIONS, --inspect and file: privileges on, the
 * rest off, and a ninth fuse this @electron/fuses does not know (newer Electrons have one).
 */
const STOCK_WIRE = [ON, OFF, ON, ON, OFF, OFF, OFF, ON, ON];

function syntheticBinary(wire: readonly number[] = STOCK_WIRE): Buffer {
  const before = Buffer.alloc(4096, 0x90);
  const after = Buffer.from('\0\0rest of the binary, which must stay as it was\0');
  return Buffer.concat([before, Buffer.from(SENTINEL, 'latin1'), Buffer.from([1, wire.length, ...wire]), after]);
}

const wireStart = 4096 + SENTINEL.length + 2;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'portafilter-fuses-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A bundle as @electron/packager has it at afterCopy: the app copied in, the binary not yet renamed. */
async function bundle(name: string, platform: string, wire?: readonly number[]): Promise<{ buildPath: string; binary: string }> {
  const base = join(root, name);
  const buildPath = platform === 'darwin' ? join(base, 'Electron.app', 'Contents', 'Resources', 'app') : join(base, 'resources', 'app');
  const binary =
    platform === 'darwin'
      ? join(base, 'Electron.app', 'Contents', 'Frameworks', 'Electron Framework.framework', 'Electron Framework')
      : join(base, platform === 'win32' ? 'electron.exe' : 'electron');
  await mkdir(buildPath, { recursive: true });
  await mkdir(dirname(binary), { recursive: true });
  await writeFile(binary, syntheticBinary(wire));
  return { buildPath, binary };
}

describe('flipping the fuses of a packaged binary', () => {
  it.each(['linux', 'win32', 'darwin'])('sets every configured fuse on %s and leaves the rest of the binary alone', async (platform) => {
    const { buildPath, binary } = await bundle(`ok-${platform}`, platform);
    const before = await readFile(binary);

    const flipped = await flipPackagedFuses(buildPath, platform, 'x64');
    // On macOS the wire lives in the framework; @electron/fuses finds it from the app's executable.
    expect(flipped).toBe(platform === 'darwin' ? join(root, 'ok-darwin', 'Electron.app', 'Contents', 'MacOS', 'Electron') : binary);

    const wire = (await getCurrentFuseWire(flipped)) as unknown as Record<number, number>;
    // The policy, read back from the bytes (not from ELECTRON_FUSES): running as Node, NODE_OPTIONS, --inspect
    // and file: privileges off; cookie encryption and asar-only loading with integrity on.
    expect(wire[FuseV1Options.RunAsNode]).toBe(OFF);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(ON);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(OFF);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(OFF);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(ON);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(ON);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(OFF);
    // Not configured: Electron's defaults stay.
    expect(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(OFF);
    expect(wire[8]).toBe(ON);

    const after = await readFile(binary);
    expect(after.length).toBe(before.length);
    const changed = [...after.keys()].filter((i) => after[i] !== before[i]);
    expect(changed.every((i) => i >= wireStart && i < wireStart + STOCK_WIRE.length)).toBe(true);
  });

  it('stops packaging when a fuse this Electron removed cannot be set, naming it', async () => {
    const removed = [...STOCK_WIRE];
    removed[FuseV1Options.RunAsNode] = REMOVED;
    const { buildPath } = await bundle('removed', 'linux', removed);
    await expect(flipPackagedFuses(buildPath, 'linux', 'x64')).rejects.toThrow(/no longer has the fuses RunAsNode: review src\/main\/electron\/fuses\.ts/);
  });

  it('stops packaging on an Electron whose wire is too short for the configuration', async () => {
    const { buildPath } = await bundle('short', 'linux', STOCK_WIRE.slice(0, 4));
    await expect(flipPackagedFuses(buildPath, 'linux', 'x64')).rejects.toThrow(/not long enough/);
  });

  it('reports every fuse that is not as configured', () => {
    const wire: Record<number, number> = Object.fromEntries(STOCK_WIRE.map((b, i) => [i, b]));
    expect(fuseMismatches(wire)).toEqual([
      'RunAsNode is on, not off',
      'EnableCookieEncryption is off, not on',
      'EnableNodeOptionsEnvironmentVariable is on, not off',
      'EnableNodeCliInspectArguments is on, not off',
      'EnableEmbeddedAsarIntegrityValidation is off, not on',
      'OnlyLoadAppFromAsar is off, not on',
      'GrantFileProtocolExtraPrivileges is on, not off',
    ]);
  });

  it('finds the binary where the packager has it at afterCopy', () => {
    expect(electronBinaryAfterCopy('/s/resources/app', 'linux')).toBe('/s/electron');
    expect(electronBinaryAfterCopy('/s/resources/app', 'win32')).toBe('/s/electron.exe');
    expect(electronBinaryAfterCopy('/s/Electron.app/Contents/Resources/app', 'darwin')).toBe('/s/Electron.app/Contents/MacOS/Electron');
    expect(electronBinaryAfterCopy('/s/Electron.app/Contents/Resources/app', 'mas')).toBe('/s/Electron.app/Contents/MacOS/Electron');
  });

  it('runs as the packager calls its hooks (callback style, through util.promisify)', async () => {
    const { buildPath, binary } = await bundle('hook', 'linux');
    const hook = promisify(fuseHook as (b: string, v: string, p: string, a: string, cb: (e?: Error | null) => void) => void);
    await hook(buildPath, '39.8.10', 'linux', 'x64');
    expect(fuseMismatches((await getCurrentFuseWire(binary)) as unknown as Record<number, number>)).toEqual([]);
    const bad = await bundle('hook-bad', 'linux', STOCK_WIRE.slice(0, 3));
    await expect(hook(bad.buildPath, '39.8.10', 'linux', 'x64')).rejects.toThrow(/not long enough/);
  });
});

describe('the packaging options', () => {
  const kept = (relative: string): boolean => !PACKAGE_IGNORE.some((re) => re.test(relative));

  it('bundle an asar with the fuse hook after the copy', () => {
    const options = packagerOptions({ dir: '/checkout', out: '/checkout/dist', platform: 'linux', arch: 'x64' });
    expect(options).toMatchObject({ dir: '/checkout', out: '/checkout/dist', platform: 'linux', arch: 'x64', prune: true, asar: { unpackDir: ASAR_UNPACK_DIR } });
    expect(options.afterCopy).toEqual([fuseHook]);
  });

  it('ship the built app, its resources and production modules, and nothing else of the checkout', () => {
    for (const path of [
      '/package.json',
      '/out',
      '/out/main/index.js',
      '/out/main/service-worker.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/proto/caffe.proto',
      '/resources/demo/lenet_mnist/deploy.prototxt',
      '/node_modules/zod/package.json',
    ]) {
      expect(kept(path), path).toBe(true);
    }
    for (const path of ['/src/main/electron/index.ts', '/test/fixtures', '/bench', '/bin/portafilter.js', '/out/cli/index.js', '/.env', '/.ci/run', '/electron.vite.config.ts', '/outside', '/package.json.bak', '/dist']) {
      expect(kept(path), path).toBe(false);
    }
  });
});

describe('packaging a small app with @electron/packager', () => {
  it('flips the fuses on the renamed binary and bundles only the app, with resources unpacked', async () => {
    const app = join(root, 'app');
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'portafilter', version: '0.1.0', main: './out/main/index.js' }),
      'out/main/index.js': '',
      'out/preload/index.cjs': '',
      'out/renderer/index.html': '',
      'out/cli/index.js': '',
      'proto/caffe.proto': '',
      'resources/demo/lenet_mnist/deploy.prototxt': '',
      'src/main/electron/index.ts': '',
      '.env': 'SECRET=1',
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(app, path)), { recursive: true });
      await writeFile(join(app, path), text);
    }
    const zips = join(root, 'zips');
    await mkdir(zips, { recursive: true });
    const unixExecutable = { os: 3, attrs: (0o100755 << 16) >>> 0 };
    await writeFile(
      join(zips, 'electron-v39.8.10-linux-x64.zip'),
      zipSync({
        electron: [new Uint8Array(syntheticBinary()), unixExecutable],
        'resources/default_app.asar': new TextEncoder().encode('default app'),
        LICENSE: new TextEncoder().encode('MIT'),
        version: new TextEncoder().encode('39.8.10'),
      }),
    );

    const options = packagerOptions({ dir: app, out: join(root, 'dist'), platform: 'linux', arch: 'x64', electronZipDir: zips });
    const [bundlePath] = await packager({ ...options, electronVersion: '39.8.10', quiet: true, tmpdir: join(root, 'staging') });

    expect(bundlePath).toBe(join(root, 'dist', 'Portafilter-linux-x64'));
    const wire = (await getCurrentFuseWire(join(bundlePath, 'portafilter'))) as unknown as Record<number, number>;
    expect(fuseMismatches(wire)).toEqual([]);
    const packed = listPackage(join(bundlePath, 'resources', 'app.asar'), { isPack: false }).map((p) => p.replaceAll('\\', '/'));
    expect(packed).toEqual(expect.arrayContaining(['/package.json', '/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/proto/caffe.proto']));
    expect(packed.filter((p) => /^\/(src|\.env|out\/cli)/.test(p))).toEqual([]);
    expect(await readFile(join(bundlePath, 'resources', 'app.asar.unpacked', 'resources', 'demo', 'lenet_mnist', 'deploy.prototxt'), 'utf8')).toBe('');
  });
});

describe('npm install', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
    allowScripts: Record<string, boolean>;
    devDependencies: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };

  it('runs no install script that package.json allowScripts has not decided on, and never the Electron download', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([where]) => where.replace(/^.*node_modules\//, ''));
    expect(withScripts.filter((name) => !Object.hasOwn(pkg.allowScripts, name))).toEqual([]);
    expect(pkg.allowScripts.electron).toBe(false);
  });

  it('gives `npm run package`, which builds first and packages with the official tools', () => {
    expect(pkg.scripts.package).toBe('electron-vite build && node bin/package-electron.js');
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['@electron/packager', '@electron/fuses']));
  });
});
