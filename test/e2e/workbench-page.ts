/**
 * The workbench as the e2e tests drive it: the real service in its worker threads behind the web host,
 * the built renderer in Debian's Chromium, a fresh browser context per test (no localStorage carried
 * over), and every console error, uncaught exception and CSP violation of the page collected.
 * Registers its own vitest hooks; call it once at the top of a test file.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { writeLaunchQuery } from '../../src/shared/launch.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/main/server/index.js';
import { rendererOutDir } from '../../src/main/server/renderer-build.js';
import { createWorkerService } from '../../src/main/service/worker-client.js';
import type { Service } from '../../src/main/service/types.js';
import { launchChromium } from './chromium.js';

export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

/** Reported to the page even where nothing is logged (an eval zod or ECharts might try, a refused worker). A string: it runs in the page. */
const CSP_REPORTER = "document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));";

export interface WorkbenchPage {
  readonly service: Service;
  readonly server: RunningServer;
  readonly page: Page;
  /** The current test's browser context (e.g. for a CDP session). */
  readonly context: BrowserContext;
  /** A folder of this file's own, removed after its tests. */
  readonly scratch: string;
  /** Console errors, uncaught exceptions and CSP violations of the current test's page. */
  readonly problems: string[];
  /** Saves what the user sees as test-results/screenshots/<name>.png. */
  shot(name: string): Promise<void>;
  /** Opens a model by the launch query, as `portafilter serve PROTOTXT CAFFEMODEL` does, and waits for it. */
  open(prototxt: string, caffemodel?: string): Promise<void>;
}

export interface WorkbenchPageOptions {
  scratchPrefix: string;
  viewport?: { width: number; height: number };
  timeout?: number;
  /** The service behind the host; the real one in its workers unless a test wraps it (e.g. to watch its calls). Disposed after the file. */
  service?: () => Service;
  /** More web host options (e.g. folderRoots). */
  server?: Partial<Omit<ServerOptions, 'port' | 'service' | 'staticDir'>>;
}

export function useWorkbenchPage(options: WorkbenchPageOptions): WorkbenchPage {
  let service: Service | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let scratch: string | undefined;
  let problems: string[] = [];
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the workbench page has no ${what} outside a test`);
    return value;
  };

  beforeAll(async () => {
    service = (options.service ?? createWorkerService)();
    server = await startServer({ ...options.server, port: 0, service, staticDir: rendererOutDir() });
    browser = await launchChromium();
    scratch = mkdtempSync(join(tmpdir(), options.scratchPrefix));
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    service?.dispose();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await need(browser, 'browser').newContext({ viewport: options.viewport ?? { width: 1500, height: 920 } });
    const current = await context.newPage();
    current.setDefaultTimeout(options.timeout ?? 30_000);
    problems = [];
    current.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    current.on('pageerror', (error) => problems.push(error.message));
    await current.addInitScript(CSP_REPORTER);
    page = current;
  });

  afterEach(async () => {
    await context?.close();
  });

  return {
    get service() {
      return need(service, 'service');
    },
    get server() {
      return need(server, 'server');
    },
    get page() {
      return need(page, 'page');
    },
    get context() {
      return need(context, 'browser context');
    },
    get scratch() {
      return need(scratch, 'scratch folder');
    },
    get problems() {
      return problems;
    },
    async shot(name) {
      await need(page, 'page').screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    },
    async open(prototxt, caffemodel) {
      const url = new URL(need(server, 'server').url);
      writeLaunchQuery(caffemodel ? { kind: 'model', prototxt, caffemodel } : { kind: 'model', prototxt }, url.searchParams);
      const current = need(page, 'page');
      await current.goto(url.toString());
      await current.getByTestId('model-name').waitFor();
    },
  };
}

/** The browser globals the page script of `dropFiles` uses (the tests' tsconfig has no DOM lib). */
interface PageGlobals {
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
  DragEvent: new (type: string, init: { dataTransfer: unknown; bubbles: boolean; cancelable: boolean }) => unknown;
  document: { querySelector(selector: string): EventTarget | null; body: EventTarget };
  atob(base64: string): string;
}
interface EventTarget {
  dispatchEvent(event: unknown): boolean;
}

/** Drops files on the page as a file manager would: a DataTransfer of File objects, dragover then drop. */
export async function dropFiles(page: Page, files: { name: string; bytes: Buffer }[], { release = true } = {}): Promise<void> {
  await page.evaluate(
    ({ files, release }) => {
      const w = globalThis as unknown as PageGlobals;
      const transfer = new w.DataTransfer();
      for (const f of files) {
        const bytes = Uint8Array.from(w.atob(f.base64), (c) => c.charCodeAt(0));
        transfer.items.add(new w.File([bytes], f.name, { type: 'application/octet-stream' }));
      }
      const target = w.document.querySelector('main') ?? w.document.body;
      for (const type of release ? ['dragenter', 'dragover', 'drop'] : ['dragenter', 'dragover']) {
        target.dispatchEvent(new w.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    },
    { files: files.map((f) => ({ name: f.name, base64: f.bytes.toString('base64') })), release },
  );
}
