/**
 * The IPC side of the bridge: `portafilter:call` runs any method of the API, `portafilter:cancel`
 * aborts one, `portafilter:pickFile` shows the native open dialog and `portafilter:pickSavePath` the
 * save dialog for an export, `portafilter:chooseDropped` takes a file dropped on the window.
 * Validation and the call table live in service/dispatch.ts, shared with the web host; what the
 * user chose, and the check that a call names nothing else, in access.ts.
 */
import { isAbsolute } from 'node:path';
import { BrowserWindow, dialog, ipcMain, type OpenDialogOptions, type SaveDialogOptions, type WebContents, type WebFrameMain } from 'electron';
import {
  FILE_FILTERS,
  IPC_CALL,
  IPC_CANCEL,
  IPC_CHOOSE_DROPPED,
  IPC_PICK_FILE,
  IPC_PICK_SAVE_PATH,
  SAVE_FILTERS,
  ipcProgressChannel,
  isFileKind,
  isSaveKind,
  isSuggestedPath,
  type CallOutcome,
  type DroppedPath,
} from '../../shared/bridge.js';
import { CallRegistry, failure, parseIpcCall } from '../service/dispatch.js';
import type { Service } from '../service/types.js';
import type { ChosenPath, UserPaths } from './access.js';

/** Which frames may use the API: the app's own top-level page, nothing it might embed or open. */
export type FrameCheck = (frame: WebFrameMain | null) => boolean;

/** A grant that failed (a path that cannot be resolved) reaches the page as a rejected pick with the reason. */
function granted(outcome: ChosenPath | { problem: string }): ChosenPath {
  if ('problem' in outcome) throw new Error(`Portafilter cannot use that path: ${outcome.problem}`);
  return outcome;
}

export function registerIpc(service: Service, isAppFrame: FrameCheck, paths: UserPaths): () => void {
  const registries = new Map<number, CallRegistry>();

  const registryFor = (contents: WebContents): CallRegistry => {
    let registry = registries.get(contents.id);
    if (!registry) {
      const created = new CallRegistry(service);
      registries.set(contents.id, created);
      // A closed window's work and models are abandoned, not kept for nobody; so are a reloaded page's.
      contents.once('destroyed', () => {
        created.release();
        registries.delete(contents.id);
      });
      contents.on('render-process-gone', () => created.release());
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) created.release();
      });
      registry = created;
    }
    return registry;
  };

  ipcMain.handle(IPC_CALL, async (event, payload: unknown): Promise<CallOutcome> => {
    if (!isAppFrame(event.senderFrame)) return failure('refused: the call did not come from the Portafilter window');
    const parsed = parseIpcCall(payload);
    if ('error' in parsed) return parsed;
    const refused = await paths.checkCall(parsed.call.method, parsed.call.request);
    if (refused) return refused;
    const sender = event.sender;
    const channel = ipcProgressChannel(parsed.id);
    return registryFor(sender).run(parsed.id, parsed.call, (progress) => {
      if (!sender.isDestroyed()) sender.send(channel, progress);
    });
  });

  ipcMain.on(IPC_CANCEL, (event, id: unknown) => {
    if (!isAppFrame(event.senderFrame) || typeof id !== 'string') return;
    registries.get(event.sender.id)?.cancel(id);
  });

  ipcMain.handle(IPC_PICK_FILE, async (event, kind: unknown): Promise<string | null> => {
    if (!isAppFrame(event.senderFrame) || !isFileKind(kind)) return null;
    const filter = FILE_FILTERS[kind];
    const options: OpenDialogOptions = filter.folder
      ? { title: `Choose the ${filter.name}`, properties: ['openDirectory'] }
      : { title: `Open ${filter.name}`, properties: ['openFile'], filters: [{ name: filter.name, extensions: filter.extensions }, { name: 'All files', extensions: ['*'] }] };
    const owner = BrowserWindow.fromWebContents(event.sender);
    const picked = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options);
    if (picked.canceled || picked.filePaths.length === 0) return null;
    return granted(await paths.grantRead(picked.filePaths[0], true)).path;
  });

  // Only suggests, grants and returns a path: nothing is written until the page calls convertModel (or reportModel) with it.
  ipcMain.handle(IPC_PICK_SAVE_PATH, async (event, kind: unknown, suggested: unknown): Promise<string | null> => {
    if (!isAppFrame(event.senderFrame) || !isSaveKind(kind) || !isSuggestedPath(suggested)) return null;
    const filter = SAVE_FILTERS[kind];
    const options: SaveDialogOptions = {
      title: kind === 'report' ? 'Save the equivalence report' : filter ? 'Export the model' : 'Export the model as a folder (give the new folder a name)',
      buttonLabel: kind === 'report' ? 'Save here' : 'Export here',
      properties: ['createDirectory', 'showOverwriteConfirmation'],
      filters: filter ? [filter, { name: 'All files', extensions: ['*'] }] : [],
    };
    if (suggested) options.defaultPath = suggested;
    const owner = BrowserWindow.fromWebContents(event.sender);
    const picked = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options);
    if (picked.canceled || !picked.filePath) return null;
    return granted(await paths.grantWrite(picked.filePath, filter ? 'file' : 'tree')).path;
  });

  // The preload sends only what webUtils.getPathForFile found for a File the page handed it, which a
  // page cannot forge: the page has no way to send on this channel by itself.
  ipcMain.handle(IPC_CHOOSE_DROPPED, async (event, path: unknown): Promise<DroppedPath | null> => {
    if (!isAppFrame(event.senderFrame) || !isSuggestedPath(path) || !isAbsolute(path)) return null;
    return granted(await paths.grantRead(path, true));
  });

  return () => {
    ipcMain.removeHandler(IPC_CALL);
    ipcMain.removeHandler(IPC_PICK_FILE);
    ipcMain.removeHandler(IPC_PICK_SAVE_PATH);
    ipcMain.removeHandler(IPC_CHOOSE_DROPPED);
    ipcMain.removeAllListeners(IPC_CANCEL);
    for (const registry of registries.values()) registry.release();
    registries.clear();
  };
}
