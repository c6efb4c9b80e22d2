/**
 * Choosing and creating the engine that runs a model: the converted Keras model on the best
 * TensorFlow.js backend here, onnxruntime, or the Caffe-semantics reference. The choice is always
 * reported (RunResult.engine / engineDetail); `auto` takes the first of ENGINE_PREFERENCE that loads.
 */
import { PortafilterError } from '../../shared/errors.js';
import { buildKerasModel } from '../keras/build.js';
import type { Ordering } from '../keras/spec.js';
import type { CaffeNet } from '../net/model.js';
import { createOnnxEngine, loadOrt } from './onnx-engine.js';
import { createReferenceEngine } from './reference.js';
import { useTfjsBackend, type TfjsBackendName } from './tfjs-backends.js';
import { createTfjsEngine } from './tfjs-engine.js';
import { ENGINE_PREFERENCE, type Engine, type EngineName } from './types.js';

/** `tfjs` = the best TF.js backend; `auto` = the best engine. */
export type EngineChoice = 'auto' | 'tfjs' | EngineName;

const CHOICES: readonly EngineChoice[] = ['auto', 'tfjs', ...ENGINE_PREFERENCE, 'reference'];
const TFJS: readonly TfjsBackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

export function parseEngineChoice(value: string | undefined): EngineChoice {
  const v = (value ?? 'auto') as EngineChoice;
  if (!CHOICES.includes(v)) throw new PortafilterError(`--engine expects one of ${CHOICES.join(', ')}, got '${value}'`);
  return v;
}

export function parseOrdering(value: string | undefined): Ordering {
  const v = value ?? 'channels_last';
  if (v !== 'channels_last' && v !== 'channels_first')
    throw new PortafilterError(`--ordering expects channels_last (TensorFlow) or channels_first (Theano), got '${value}'`);
  return v;
}

export interface EngineOptions {
  engine?: EngineChoice;
  ordering?: Ordering;
  flipKernels?: boolean;
}

/** Why an engine was passed over, for the report. */
export interface SkippedEngine {
  name: EngineName;
  reason: string;
}

async function available(name: EngineName): Promise<string | undefined> {
  try {
    if (name === 'onnxruntime') await loadOrt();
    else if (name !== 'reference') await useTfjsBackend(name);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function make(model: CaffeNet, name: EngineName, options: EngineOptions): Promise<Engine> {
  const ordering = options.ordering ?? 'channels_last';
  if (name === 'reference') return createReferenceEngine(model);
  if (name === 'onnxruntime') {
    if (options.flipKernels) throw new PortafilterError('the kernel flip is for Keras models on true-convolution backends; onnxruntime runs the ONNX form');
    // The boundary layout changes no value (results come back in Caffe's layout); NCHW spares the transposes.
    return createOnnxEngine(model, { ordering: 'channels_first' });
  }
  const spec = buildKerasModel(model, { ordering, flipKernels: options.flipKernels });
  return createTfjsEngine(model, spec, name);
}

/** The engine to run `model` on, with the engines `auto` passed over and why. */
export async function createEngine(model: CaffeNet, options: EngineOptions = {}): Promise<Engine & { skipped: SkippedEngine[] }> {
  const choice = options.engine ?? 'auto';
  const candidates: readonly EngineName[] = choice === 'auto' ? ENGINE_PREFERENCE : choice === 'tfjs' ? TFJS : [choice];
  const skipped: SkippedEngine[] = [];
  for (const name of candidates) {
    const reason = await available(name);
    if (reason === undefined) return Object.assign(await make(model, name, options), { skipped });
    if (candidates.length === 1) throw new PortafilterError(`the ${name} engine is not available here: ${reason}`);
    skipped.push({ name, reason });
  }
  throw new PortafilterError(`no engine runs here: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
