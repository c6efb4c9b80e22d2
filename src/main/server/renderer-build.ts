/**
 * Builds the renderer on demand for the web host (`portafilter serve`, the end-to-end tests), so a
 * fresh clone works without a separate `npm run build`. Uses electron-vite's own resolved renderer
 * config, so the page served here is byte-for-byte the page the Electron window loads.
 * Needs the dev dependencies (vite, electron-vite); it runs from a source checkout only.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appRoot } from '../paths.js';

export const rendererOutDir = (): string => join(appRoot(), 'out', 'renderer');

/** What the renderer bundle is made from: its own sources, the shared code it imports, its config. */
const rendererInputs = (): string[] => {
  const root = appRoot();
  return [join(root, 'src', 'renderer'), join(root, 'src', 'shared'), join(root, 'electron.vite.config.ts')];
};

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** True when out/renderer is missing or older than anything it is built from. */
export async function rendererIsStale(): Promise<boolean> {
  const built = await stat(join(rendererOutDir(), 'index.html')).catch(() => undefined);
  if (!built) return true;
  const sources = await Promise.all(rendererInputs().map(newestMtime));
  return Math.max(...sources) > built.mtimeMs;
}

export interface EnsureBuiltOptions {
  force?: boolean;
  /** Told before a build starts (builds take seconds; say why the wait). */
  onBuild?: (reason: string) => void;
  logLevel?: 'info' | 'warn' | 'error' | 'silent';
}

/** Returns the renderer's output folder, building it first when it is missing or stale. */
export async function ensureRendererBuilt(options: EnsureBuiltOptions = {}): Promise<string> {
  const outDir = rendererOutDir();
  if (!options.force && !(await rendererIsStale())) return outDir;
  options.onBuild?.(options.force ? 'rebuild requested' : 'out/renderer is missing or older than src/renderer');
  // electron-vite's presets read these from the environment (as `electron-vite build` sets them);
  // restored afterwards so the calling process (a CLI, a test runner) keeps its own mode.
  const saved = { NODE_ENV: process.env.NODE_ENV, NODE_ENV_ELECTRON_VITE: process.env.NODE_ENV_ELECTRON_VITE };
  process.env.NODE_ENV_ELECTRON_VITE = 'production';
  try {
    const [{ resolveConfig }, { build }] = await Promise.all([import('electron-vite'), import('vite')]);
    const resolved = await resolveConfig({ root: appRoot(), logLevel: options.logLevel ?? 'warn' }, 'build', 'production');
    const renderer = resolved.config?.renderer;
    if (!renderer) throw new Error(`no renderer config in ${resolved.configFile ?? 'electron.vite.config.ts'}`);
    await build(renderer);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return outDir;
}
