#!/usr/bin/env node
// `npm run package [-- --platform=linux|darwin|win32|mas --arch=x64|arm64 --out=DIR --electron-zip-dir=DIR]`:
// bundles the built app (`electron-vite build`, which the npm script runs first) with @electron/packager
// into dist/, for this machine's platform and architecture unless told otherwise. The packager
// downloads the Electron release it bundles (the version of node_modules/electron) on first use, so
// this needs the network where npm install does not; --electron-zip-dir names a folder that already
// holds that release's zip (electron-vVERSION-PLATFORM-ARCH.zip). What goes in, and the fuses flipped
// on the binary before signing, are in src/main/electron/packaging.ts and fuses.ts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: { platform: { type: 'string' }, arch: { type: 'string' }, out: { type: 'string' }, 'electron-zip-dir': { type: 'string' } },
  strict: true,
});

for (const built of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
  if (!existsSync(join(root, built))) {
    process.stderr.write(`portafilter: ${built} is missing; run \`npm run package\`, which builds first (or \`npm run build\`).\n`);
    process.exit(1);
  }
}

const { packagerOptions } = await tsImport('../src/main/electron/packaging.ts', import.meta.url);
const { packager } = await import('@electron/packager');

const userPath = (p) => resolve(process.env.INIT_CWD ?? process.cwd(), p);
const out = values.out ? userPath(values.out) : join(root, 'dist');
const electronZipDir = values['electron-zip-dir'] ? userPath(values['electron-zip-dir']) : undefined;
try {
  const written = await packager(packagerOptions({ dir: root, out, platform: values.platform, arch: values.arch, electronZipDir }));
  for (const bundle of written) process.stdout.write(`${bundle}\n`);
} catch (e) {
  process.stderr.write(`portafilter: packaging failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
