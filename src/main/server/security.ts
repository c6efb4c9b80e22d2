/**
 * The security policy shared by the Electron window and the local web host: one CSP, the headers
 * that go with it, and the checks that keep the host reachable only from this machine's own pages.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Everything the renderer needs comes from its own origin. Styles allow 'unsafe-inline' because
 * Vue binds `:style` as inline style attributes (column widths, progress). connect-src 'self'
 * covers the web host's ws:// endpoint (CSP3 lets 'self' match ws: on the same host and port).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response of the app, whichever host serves it. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // The page URL carries the token: never send it on as a referrer.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** 256 bits from the OS CSPRNG, URL-safe. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/** Constant-time, so response timing does not reveal how much of a guess was right. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * DNS-rebinding guard: a page from evil.example whose name was rebound to 127.0.0.1 reaches this
 * host with `Host: evil.example:port`. Only loopback names on our own port are accepted.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  return LOOPBACK_NAMES.some((name) => host.toLowerCase() === `${name}:${port}`);
}

/**
 * Browsers send Origin on WebSocket handshakes and cross-origin requests; only our own origin may
 * talk to the API. Tools without a browser (tests, scripts) send none and rely on the token alone.
 */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return LOOPBACK_NAMES.some((name) => origin.toLowerCase() === `http://${name}:${port}`);
}
