/**
 * The whole of a layer-by-layer comparison, as the CLI's `diff` and the service's diffModel run it:
 * the converted model on the chosen engine, every layer captured, against the Caffe-semantics
 * reference run on the same inputs or against a folder of real Caffe's .npy dumps (diff.ts).
 */
import { PortafilterError } from '../../shared/errors.js';
import type { Ordering } from '../keras/spec.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import { diffRuns, expectedFromDumps, expectedFromRun, type DiffReport } from './diff.js';
import { firstNonFiniteLayer, nonFiniteWarning } from './finite.js';
import { createEngine, type EngineChoice } from './index.js';
import type { RunResult } from './types.js';

export interface CompareOptions {
  /** 'reference' (default) or a folder of .npy dumps. */
  against?: string;
  /** How dump files are named (default auto). */
  naming?: 'auto' | 'layers' | 'blobs';
  /** Default `tfjs`: the converted Keras model, the artefact the exports carry, on the best TF.js backend. */
  engine?: EngineChoice;
  ordering?: Ordering;
  flipKernels?: boolean;
  onProgress?: (stage: string, fraction?: number) => void;
  signal?: AbortSignal;
}

/** A comparison, and what it found besides the rows: the first layer of the candidate to give NaN or Infinity. */
export type CompareReport = DiffReport & { warnings: string[] };

/** The runs a comparison made, every layer captured: the workbench keeps them to show both sides. */
export interface CompareRuns {
  candidate: RunResult;
  reference?: RunResult;
}

/** `model` already fits `inputs` (engine/inputs.ts' prepareInputs). */
export async function compareModel(model: CaffeNet, inputs: Record<string, Blob>, options: CompareOptions = {}): Promise<CompareReport> {
  return (await compareModelRuns(model, inputs, options)).report;
}

/** compareModel, with the runs it compared. */
export async function compareModelRuns(model: CaffeNet, inputs: Record<string, Blob>, options: CompareOptions = {}): Promise<{ report: CompareReport; runs: CompareRuns }> {
  const progress = options.onProgress ?? (() => undefined);
  const { signal } = options;
  progress('building the engine');
  const against = options.against ?? 'reference';
  if (against === 'reference' && options.engine === 'reference')
    throw new PortafilterError('comparing the reference with itself proves nothing: pick the engine to check (the default runs the Keras model on TF.js), or compare the reference with dumps (--against DIR)');
  const engine = await createEngine(model, { engine: options.engine ?? 'tfjs', ordering: options.ordering, flipKernels: options.flipKernels });
  try {
    signal?.throwIfAborted();
    progress('running the converted model');
    const candidate = await engine.run(inputs, { capture: true, signal });
    const skipped = engine.skipped;
    // A NaN row is already 'diverged'; the warning says where the candidate's numbers stopped being numbers.
    const nonFinite = firstNonFiniteLayer(candidate.layers);
    const warnings = nonFinite ? [nonFiniteWarning(nonFinite, candidate.outputs)] : [];
    if (against === 'reference') {
      progress('running the reference');
      const reference = await createEngine(model, { engine: 'reference' });
      try {
        const expected = await reference.run(inputs, { capture: true, signal });
        progress('comparing');
        const report = { ...diffRuns(candidate, expectedFromRun(expected), model, 'reference'), skipped, unmatched: [], warnings };
        return { report, runs: { candidate, reference: expected } };
      } finally {
        reference.dispose();
      }
    }
    progress('comparing');
    const dumps = expectedFromDumps(against, model, options.naming ?? 'auto');
    return { report: { ...diffRuns(candidate, dumps.expected, model, against), skipped, naming: dumps.naming, unmatched: dumps.unmatched, warnings }, runs: { candidate } };
  } finally {
    engine.dispose();
  }
}
