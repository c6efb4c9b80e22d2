/**
 * Which TensorFlow.js backend runs the converted model: tfjs-node-gpu > tfjs-node > wasm > cpu.
 * Each candidate is imported dynamically and kept only if it really initialises: tfjs-node is an
 * optional dependency whose native addon may be missing or built for another Node (its import then
 * throws), and wasm needs its .wasm binaries. The choice can be forced (option or
 * PORTAFILTER_TFJS_BACKEND) and is reported with its settings, e.g. "tfjs wasm (SIMD, 1 thread)".
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

// Production mode: no debug checks, and no "install tfjs-node" banner on the console of a CLI.
tf.env().set('PROD', true);
import { EngineError } from '../../shared/errors.js';

export type TfjsBackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export const TFJS_BACKEND_PREFERENCE: readonly TfjsBackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

export interface TfjsBackend {
  name: TfjsBackendName;
  /** The tfjs-core backend name to `tf.setBackend` (tfjs-node registers 'tensorflow'). */
  tfName: string;
  /** e.g. "tfjs wasm (SIMD, 1 thread)". */
  detail: string;
}

export interface BackendAttempt {
  name: TfjsBackendName;
  error: string;
}

const loaded = new Map<TfjsBackendName, TfjsBackend>();
const failed = new Map<TfjsBackendName, string>();

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** A module specifier TypeScript does not resolve at build time (optional, maybe absent packages). */
const importOptional = (specifier: string): Promise<Record<string, unknown>> => import(specifier) as Promise<Record<string, unknown>>;

async function activate(tfName: string): Promise<void> {
  if (!(await tf.setBackend(tfName))) throw new Error(`tf.setBackend('${tfName}') failed`);
  await tf.ready();
  // A real op proves the kernels run, not only that the backend registered.
  const probe = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.scalar(1)));
  const values = await probe.data();
  probe.dispose();
  if (values[0] !== 2 || values[1] !== 3) throw new Error(`the ${tfName} backend computes wrong values`);
}

async function load(name: TfjsBackendName): Promise<TfjsBackend> {
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      const mod = await importOptional(`@tensorflow/${name}`);
      await activate('tensorflow');
      const version = (mod.version as Record<string, string> | undefined)?.[name] ?? '';
      return { name, tfName: 'tensorflow', detail: `${name}${version ? ` ${version}` : ''} (TensorFlow C library${name === 'tfjs-node-gpu' ? ', CUDA' : ''})` };
    }
    case 'wasm': {
      const wasm = await importOptional('@tensorflow/tfjs-backend-wasm');
      await activate('wasm');
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      const threads = typeof wasm.getThreadsCount === 'function' ? Number((wasm.getThreadsCount as () => number)()) : 1;
      return { name, tfName: 'wasm', detail: `tfjs wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})` };
    }
    case 'cpu':
      await activate('cpu');
      return { name, tfName: 'cpu', detail: 'tfjs cpu (plain JavaScript)' };
  }
}

/** Loads (once) and activates one backend; throws with the reason when it cannot run here. */
export async function useTfjsBackend(name: TfjsBackendName): Promise<TfjsBackend> {
  if (!TFJS_BACKEND_PREFERENCE.includes(name))
    throw new EngineError(`unknown TF.js backend '${String(name)}' (one of ${TFJS_BACKEND_PREFERENCE.join(', ')})`);
  const known = loaded.get(name);
  if (known) {
    if (tf.getBackend() !== known.tfName) await activate(known.tfName);
    return known;
  }
  const previous = failed.get(name);
  if (previous !== undefined) throw new EngineError(`the ${name} backend is not available: ${previous}`);
  try {
    const backend = await load(name);
    loaded.set(name, backend);
    return backend;
  } catch (e) {
    // An optional package that is simply absent says so plainly, not with the importing chunk's path.
    const absent = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && message(e).includes(`'@tensorflow/${name}'`);
    const why = absent ? `not installed (the optional package @tensorflow/${name})` : message(e);
    failed.set(name, why);
    throw new EngineError(`the ${name} backend is not available: ${why}`);
  }
}

/**
 * The backend to run on: `preferred` (or PORTAFILTER_TFJS_BACKEND) when given, which must load, else
 * the first of TFJS_BACKEND_PREFERENCE that does. `attempts` lists those that did not, and why.
 */
export async function selectTfjsBackend(preferred?: TfjsBackendName | 'auto'): Promise<TfjsBackend & { attempts: BackendAttempt[] }> {
  const env = process.env.PORTAFILTER_TFJS_BACKEND;
  const forced = preferred && preferred !== 'auto' ? preferred : env && env !== 'auto' ? (env as TfjsBackendName) : undefined;
  if (forced) return { ...(await useTfjsBackend(forced)), attempts: [] };
  const attempts: BackendAttempt[] = [];
  for (const name of TFJS_BACKEND_PREFERENCE) {
    try {
      return { ...(await useTfjsBackend(name)), attempts };
    } catch (e) {
      attempts.push({ name, error: failed.get(name) ?? message(e) });
    }
  }
  throw new EngineError(`no TF.js backend loads here: ${attempts.map((a) => `${a.name}: ${a.error}`).join('; ')}`);
}
