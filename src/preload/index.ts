/**
 * The sandboxed preload: exposes `window.portafilter` (call, cancel, pickFile) and nothing else.
 * No ipcRenderer, no event objects and no Node reach the page: each exposed function forwards plain
 * data on one fixed channel. Main validates everything again; the checks here only keep malformed
 * ids out of channel names.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { Progress } from '../shared/api.js';
import {
  CALL_ID_PATTERN,
  IPC_CALL,
  IPC_CANCEL,
  IPC_PICK_FILE,
  ipcProgressChannel,
  isFileKind,
  type CallOutcome,
  type FileKind,
  type PortafilterBridge,
} from '../shared/bridge.js';

const badId = (id: unknown): CallOutcome => ({
  error: { code: 'PortafilterError', message: `invalid call id ${JSON.stringify(id)}` },
});

const bridge: PortafilterBridge = {
  async call(id: string, method: string, request: unknown, onProgress?: (progress: Progress) => void): Promise<CallOutcome> {
    if (typeof id !== 'string' || !CALL_ID_PATTERN.test(id)) return badId(id);
    const channel = ipcProgressChannel(id);
    // The page's callback gets the progress object only, never the IPC event.
    const listener = (_event: IpcRendererEvent, progress: Progress): void => onProgress?.(progress);
    if (typeof onProgress === 'function') ipcRenderer.on(channel, listener);
    try {
      return (await ipcRenderer.invoke(IPC_CALL, { id, method, request })) as CallOutcome;
    } finally {
      ipcRenderer.removeListener(channel, listener);
    }
  },
  cancel(id: string): void {
    if (typeof id === 'string' && CALL_ID_PATTERN.test(id)) ipcRenderer.send(IPC_CANCEL, id);
  },
  async pickFile(kind: FileKind): Promise<string | null> {
    if (!isFileKind(kind)) return null;
    return (await ipcRenderer.invoke(IPC_PICK_FILE, kind)) as string | null;
  },
};

contextBridge.exposeInMainWorld('portafilter', bridge);
