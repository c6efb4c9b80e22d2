/**
 * Exporting a converted model: one file per format in this folder; this picks the writer. Each writer
 * is imported when its format is asked for, so h5wasm, esbuild and TF.js load only for the formats that need them.
 */
import { PortafilterError } from '../../shared/errors.js';
import { buildKerasModel } from '../keras/build.js';
import type { CaffeNet } from '../net/model.js';
import { requireKnownShapes } from '../net/shapes.js';
import { checkExportTarget } from './atomic.js';
import type { ExportContext, ExportFormat, ExportOptions, ExportResult } from './types.js';

export type { ExportFormat, ExportOptions, ExportResult } from './types.js';
export type { Verification, VerifyInput } from './verify.js';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['keras', 'h5', 'tfjs', 'onnx', 'npy'];

/** What each format writes at `out`: one file (its companions beside it), or a folder. */
export const EXPORT_KINDS: Record<ExportFormat, 'file' | 'dir'> = { keras: 'file', h5: 'file', tfjs: 'dir', onnx: 'file', npy: 'dir' };

export function parseExportFormat(value: string | undefined): ExportFormat {
  if (!EXPORT_FORMATS.includes(value as ExportFormat))
    throw new PortafilterError(`--format expects one of ${EXPORT_FORMATS.join(', ')}, got '${value ?? ''}'`);
  return value as ExportFormat;
}

export async function exportModel(model: CaffeNet, options: ExportOptions & { mean?: string }): Promise<ExportResult> {
  if (options.flipKernels && options.ordering !== 'channels_first')
    throw new PortafilterError('the 180° kernel flip is only for channels_first (Theano) models');
  if (model.weights.size === 0) throw new PortafilterError('give the trained weights (a .caffemodel or a .npy folder) to export', { file: model.prototxt });
  requireKnownShapes(model.shapes, 'exporting');
  checkExportTarget({ out: options.out, kind: EXPORT_KINDS[options.format], format: options.format, force: options.force });
  const ctx: ExportContext = {
    model,
    options,
    progress: (stage, fraction) => options.onProgress?.(stage, fraction),
    checkCancelled: () => {
      if (options.signal?.aborted) throw new PortafilterError('the export was cancelled');
    },
  };
  const keras = options.format === 'keras' || options.format === 'h5' || options.format === 'tfjs';
  if (keras) {
    ctx.progress('converting to Keras', 0);
    ctx.spec = buildKerasModel(model, { ordering: options.ordering, flipKernels: options.flipKernels });
  }
  const result = await write(ctx, options.mean);
  if (options.verify) {
    const { verifyExport } = await import('./verify.js');
    result.verification = await verifyExport(ctx, result, options.verify === true ? undefined : options.verify);
  }
  return result;
}

async function write(ctx: ExportContext, mean?: string): Promise<ExportResult> {
  switch (ctx.options.format) {
    case 'keras':
      return (await import('./keras.js')).writeKeras(ctx);
    case 'h5':
      return (await import('./h5.js')).writeH5(ctx);
    case 'tfjs':
      return (await import('./tfjs.js')).writeTfjs(ctx);
    case 'onnx':
      return (await import('./onnx-file.js')).writeOnnx(ctx);
    case 'npy':
      return (await import('./npy.js')).writeNpyWeights(ctx, mean);
  }
}
