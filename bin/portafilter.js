#!/usr/bin/env node
// The `portafilter` command: runs the CLI bundled as plain JavaScript in out/cli (bin/cli-build.js),
// building it first when a source changed since the last build. The CLI's own code lives in src/main/cli/.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCli, freshCliEntry } from './cli-build.js';

async function loadMain() {
  const entry = freshCliEntry();
  if (entry) return (await import(pathToFileURL(entry).href)).main;
  try {
    return (await import(pathToFileURL(await buildCli()).href)).main;
  } catch (e) {
    // out/ not writable (an install owned by another user): run the sources through tsx, slowly but right.
    process.stderr.write(`portafilter: note: cannot build the command line into out/cli (${e.message.split('\n')[0]}); running the TypeScript sources\n`);
    const { register } = await import('tsx/esm/api');
    register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
    return (await import('../src/main/cli/index.ts')).main;
  }
}

process.exitCode = await (await loadMain())(process.argv);
