/**
 * How `npm run package` bundles the app with @electron/packager (bin/package-electron.js runs it
 * after `electron-vite build`): what goes into app.asar, what stays unpacked beside it, and the
 * hook that flips the fuses on the binary before the packager signs it.
 */
import type { HookFunction, Options } from '@electron/packager';
import { flipPackagedFuses } from './fuses.js';

/**
 * What the packaged app runs from, by top-level name; everything else in the checkout (sources,
 * tests, fixtures, the CLI bundle, local files) stays out. node_modules is pruned to the production
 * dependencies by the packager.
 */
export const PACKAGED_TOP_LEVEL = ['package.json', 'out', 'proto', 'resources', 'node_modules', 'README.md'] as const;
/** The electron-vite build; out/cli is the command line's, which the app does not load. */
export const PACKAGED_OUT = ['main', 'preload', 'renderer'] as const;

const alternatives = (names: readonly string[]): string => names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

/** Packager `ignore` patterns, matched against paths relative to the app folder with a leading '/'. */
export const PACKAGE_IGNORE: readonly RegExp[] = [
  new RegExp(`^/(?!(?:${alternatives(PACKAGED_TOP_LEVEL)})(?:/|$))`),
  new RegExp(`^/out/(?!(?:${alternatives(PACKAGED_OUT)})(?:/|$))`),
];

/**
 * Native addons and the shared libraries they load cannot be loaded from inside an asar, and the
 * bundled demo and proto files are opened with file handles by the readers: these stay as real
 * files in app.asar.unpacked, which Electron redirects app.asar paths to.
 */
export const ASAR_UNPACK = '**/*.{node,dll,dylib,so,so.*}';
export const ASAR_UNPACK_DIR = '{resources,proto}';

/** The packager's afterCopy hook: the bundle exists, the binary is not yet renamed or signed. */
export const fuseHook: HookFunction = (buildPath, _electronVersion, platform, arch, callback) => {
  flipPackagedFuses(buildPath, platform, arch).then(
    () => callback(),
    (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
  );
};

export interface PackageTarget {
  /** The checkout (package.json's folder), built with `electron-vite build`. */
  dir: string;
  /** Where the bundles go. */
  out: string;
  platform?: Options['platform'];
  arch?: Options['arch'];
  /** A folder holding the Electron release zip, used instead of downloading it. */
  electronZipDir?: string;
}

export function packagerOptions(target: PackageTarget): Options {
  const options: Options = {
    dir: target.dir,
    out: target.out,
    name: 'Portafilter',
    executableName: 'portafilter',
    overwrite: true,
    prune: true,
    // OnlyLoadAppFromAsar and asar integrity need the app in an asar.
    asar: { unpack: ASAR_UNPACK, unpackDir: ASAR_UNPACK_DIR },
    ignore: [...PACKAGE_IGNORE],
    afterCopy: [fuseHook],
  };
  if (target.platform) options.platform = target.platform;
  if (target.arch) options.arch = target.arch;
  if (target.electronZipDir) options.electronZipDir = target.electronZipDir;
  return options;
}
