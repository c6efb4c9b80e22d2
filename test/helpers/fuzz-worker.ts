/**
 * The worker thread of test/unit/fuzz.test.ts: runs reader cases one after another and says when each
 * starts and ends, so that the test's watchdog can name a case that hangs and end this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { prepare, runCase, type FuzzCase, type Observation, type Specials } from './fuzz-readers.js';

export type ToWorker = { type: 'run'; cases: Array<{ index: number; case: FuzzCase }> };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'start'; index: number }
  | { type: 'end'; index: number; obs: Observation }
  /** the case could not even be built: a fault of the fuzz itself, reported as such */
  | { type: 'harness'; index: number; message: string }
  | { type: 'done' };

const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);
const { workDir, specials } = workerData as { workDir: string; specials: Specials };

await prepare(workDir, specials);
port.on('message', async (m: ToWorker) => {
  for (const { index, case: c } of m.cases) {
    post({ type: 'start', index });
    try {
      post({ type: 'end', index, obs: await runCase(c, index) });
    } catch (e) {
      post({ type: 'harness', index, message: (e as Error).stack ?? String(e) });
    }
  }
  post({ type: 'done' });
});
post({ type: 'ready' });
