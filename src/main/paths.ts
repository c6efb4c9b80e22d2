import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep as nativeSep } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The folder holding Portafilter's package.json. Found by walking up from this module because the
 * same code runs from src/ (tests, CLI via tsx), from out/ (electron-vite bundle) and from an asar.
 */
export function appRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'portafilter') {
      return (root = dir);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`Portafilter's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const protoPath = (name: string): string => join(appRoot(), 'proto', name);
export const resourcePath = (...parts: string[]): string => join(appRoot(), 'resources', ...parts);

let version: string | undefined;

/** Portafilter's version (package.json), e.g. for the `convertedBy` of an export. */
export function appVersion(): string {
  return (version ??= (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version);
}

/** Whether `path` is `folder` or lies under it, both in the same normal form (compared as strings: no `..` tricks are judged here). */
export const isInside = (path: string, folder: string, sep: string = nativeSep): boolean =>
  path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
