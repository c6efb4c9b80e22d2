/** How `run` and `diff` say what ran: the engine, its backend, the form of the model and its ordering, and what `auto` passed over. */
import { describeRun, type SkippedEngine } from '../engine/index.js';
import type { RunResult } from '../engine/types.js';

/** What ran, for a `--json` report: the engine, its backend, the form of the model and its ordering. */
export function whatRan(result: RunResult, skipped: readonly SkippedEngine[]) {
  return {
    engine: result.engine,
    engineDetail: result.engineDetail,
    form: result.form,
    ordering: result.ordering ?? null,
    flipKernels: result.flipKernels === true,
    ran: describeRun(result),
    skipped,
  };
}

/** The same for the text report: "engine: wasm — the Keras model in channels_last on tfjs wasm (…)", and what auto passed over. */
export function engineLines(result: Pick<RunResult, 'engine' | 'engineDetail' | 'form' | 'ordering' | 'flipKernels'>, skipped: readonly SkippedEngine[], suffix = ''): string[] {
  return [
    `engine: ${result.engine} — ${describeRun(result)}${suffix}`,
    ...(skipped.length > 0 ? [`  (passed over: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`] : []),
  ];
}

