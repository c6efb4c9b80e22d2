/**
 * Choosing and creating the engine that runs a model: the converted Keras model on a TensorFlow.js
 * backend, its ONNX form on onnxruntime, or the Caffe-semantics reference. What the caller asked for
 * (an engine, an ordering, the kernel flip) is done or refused with the reason, never replaced: `auto`
 * passes over an engine only for a stated reason, and the result names what actually ran
 * (RunResult.engine / engineDetail / form / ordering; describe.ts words it).
 *
 * TF.js is imported only when a TF.js engine is probed or made, so the reference and onnxruntime run
 * without loading it.
 */
import { PortafilterError } from '../../shared/errors.js';
import { buildKerasModel } from '../keras/build.js';
import type { Ordering } from '../keras/spec.js';
import type { CaffeNet } from '../net/model.js';
import { requireKnownShapes } from '../net/shapes.js';
import { checkMemory } from './memory.js';
import { createOnnxEngine, loadOrt } from './onnx-engine.js';
import { createReferenceEngine } from './reference.js';
import type { TfjsBackendName } from './tfjs-backends.js';
import { DEFAULT_ORDERING, ENGINE_PREFERENCE, type Engine, type EngineName } from './types.js';

export { describeRun } from './describe.js';
export { DEFAULT_ORDERING } from './types.js';

/** `tfjs` = the Keras model on the best TF.js backend; `auto` = the best engine that computes what was asked. */
export type EngineChoice = 'auto' | 'tfjs' | EngineName;

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'tfjs', ...ENGINE_PREFERENCE, 'reference'];
const TFJS: readonly TfjsBackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
const isTfjs = (name: EngineName): name is TfjsBackendName => (TFJS as readonly string[]).includes(name);

export function parseEngineChoice(value: string | undefined): EngineChoice {
  const v = (value ?? 'auto') as EngineChoice;
  if (!ENGINE_CHOICES.includes(v)) throw new PortafilterError(`--engine expects one of ${ENGINE_CHOICES.join(', ')}, got '${value}'`);
  return v;
}

/** The ordering flag as given; undefined when it was not (callers then use DEFAULT_ORDERING). */
export function parseOrdering(value: string | undefined): Ordering | undefined {
  if (value === undefined) return undefined;
  if (value !== 'channels_last' && value !== 'channels_first')
    throw new PortafilterError(`--ordering expects channels_last (TensorFlow) or channels_first (Theano), got '${value}'`);
  return value;
}

/** The command line's check of --flip-kernels against --ordering, in its own words (createEngine refuses the same in plain words). */
export function checkFlipOrdering(ordering: Ordering | undefined, flipKernels: boolean | undefined): void {
  if (flipKernels && (ordering ?? DEFAULT_ORDERING) !== 'channels_first')
    throw new PortafilterError('--flip-kernels is only for the channels_first (Theano) ordering: give --ordering channels_first with it');
}

export interface EngineOptions {
  engine?: EngineChoice;
  /** The converted model's ordering as the caller asked for it; absent means DEFAULT_ORDERING (and "not asked"). */
  ordering?: Ordering;
  /** Kernels flipped 180° for true-convolution backends; channels_first only. */
  flipKernels?: boolean;
}

/** Why an engine was passed over, for the report. */
export interface SkippedEngine {
  name: EngineName;
  reason: string;
}

/** Why `name` cannot compute what `options` ask for, or undefined when it can. */
function unfit(name: EngineName, options: EngineOptions): string | undefined {
  if (name === 'onnxruntime' && options.flipKernels)
    return 'it runs the ONNX form of the model, and ONNX convolution correlates as Caffe does: there are no flipped kernels to run (the flip is a Keras weight layout for true-convolution backends)';
  if (name === 'reference' && (options.ordering !== undefined || options.flipKernels))
    return `it computes Caffe's formulas in Caffe's own layout (N,C,H,W); ${options.flipKernels ? 'the kernel flip' : 'the ordering'} is a property of the converted model, which the reference does not run`;
  return undefined;
}

async function available(name: EngineName): Promise<string | undefined> {
  try {
    if (name === 'onnxruntime') await loadOrt();
    else if (isTfjs(name)) await (await import('./tfjs-backends.js')).useTfjsBackend(name);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function make(model: CaffeNet, name: EngineName, options: EngineOptions): Promise<Engine> {
  const ordering = options.ordering ?? DEFAULT_ORDERING;
  if (name === 'reference') return createReferenceEngine(model);
  // The graph takes and gives tensors in the asked ordering, as the ONNX export of that ordering does.
  if (name === 'onnxruntime') return createOnnxEngine(model, { ordering });
  const spec = buildKerasModel(model, { ordering, flipKernels: options.flipKernels === true });
  const { createTfjsEngine } = await import('./tfjs-engine.js');
  return createTfjsEngine(model, spec, name);
}

/** The engine to run `model` on, with the engines `auto` (or `tfjs`) passed over and why. */
export async function createEngine(model: CaffeNet, options: EngineOptions = {}): Promise<Engine & { skipped: SkippedEngine[] }> {
  requireKnownShapes(model.shapes, 'running the net');
  // Before any engine allocates: a shape too large for this machine is refused, not swapped through.
  checkMemory(model);
  if (options.flipKernels && (options.ordering ?? DEFAULT_ORDERING) !== 'channels_first')
    throw new PortafilterError('the kernel flip is only for the channels_first (Theano) ordering: ask for channels_first with it');
  const choice = options.engine ?? 'auto';
  const candidates: readonly EngineName[] = choice === 'auto' ? ENGINE_PREFERENCE : choice === 'tfjs' ? TFJS : [choice];
  const skipped: SkippedEngine[] = [];
  for (const name of candidates) {
    const reason = unfit(name, options) ?? (await available(name));
    if (reason === undefined) return Object.assign(await make(model, name, options), { skipped });
    if (candidates.length === 1) throw new PortafilterError(`the ${name} engine cannot run this: ${reason}`);
    skipped.push({ name, reason });
  }
  throw new PortafilterError(`no engine runs here: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
