/**
 * The web host's API socket as a page uses it, for the unit tests that drive a started server over
 * a real WebSocket (server-models, server-upload, service/transports).
 */
import WebSocket from 'ws';
import { decodeWire, encodeWire } from '../../src/shared/transport.js';
import type { RunningServer } from '../../src/main/server/index.js';

export type CallReply = { result?: Record<string, unknown>; error?: { message: string } };

/** A socket to `server`'s API, with its token, once open. */
export async function openSocket(server: RunningServer): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
  await new Promise<void>((done, fail) => ws.once('open', () => done()).once('error', fail));
  return ws;
}

/** One call over the socket, to its final message (progress messages are skipped). */
export function socketCall(ws: WebSocket, id: string, method: string, request: unknown): Promise<CallReply> {
  return new Promise((done) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = decodeWire(String(data)) as CallReply & { id: string; progress?: unknown };
      if (message.id !== id || message.progress !== undefined) return;
      ws.off('message', onMessage);
      done(message);
    };
    ws.on('message', onMessage);
    ws.send(encodeWire({ id, method, request }));
  });
}
