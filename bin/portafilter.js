#!/usr/bin/env node
// The `portafilter` command. It runs the TypeScript sources directly through tsx, so a checkout
// works without a build step; the CLI's own code lives in src/main/cli/.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Named explicitly: tsx would otherwise look for a tsconfig in the caller's working directory.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });

const { main } = await import('../src/main/cli/index.ts');
process.exitCode = await main(process.argv);
