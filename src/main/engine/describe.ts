/** What a run ran, in the user's words: which form of the model, in which ordering, on which backend. */
import { DEFAULT_ORDERING, type RunResult } from './types.js';

/** e.g. "the Keras model in channels_last on tfjs wasm (SIMD, 2 threads)". */
export function describeRun(r: Pick<RunResult, 'form' | 'ordering' | 'flipKernels' | 'engineDetail'>): string {
  if (r.form === 'reference') return `the Caffe-semantics reference in Caffe's layout N,C,H,W (${r.engineDetail})`;
  const ordering = r.ordering ?? DEFAULT_ORDERING;
  if (r.form === 'onnx')
    return `the ONNX form of the model in ${ordering} (${ordering === 'channels_last' ? 'NHWC' : 'NCHW'} inputs and outputs) on ${r.engineDetail}`;
  const flip = r.flipKernels ? ', kernels flipped 180° and run as a true-convolution backend runs them,' : '';
  return `the Keras model in ${ordering}${flip} on ${r.engineDetail}`;
}
