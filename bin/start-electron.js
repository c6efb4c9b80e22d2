#!/usr/bin/env node
// `npm start`: runs the built app (out/main/index.js, package.json "main") in Electron. npm installs
// the electron package without running its download script (package.json allowScripts), so installs
// work offline; the binary is fetched here on the first start instead. Where that is impossible, the
// same workbench runs in a browser through `portafilter serve`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../out/main/index.js', import.meta.url));

function electronBinary() {
  try {
    // The electron package's main export is the path of its binary; it throws when the download failed.
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the electron package's own install script, which downloads the binary for this platform. */
function downloadElectron() {
  let installer;
  try {
    installer = createRequire(import.meta.url).resolve('electron/install.js');
  } catch {
    return;
  }
  process.stderr.write('portafilter: downloading the Electron binary (first start only)…\n');
  spawnSync(process.execPath, [installer], { stdio: 'inherit' });
}

let binary = electronBinary();
if (!binary) {
  downloadElectron();
  binary = electronBinary();
}
if (!binary) {
  process.stderr.write(
    [
      'portafilter: the Electron binary is not installed and could not be downloaded here.',
      '  Where downloads work, run `npm start` again (or `node node_modules/electron/install.js`).',
      '  Or use the same workbench in your browser:   npx portafilter serve [model.prototxt [weights.caffemodel]]',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
if (!existsSync(entry)) {
  process.stderr.write('portafilter: out/main/index.js is missing; build first with `npm run build`.\n');
  process.exit(1);
}

// npm runs scripts in the package folder; INIT_CWD is where the user typed `npm start -- model.prototxt`,
// which is what a relative model path means.
const userCwd = process.env.INIT_CWD ?? process.cwd();
const args = process.argv.slice(2).map((a) => (a.startsWith('-') || isAbsolute(a) ? a : resolve(userCwd, a)));

// Electron gets the app folder, so package.json names the app and points it at out/main/index.js;
// the arguments after it become the model to open.
const child = spawn(binary, [root, ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
