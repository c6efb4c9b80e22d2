/**
 * `portafilter serve [--port N] [--open] [prototxt] [caffemodel]` (its options are in index.ts): the workbench in a browser, for
 * machines without Electron and for headless use. Builds the renderer when needed, starts the local
 * web host on 127.0.0.1 and prints the page URL, which carries this run's token.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { launchTargetFromArgs, writeLaunchQuery } from '../../shared/launch.js';
import { startServer, type RunningServer } from '../server/index.js';
import { ensureRendererBuilt } from '../server/renderer-build.js';
import { createWorkerService } from '../service/worker-client.js';

export interface ServeOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Open the page in the default browser. */
  open?: boolean;
  /** Stop when this aborts (tests); otherwise on SIGINT / SIGTERM. */
  signal?: AbortSignal;
  out?: NodeJS.WritableStream;
  /** Told the URL once the host listens (tests read it here rather than from `out`). */
  onListening?: (server: RunningServer, pageUrl: string) => void;
}

/** The platform's "open this URL" command; failure to open is not fatal (the URL is printed). */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

/** Runs the host until stopped. Resolves once it has shut down. */
export async function serve(prototxt: string | undefined, caffemodel: string | undefined, options: ServeOptions = {}): Promise<void> {
  const out = options.out ?? process.stdout;
  const staticDir = await ensureRendererBuilt({
    onBuild: (reason) => out.write(`Building the workbench page (${reason})…\n`),
  });
  const service = createWorkerService();
  const server = await startServer({ port: options.port ?? 0, service, staticDir });
  try {
    const args = [prototxt, caffemodel].filter((a): a is string => a !== undefined);
    const target = launchTargetFromArgs(args, (p) => resolve(process.cwd(), p));
    const url = new URL(server.url);
    writeLaunchQuery(target, url.searchParams);
    const pageUrl = url.toString();
    out.write(`Portafilter workbench: ${pageUrl}\n(listening on 127.0.0.1 only; the token in the URL is this run's key. Ctrl+C stops.)\n`);
    options.onListening?.(server, pageUrl);
    if (options.open) openInBrowser(pageUrl);
    await new Promise<void>((done) => {
      if (options.signal) {
        if (options.signal.aborted) return done();
        options.signal.addEventListener('abort', () => done(), { once: true });
        return;
      }
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
  } finally {
    await server.close();
    service.dispose();
  }
}
