/**
 * The renderer's way to the API: the Electron bridge when the page runs in the app window, the web
 * host's WebSocket otherwise. Both present the same typed `PortafilterApi`; components never know
 * which carries their calls.
 */
import { API_PATH, TOKEN_PARAM } from '../../../shared/transport.js';
import { IpcClient } from './ipc.js';
import type { ApiClient } from './types.js';
import { WebSocketClient } from './websocket.js';

export function createApiClient(win: Window): ApiClient {
  if (win.portafilter) return new IpcClient(win.portafilter);
  // The web host put this run's token in the page URL; the page keeps using it for the socket.
  const token = new URLSearchParams(win.location.search).get(TOKEN_PARAM) ?? '';
  const scheme = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = new URLSearchParams({ [TOKEN_PARAM]: token }).toString();
  return new WebSocketClient(`${scheme}//${win.location.host}${API_PATH}?${query}`, {
    label: win.location.host,
    pingUrl: `${API_PATH}/ping?${query}`,
    uploadUrl: `${API_PATH}/upload?${query}`,
  });
}
