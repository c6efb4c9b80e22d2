/**
 * The sandboxed preload: exposes `window.portafilter` (call, cancel, pickFile, pickSavePath, chooseDropped) and nothing else.
 * No ipcRenderer, no event objects and no Node reach the page: each exposed function forwards plain
 * data on one fixed channel. Main validates everything again; the checks here only keep malformed
 * ids out of channel names.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { Progress } from '../shared/api.js';
import {
  CALL_ID_PATTERN,
  IPC_CALL,
  IPC_CANCEL,
  IPC_CHOOSE_DROPPED,
  IPC_PICK_FILE,
  IPC_PICK_SAVE_PATH,
  ipcProgressChannel,
  isFileKind,
  isSaveKind,
  isSuggestedPath,
  type CallOutcome,
  type DroppedPath,
  type FileKind,
  type PortafilterBridge,
  type SaveKind,
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
  async pickSavePath(kind: SaveKind, suggested: string): Promise<string | null> {
    if (!isSaveKind(kind) || !isSuggestedPath(suggested)) return null;
    return (await ipcRenderer.invoke(IPC_PICK_SAVE_PATH, kind, suggested)) as string | null;
  },
  async chooseDropped(file: File): Promise<DroppedPath | null> {
    // The path comes from Chromium's record of the File, which only a drop, a file input or a paste
    // by the user fills in; the page cannot name a path here, only hand over a File it was given.
    let path: string;
    try {
      path = webUtils.getPathForFile(file);
    } catch {
      return null;
    }
    if (!path) return null;
    return (await ipcRenderer.invoke(IPC_CHOOSE_DROPPED, path)) as DroppedPath | null;
  },
};

contextBridge.exposeInMainWorld('portafilter', bridge);
