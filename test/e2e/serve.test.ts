/** `portafilter serve`: builds when needed, listens on loopback, prints the page URL, stops cleanly. */
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { serve } from '../../src/main/cli/serve.js';
import type { RunningServer } from '../../src/main/server/index.js';

describe('portafilter serve', () => {
  it('prints a loopback URL with the token and the model to open, serves it, and stops on request', async () => {
    let printed = '';
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        printed += chunk.toString();
        done();
      },
    });
    const stop = new AbortController();
    let running: Promise<void> = Promise.resolve();
    const listening = new Promise<{ server: RunningServer; pageUrl: string }>((done) => {
      running = serve('models/net.prototxt', undefined, {
        port: 0,
        out,
        signal: stop.signal,
        onListening: (server, pageUrl) => done({ server, pageUrl }),
      });
    });

    const { server, pageUrl } = await listening;
    const url = new URL(pageUrl);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toBe(server.token);
    expect(url.searchParams.get('prototxt')).toBe(resolve('models/net.prototxt'));
    expect(printed).toContain(pageUrl);
    expect((await fetch(pageUrl)).status).toBe(200);

    stop.abort();
    await running;
    await expect(fetch(pageUrl)).rejects.toThrow();
  });
});
