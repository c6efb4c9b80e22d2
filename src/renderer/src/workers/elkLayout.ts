/**
 * ELK's layered layout in a Web Worker, off the UI thread (GUIDE.md: heavy work never runs there).
 *
 * The worker script is elkjs' own prebuilt `elk-worker.min.js`, emitted by Vite as a file of the
 * build (`?url&no-inline`: never a data: URL), so it loads from the page's own origin under the
 * CSP's `script-src 'self'` — over the web host, and over Electron's portafilter:// scheme, which
 * is registered standard and secure (src/main/electron/protocol.ts) and so may start workers. It
 * needs neither eval nor blob: URLs. The only module here that touches the browser; the graph it
 * lays out and reads back is built in lib/graph.ts.
 */
import ELK from 'elkjs/lib/elk-api.js';
import workerUrl from 'elkjs/lib/elk-worker.min.js?url&no-inline';
import type { ElkGraphIn, ElkGraphOut } from '../lib/graph.js';

interface Engine {
  elk: InstanceType<typeof ELK>;
  /** Rejects when the worker itself fails (its script did not load, or it crashed). */
  failed: Promise<never>;
  broken: boolean;
}

let engine: Engine | null = null;

function start(): Engine {
  let reject: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, r) => (reject = r));
  // Nobody may be waiting when the worker fails; the next layout call sees it.
  failed.catch(() => undefined);
  const elk = new ELK({
    // Only the layered algorithm: the worker registers no others.
    algorithms: ['layered'],
    workerUrl,
    workerFactory: (url) => {
      const worker = new Worker(url ?? workerUrl, { name: 'elk-layout' });
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        made.broken = true;
        reject(new Error(`the graph layout worker failed: ${event.message || 'its script did not load'}`));
      });
      return worker;
    },
  });
  const made: Engine = { elk, failed, broken: false };
  return made;
}

/** GWT's exceptions arrive as plain objects; make a readable Error of whatever came back. */
function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'object' && e !== null && 'message' in e) return new Error(`graph layout failed: ${String((e as { message: unknown }).message)}`);
  return new Error(`graph layout failed: ${String(e)}`);
}

/** Lays out `graph` in the worker (started on first use and kept; restarted after a failure). */
export async function layoutInWorker(graph: ElkGraphIn): Promise<ElkGraphOut> {
  engine ??= start();
  const current = engine;
  try {
    return (await Promise.race([current.elk.layout(graph), current.failed])) as ElkGraphOut;
  } catch (e) {
    // A failed worker is replaced; a layout error (a graph ELK refuses) leaves it running.
    if (engine === current && current.broken) {
      current.elk.terminateWorker();
      engine = null;
    }
    throw asError(e);
  }
}

/**
 * Starts the worker and has it lay out a two-box graph, so its 1.5 MB script is loaded and compiled
 * (and ELK's code warmed) while a model is still being opened: the first real layout then starts at once.
 */
export function warmLayoutWorker(): void {
  if (engine || typeof Worker === 'undefined') return;
  void layoutInWorker({
    id: 'warm-up',
    layoutOptions: { 'elk.algorithm': 'layered' },
    children: [
      { id: 'a', width: 10, height: 10 },
      { id: 'b', width: 10, height: 10 },
    ],
    edges: [{ id: 'e', sources: ['a'], targets: ['b'] }],
  }).catch(() => undefined);
}

/** Stops the worker (tests, or a page being torn down). */
export function stopLayoutWorker(): void {
  engine?.elk.terminateWorker();
  engine = null;
}
