/**
 * Electron's fuses for a packaged Portafilter: bits in the Electron binary, flipped at packaging time
 * before signing, that switch off what a signed app must not offer (running as plain Node, Node's
 * inspector and NODE_OPTIONS, loading app code from anywhere but the verified app.asar). Used by
 * `npm run package` (bin/package-electron.js); the running app never imports this.
 */
import path from 'node:path';
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire, type FuseV1Config } from '@electron/fuses';

/** The fuse wire's byte per state (Electron's docs/tutorial/fuses.md): '0', '1', and 'r' for a fuse Electron removed. */
const DISABLED = 0x30;
const ENABLED = 0x31;
const REMOVED = 0x72;

/** Every fuse Portafilter sets, and how. A fuse left out keeps Electron's default. */
export const ELECTRON_FUSES = {
  version: FuseVersion.V1,
  // ELECTRON_RUN_AS_NODE would make the signed binary a plain Node that runs any script it is given.
  // The app forks nothing: heavy work runs in a worker thread.
  [FuseV1Options.RunAsNode]: false,
  // Chromium's cookie store on disk encrypted with the OS keychain, as Chrome does.
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS=--require=… would inject code into the main process.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  // --inspect, --inspect-brk and SIGUSR1 would open a debugger on the main process.
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // app.asar is checked against the hash the packager embeds (Info.plist on macOS, a resource on
  // Windows); Electron does not check on Linux, where the fuse has no effect.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // No fallback to an unchecked resources/app folder next to the asar.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // The renderer is served from portafilter://, never file://, so file: needs no extra powers.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
} as const satisfies FuseV1Config;

type FuseKey = Exclude<keyof typeof ELECTRON_FUSES, 'version'>;
const FUSE_KEYS = Object.keys(ELECTRON_FUSES)
  .filter((k) => k !== 'version')
  .map((k) => Number(k) as FuseKey);

const describeState = (byte: unknown): string =>
  byte === ENABLED ? 'on' : byte === DISABLED ? 'off' : byte === REMOVED ? 'removed from this Electron' : byte === undefined ? 'absent from the wire' : `byte ${String(byte)}`;

/** What a wire read back from a binary has other than ELECTRON_FUSES asks, in words; empty when all is as asked. */
export function fuseMismatches(wire: Readonly<Record<number, unknown>>, config: typeof ELECTRON_FUSES = ELECTRON_FUSES): string[] {
  return FUSE_KEYS.filter((key) => wire[key] !== (config[key] ? ENABLED : DISABLED)).map(
    (key) => `${FuseV1Options[key]} is ${describeState(wire[key])}, not ${config[key] ? 'on' : 'off'}`,
  );
}

/**
 * The Electron binary as @electron/packager's afterCopy hook finds it: `buildPath` is the app folder
 * inside the bundle (…/resources/app, or …/Electron.app/Contents/Resources/app), and the binary
 * still has Electron's own name, since the packager renames it later.
 */
export function electronBinaryAfterCopy(buildPath: string, platform: string): string {
  const base = path.resolve(buildPath, '..', '..');
  if (platform === 'darwin' || platform === 'mas') return path.join(base, 'MacOS', 'Electron');
  return path.join(base, platform === 'win32' ? 'electron.exe' : 'electron');
}

/** Flips ELECTRON_FUSES on the binary of a bundle being packaged, then reads them back: packaging stops unless every one took. */
export async function flipPackagedFuses(buildPath: string, platform: string, arch: string): Promise<string> {
  const binary = electronBinaryAfterCopy(buildPath, platform);
  // Flipping bytes breaks the ad-hoc signature that arm64 macOS requires to run at all; it is redone.
  const resetAdHocDarwinSignature = (platform === 'darwin' || platform === 'mas') && arch === 'arm64';
  const before = (await getCurrentFuseWire(binary)) as unknown as Record<number, unknown>;
  // A fuse Electron removed still takes the byte (@electron/fuses only warns) but no longer does
  // anything, so it is caught before the flip, while the wire still says 'r'.
  const removed = FUSE_KEYS.filter((key) => before[key] === REMOVED);
  if (removed.length > 0) {
    throw new Error(`${binary} no longer has the fuses ${removed.map((k) => FuseV1Options[k]).join(', ')}: review src/main/electron/fuses.ts for this Electron`);
  }
  await flipFuses(binary, { ...ELECTRON_FUSES, resetAdHocDarwinSignature });
  const mismatches = fuseMismatches((await getCurrentFuseWire(binary)) as unknown as Record<number, unknown>);
  if (mismatches.length > 0) throw new Error(`the fuses of ${binary} are not as src/main/electron/fuses.ts sets them: ${mismatches.join('; ')}`);
  return binary;
}
