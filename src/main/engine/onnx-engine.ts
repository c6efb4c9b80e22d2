/**
 * The onnxruntime engine: the model exported to ONNX (src/main/export/onnx.ts) and run by
 * onnxruntime-node on the CPU. Two sessions, each made on first use: a plain one (net outputs only,
 * so onnxruntime may fuse freely) and one that outputs every layer. Inputs arrive and outputs leave in
 * Caffe's layout; with `channels_last` the exported graph takes and gives NHWC 4-D tensors, and the
 * engine converts at its edges.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import type * as OrtModule from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { PortafilterError } from '../../shared/errors.js';
import { invertPerm, transposeData } from '../../shared/tensor.js';
import { toOnnx, type OnnxExport, type OnnxValue } from '../export/onnx.js';
import type { Ordering } from '../keras/spec.js';
import { layerDef } from '../layers/index.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import type { Engine, LayerOutput, RunOptions, RunResult } from './types.js';

type Ort = typeof OrtModule;

export interface OnnxEngineOptions {
  /** The exported graph's ordering (default channels_first: plain NCHW, no boundary transposes). */
  ordering?: Ordering;
  /** onnxruntime's intra-op threads (default: the machine's cores). */
  threads?: number;
  /** Graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

let ortModule: Promise<Ort> | undefined;
/** onnxruntime-node, loaded on first use (its native binding may be missing on some installs). */
export const loadOrt = (): Promise<Ort> =>
  (ortModule ??= import('onnxruntime-node').then((m) => ('InferenceSession' in m ? m : (m as unknown as { default: Ort }).default)));

export function onnxRuntimeVersion(): string {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

interface Prepared {
  exported: OnnxExport;
  session: InferenceSession;
}

export function createOnnxEngine(model: CaffeNet, options: OnnxEngineOptions = {}): Engine {
  const ordering = options.ordering ?? 'channels_first';
  const threads = options.threads ?? availableParallelism();
  const optimization = options.optimization ?? 'all';
  const detail = `onnxruntime-node ${onnxRuntimeVersion()} (CPU, ${threads} thread${threads === 1 ? '' : 's'})`;
  const sessions = new Map<boolean, Promise<Prepared>>();
  let disposed = false;

  const prepare = (capture: boolean): Promise<Prepared> => {
    let p = sessions.get(capture);
    if (!p) {
      p = (async () => {
        const ort = await loadOrt();
        const exported = toOnnx(model, { ordering, captureAll: capture, fastPaths: true });
        const session = await ort.InferenceSession.create(exported.bytes, {
          executionProviders: ['cpu'],
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: optimization,
          enableCpuMemArena: true,
          enableMemPattern: true,
          // Pool threads spin while a run lasts but stop when it returns: the two sessions have a pool
          // each, and one's spinning threads would otherwise slow the other down by a third.
          extra: { session: { force_spinning_stop: '1' } },
        });
        return { exported, session };
      })();
      sessions.set(capture, p);
      p.catch(() => sessions.delete(capture));
    }
    return p;
  };

  const roles = model.graph.layers.map((l) => layerDef(l.type)?.role);

  return {
    name: 'onnxruntime',
    detail,
    async run(inputs: Record<string, Blob>, runOptions: RunOptions = {}): Promise<RunResult> {
      if (disposed) throw new Error('the onnxruntime engine has been disposed');
      const capture = runOptions.capture ?? true;
      runOptions.signal?.throwIfAborted();
      const t0 = performance.now();
      const ort = await loadOrt();
      const { exported, session } = await prepare(capture);
      runOptions.signal?.throwIfAborted();

      const feeds: Record<string, Tensor> = {};
      for (const v of exported.inputs) {
        const blob = inputs[v.blob];
        if (!blob) throw new PortafilterError(`no value given for the net input '${v.blob}' (inputs: ${exported.inputs.map((i) => i.blob).join(', ')})`);
        const ok = blob.shape.length === v.caffeShape.length && v.dims.every((d, i) => typeof d !== 'number' || blob.shape[v.perm[i]] === d);
        if (!ok)
          throw new PortafilterError(`input '${v.blob}' has shape [${blob.shape.join(', ')}], the model takes [${v.perm.map((p, i) => (typeof v.dims[i] === 'number' ? v.dims[i] : blob.shape[p])).join(', ')}] (Caffe layout)`);
        feeds[v.name] = new ort.Tensor('float32', transposeData(blob.data, blob.shape, v.perm), v.perm.map((p) => blob.shape[p]));
      }
      const results = await session.run(feeds);
      runOptions.signal?.throwIfAborted();

      const converted = new Map<string, Blob>();
      const caffeValue = (v: OnnxValue): Blob => {
        let b = converted.get(v.name);
        if (!b) {
          const t = results[v.name];
          const dims = t.dims.map(Number);
          const back = invertPerm(v.perm);
          b = { shape: back.map((p) => dims[p]), data: transposeData(t.data as Float32Array, dims, back) };
          converted.set(v.name, b);
        }
        return b;
      };

      const outputs = exported.outputs.map((v) => ({ blob: v.blob, value: caffeValue(v) }));
      const layers: LayerOutput[] = [];
      if (capture) {
        const byLayer = new Map(exported.captures.map((c) => [c.layer, c]));
        for (const layer of model.graph.layers) {
          if (roles[layer.index] === 'data') {
            const tops = layer.outputs
              .map((id) => exported.inputs.find((v) => v.tensor === id))
              .filter((v): v is OnnxValue => v !== undefined)
              .map((v) => ({ blob: v.blob, value: inputs[v.blob] }));
            layers.push({ layer: layer.name, type: layer.type, tops });
          } else {
            const c = byLayer.get(layer.name);
            if (c) layers.push({ layer: layer.name, type: layer.type, tops: c.tops.map((v) => ({ blob: v.blob, value: caffeValue(v) })) });
          }
        }
      } else {
        for (const v of exported.outputs) {
          const layer = model.graph.layers[model.graph.tensors[v.tensor].producer];
          let entry = layers.find((l) => l.layer === layer.name);
          if (!entry) layers.push((entry = { layer: layer.name, type: layer.type, tops: [] }));
          entry.tops.push({ blob: v.blob, value: caffeValue(v) });
        }
      }
      return { engine: 'onnxruntime', engineDetail: detail, form: 'onnx', ordering, layers, outputs, milliseconds: performance.now() - t0 };
    },
    dispose(): void {
      disposed = true;
      for (const p of sessions.values()) p.then((s) => s.session.release()).catch(() => undefined);
      sessions.clear();
    },
  };
}
