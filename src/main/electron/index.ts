/**
 * The Electron app: one hardened window on the workbench, opened on the model named on the command
 * line (`portafilter <prototxt> [caffemodel]`) or on the bundled demo. All model work happens in
 * the service (which moves heavy work off this thread); this file only wires it to the window.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Menu, session, type MenuItemConstructorOptions, type WebFrameMain } from 'electron';
import { launchTargetFromArgs, writeLaunchQuery, type LaunchTarget } from '../../shared/launch.js';
import { resourcePath } from '../paths.js';
import { CONTENT_SECURITY_POLICY } from '../server/security.js';
import { createWorkerService } from '../service/worker-client.js';
import type { Service } from '../service/types.js';
import { UserPaths } from './access.js';
import { builtForDev, devServerUrl as chooseDevServerUrl } from './dev-server.js';
import { registerIpc } from './ipc.js';
import { APP_ENTRY, isAppSchemeUrl, registerAppScheme, serveAppScheme } from './protocol.js';
import { RECENTS_FILE, RecentFiles } from './recents.js';
import { createMainWindow, hardenContents } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
const preloadPath = join(here, '../preload/index.cjs');
const rendererDir = join(here, '../renderer');

// `electron-vite dev` serves the renderer with hot reload and names it here. Vite writes
// import.meta.env into the build, DEV true only in that mode: `npm start` and packaged builds ignore the variable.
const devServerUrl = chooseDevServerUrl(builtForDev(import.meta.env), process.env.ELECTRON_RENDERER_URL);
const devOrigin = devServerUrl ? new URL(devServerUrl).origin : undefined;

const isAppUrl = (raw: string): boolean => {
  if (isAppSchemeUrl(raw)) return true;
  try {
    return devOrigin !== undefined && new URL(raw).origin === devOrigin;
  } catch {
    return false;
  }
};

const isAppFrame = (frame: WebFrameMain | null): boolean => frame !== null && frame.parent === null && isAppUrl(frame.url);

function pageUrl(target: LaunchTarget): string {
  const url = new URL(devServerUrl ?? APP_ENTRY);
  url.search = writeLaunchQuery(target).toString();
  return url.toString();
}

/** argv is [electron, app, ...args] when run from source and [app, ...args] when packaged. */
const launchTarget = (argv: readonly string[], cwd: string): LaunchTarget =>
  launchTargetFromArgs(argv.slice(app.isPackaged ? 1 : 2), (p) => resolve(cwd, p));

function applicationMenu(): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' } as const] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // The app scheme sets the CSP itself; this also covers the dev server and anything else loaded
  // over HTTP, replacing whatever policy a response brought.
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
}

let mainWindow: BrowserWindow | undefined;
let service: Service | undefined;
let paths: UserPaths | undefined;

/** The model named on the command line is the user's choice, as a dialog pick is; granted before the page asks for it. */
async function grantLaunchTarget(target: LaunchTarget): Promise<void> {
  if (target.kind !== 'model' || !paths) return;
  for (const file of [target.prototxt, target.caffemodel]) {
    if (file === undefined) continue;
    const outcome = await paths.grantRead(file, true);
    // The page still opens it and shows the user the same reason as a refusal.
    if ('problem' in outcome) console.warn(`portafilter: ${outcome.problem}`);
  }
}

function openWindow(target: LaunchTarget): void {
  mainWindow = createMainWindow({ preload: preloadPath, url: pageUrl(target) });
  mainWindow.on('closed', () => (mainWindow = undefined));
}

async function start(): Promise<void> {
  hardenSession();
  serveAppScheme(rendererDir);
  service = createWorkerService();
  paths = new UserPaths(undefined, new RecentFiles(join(app.getPath('userData'), RECENTS_FILE)));
  await paths.restore();
  // The bundled demo and its sample images are the app's own files, readable by the window always.
  const demo = await paths.grantRead(resourcePath('demo'), false);
  if ('problem' in demo) throw new Error(`the bundled demo cannot be opened: ${demo.problem}`);
  registerIpc(service, isAppFrame, paths);
  Menu.setApplicationMenu(applicationMenu());
  const target = launchTarget(process.argv, process.cwd());
  await grantLaunchTarget(target);
  openWindow(target);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow({ kind: 'demo' });
  });
}

registerAppScheme();
// Every renderer sandboxed, including any a future feature might create without saying so.
app.enableSandbox();
app.on('web-contents-created', (_event, contents) => hardenContents(contents, isAppUrl));

if (!app.requestSingleInstanceLock()) {
  // A second `portafilter model.prototxt` hands its arguments to the running app and leaves.
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const target = launchTarget(argv, workingDirectory);
    void grantLaunchTarget(target).then(() => {
      if (!mainWindow) return openWindow(target);
      if (target.kind === 'model') void mainWindow.loadURL(pageUrl(target));
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => service?.dispose());
  app
    .whenReady()
    .then(start)
    .catch((e: unknown) => {
      dialog.showErrorBox('Portafilter could not start', e instanceof Error ? (e.stack ?? e.message) : String(e));
      app.exit(1);
    });
}
