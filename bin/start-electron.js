#!/usr/bin/env node
// `npm start`: runs the built app (out/main/index.js, package.json "main") in Electron when Electron
// is installed. Its binary is an optional download that fails on machines without internet access;
// there the same workbench runs in a browser through `portafilter serve`.
import { spawn } from 'node:child_process';
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

const binary = electronBinary();
if (!binary) {
  process.stderr.write(
    [
      'portafilter: Electron is not installed here (its binary is an optional download that did not happen).',
      '  Install it where downloads work:   npm install electron',
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
