/**
 * The one application window and the rules every web contents lives under: sandboxed, isolated, no
 * Node, no navigation away from the app, no pop-ups, no webviews, no permissions.
 */
import { BrowserWindow, nativeTheme, type WebContents } from 'electron';

export interface WindowOptions {
  preload: string;
  url: string;
}

export function createMainWindow(options: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 560,
    title: 'Portafilter',
    // Matches the renderer's background so the window does not flash white before the first paint.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#f6f7f9',
    show: false,
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.url);
  return win;
}

/** Applied to every web contents the app creates (app.on('web-contents-created')). */
export function hardenContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  // The renderer never navigates by itself; anything else (a dropped link, injected markup) is refused.
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
