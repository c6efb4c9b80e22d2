/**
 * The renderer is served from a privileged custom scheme (portafilter://app/…) instead of file://:
 * it gets a real origin that CSP 'self' and the navigation guard can name, cannot read arbitrary
 * local files through relative URLs, and carries the CSP as a response header (Electron's security
 * checklist, "avoid file://").
 */
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { SECURITY_HEADERS } from '../server/security.js';
import { contentType, resolveStaticFile } from '../server/static.js';

export const APP_SCHEME = 'portafilter';
export const APP_HOST = 'app';
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Custom-scheme URLs have an opaque origin in WHATWG terms, so compare scheme and host instead. */
export function isAppSchemeUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

export function serveAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST || request.method !== 'GET') return new Response('not found', { status: 404 });
    const file = await resolveStaticFile(rendererDir, url.pathname);
    if (file === null) return new Response('not found', { status: 404 });
    const body = await readFile(file);
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'Content-Type': contentType(file) },
    });
  });
}
