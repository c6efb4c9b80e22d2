import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const at = (...parts: string[]): string => resolve(root, ...parts);

// electron-vite picks its Node and Chrome build targets from the installed electron package. Where
// that optional dependency failed to install (no binary download), fall back to the major version
// package.json asks for, so `npm run build` still works and still targets the right runtime.
if (!process.env.ELECTRON_MAJOR_VER) {
  try {
    createRequire(import.meta.url).resolve('electron/package.json');
  } catch {
    const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    const major = /\d+/.exec(pkg.devDependencies?.electron ?? '')?.[0];
    if (major) process.env.ELECTRON_MAJOR_VER = major;
  }
}

// Paths are absolute so the build also works when started from another folder (the CLI's `serve`).
export default defineConfig({
  main: {
    build: {
      outDir: at('out/main'),
      // Node builtins and 'electron' are external by electron-vite's preset; this keeps every
      // dependency external too, loaded from node_modules at run time rather than bundled.
      externalizeDeps: true,
      // The service runs in a worker thread (src/main/service/worker-client.ts finds it next to index.js).
      lib: { entry: { index: at('src/main/electron/index.ts'), 'service-worker': at('src/main/service/worker.ts') } },
    },
  },
  preload: {
    build: {
      outDir: at('out/preload'),
      // A sandboxed preload cannot `require` from node_modules: everything it uses is bundled.
      externalizeDeps: false,
      lib: { entry: at('src/preload/index.ts') },
      rolldownOptions: {
        // Sandboxed preloads run as classic scripts, never as ES modules; .cjs says so even
        // inside this "type": "module" package.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: at('src/renderer'),
    plugins: [vue()],
    build: {
      outDir: at('out/renderer'),
      rolldownOptions: { input: at('src/renderer/index.html') },
    },
  },
});
