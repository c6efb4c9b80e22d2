/**
 * Where the window loads the renderer from. Only `electron-vite dev` serves it over HTTP with hot
 * reload, naming the server in ELECTRON_RENDERER_URL; every other start (`npm start` runs an
 * unpackaged but built app, a packaged app) loads the built files from the app scheme, whatever the
 * environment says, because a page from that URL gets the whole bridge.
 */

/** Hosts `electron-vite dev` serves on; a dev server elsewhere would hand the bridge to another machine. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * `isDev` must be a build-time fact, `import.meta.env.DEV` as Vite compiles it (true only in
 * `electron-vite dev`), never something the environment or the packaging state decides.
 */
export function devServerUrl(isDev: boolean, fromEnv: string | undefined): string | undefined {
  if (!isDev || fromEnv === undefined || fromEnv === '') return undefined;
  let url: URL;
  try {
    url = new URL(fromEnv);
  } catch {
    throw new Error(`ELECTRON_RENDERER_URL is not a URL: ${JSON.stringify(fromEnv)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(`ELECTRON_RENDERER_URL must be electron-vite's dev server on this machine (http://localhost:…), not ${JSON.stringify(fromEnv)}`);
  }
  return url.toString();
}

/**
 * `import.meta.env.DEV` where Vite compiled this code; false under tsx, where `import.meta.env` does
 * not exist. (Vitest does define it, with DEV true, but tests never load the Electron entry.)
 */
export function builtForDev(env: { DEV?: unknown } | undefined): boolean {
  return env?.DEV === true;
}
