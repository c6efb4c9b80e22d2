/**
 * The workbench as a user runs it in a browser, for the benchmarks that time what the page does:
 * `portafilter serve` itself (the bundled CLI, its bundled service worker and web host; it rebuilds
 * the renderer when stale) and Debian's Chromium through playwright-core. Times come from the page's own clock:
 * the renderer sets performance marks (e.g. GRAPH_DRAWN_MARK when a graph is on screen), and
 * `waitForMark` reads them back, so the harness's round trips are not counted.
 *
 *   const wb = await startWorkbench();
 *   await wb.openByUrl({ kind: 'model', prototxt: '/abs/net.prototxt' });
 *   const drawn = await wb.waitForMark(GRAPH_DRAWN_MARK);   // ms since the navigation started
 *   await wb.close();
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { writeLaunchQuery, type LaunchTarget } from '../src/shared/launch.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/e2e/chromium.js';
import type { Log } from './types.js';

/** Set by the graph view (views/GraphView.vue) each time a laid-out graph has been painted. */
export const GRAPH_DRAWN_MARK = 'portafilter:graph-drawn';
/** Set by the graph store when a model's summary arrives (the open call answered). */
export const MODEL_OPENED_MARK = 'portafilter:model-opened';
/** Set by LayerGraph.vue once the edges show the labels of a new Keras view. */
export const GRAPH_LABELS_MARK = 'portafilter:graph-labels';
/** Set by the inspector (LayerDetails.vue) once it shows a new Keras view. */
export const KERAS_VIEW_SHOWN_MARK = 'portafilter:keras-view-shown';
/** A performance measure the graph store records per ELK layout (request to answer). */
export const LAYOUT_MEASURE = 'portafilter:graph-layout';

export interface WorkbenchOptions {
  viewport?: { width: number; height: number };
  log?: Log;
}

export interface Workbench {
  page: Page;
  browser: Browser;
  context: BrowserContext;
  /** The `portafilter serve` the page talks to: the bundled CLI and its bundled service worker, as a user starts it. */
  host: ChildProcess;
  /** The page URL it printed, with this run's token. */
  origin: string;
  /** The page URL with a launch target in its query (the way the Electron window and `serve --open` start a model). */
  urlFor(target: LaunchTarget): string;
  /** Navigates to the workbench with `target` opened at start; resolves once the page has loaded. */
  openByUrl(target: LaunchTarget): Promise<void>;
  /** Opens a model through the open form of the page already loaded, as a user types it. */
  openByForm(prototxt: string, caffemodel?: string): Promise<void>;
  /**
   * Waits for the next performance mark `name` whose startTime is after `after` (page ms) and
   * returns its startTime: milliseconds since the page's navigation started.
   */
  waitForMark(name: string, options?: { after?: number; timeout?: number }): Promise<number>;
  /** The page's clock now (performance.now()), to pass as `after`. */
  now(): Promise<number>;
  /** Errors the page or its workers logged (a failed layout, a CSP refusal): a figure with these is suspect. */
  problems: string[];
  close(): Promise<void>;
}

export async function startWorkbench(options: WorkbenchOptions = {}): Promise<Workbench> {
  const log = options.log ?? (() => undefined);
  const { host, pageUrl } = await startHost(log);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));

  const urlFor = (target: LaunchTarget): string => {
    const url = new URL(pageUrl);
    writeLaunchQuery(target, url.searchParams);
    return url.toString();
  };

  return {
    page,
    browser,
    context,
    host,
    origin: pageUrl,
    problems,
    urlFor,
    async openByUrl(target) {
      await page.goto(urlFor(target), { waitUntil: 'load' });
    },
    async openByForm(prototxt, caffemodel) {
      await page.getByRole('textbox', { name: 'Prototxt' }).fill(prototxt);
      await page.getByRole('textbox', { name: 'Caffemodel' }).fill(caffemodel ?? '');
      const shapes = page.getByRole('textbox', { name: 'Input shapes' });
      if ((await shapes.count()) > 0) await shapes.fill('');
      await page.getByRole('button', { name: 'Open', exact: true }).click();
    },
    async waitForMark(name, { after = -1, timeout = 120_000 } = {}) {
      // A function, not a string: the page's CSP refuses eval, which a string predicate needs.
      const handle = await page.waitForFunction(
        ({ mark, since }) => {
          const found = performance.getEntriesByName(mark, 'mark').filter((e) => e.startTime > since);
          return found.length > 0 ? found[0].startTime : false;
        },
        { mark: name, since: after },
        { timeout, polling: 'raf' },
      );
      return (await handle.jsonValue()) as number;
    },
    now: () => page.evaluate(() => performance.now()),
    async close() {
      await browser.close().catch(() => undefined);
      host.kill('SIGINT');
      await new Promise<void>((done) => (host.exitCode !== null ? done() : host.once('exit', () => done())));
    },
  };
}

const BIN = fileURLToPath(new URL('../bin/portafilter.js', import.meta.url));

/**
 * Starts `portafilter serve` as a user does (the bundled CLI; it rebuilds the renderer when stale), and
 * reads the page URL it prints. Timing the web host in this process would time tsx compiling the
 * service worker's TypeScript at every model opened, which no user pays.
 */
async function startHost(log: Log): Promise<{ host: ChildProcess; pageUrl: string }> {
  const host = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  const pageUrl = await new Promise<string>((resolve, reject) => {
    const fail = (why: string): void => reject(new Error(`portafilter serve ${why}:\n${said}`));
    host.stdout!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      const found = /Portafilter workbench: (\S+)/.exec(said);
      if (found) resolve(found[1]);
      else if (said.includes('Building')) log(said.trim().split('\n').pop()!);
    });
    host.stderr!.on('data', (chunk: Buffer) => (said += chunk.toString()));
    host.once('exit', (code) => fail(`exited with code ${code}`));
    host.once('error', (e) => fail(e.message));
  });
  const url = new URL(pageUrl);
  // Keep the token only: each benchmark names its own model.
  for (const key of [...url.searchParams.keys()]) if (key !== 'token') url.searchParams.delete(key);
  return { host, pageUrl: url.toString() };
}

/** Median and the nearest-rank p-th percentile of `values` (not modified). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Clicks an element inside the page and returns the page's clock at the click. */
// String bodies: this file is typed for Node, the functions run in the page.
export const clickAt = (wb: Workbench, selector: string): Promise<number> =>
  wb.page.evaluate(`(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    if (!el) throw new Error('nothing matches ' + ${JSON.stringify(selector)});
    const t = performance.now();
    el.click();
    return t;
  })()`) as Promise<number>;
