/** The ONNX export as a file: the model toOnnx builds, in the ordering asked for. */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { placeExport } from './atomic.js';
import { toOnnx } from './onnx.js';
import { OPSET } from './onnx-graph.js';
import type { ExportContext, ExportResult } from './types.js';

/** protobuf's limit: larger models would need ONNX's external-data files. */
const MAX_BYTES = 2 ** 31 - 1;

export async function writeOnnx(ctx: ExportContext): Promise<ExportResult> {
  const { model, options } = ctx;
  if (options.flipKernels) throw new PortafilterError('the 180° kernel flip is for Keras models on true-convolution backends; ONNX convolution is cross-correlation, as Caffe');
  ctx.progress('building the ONNX graph', 0);
  const exported = toOnnx(model, { ordering: options.ordering });
  if (exported.bytes.length > MAX_BYTES)
    throw new PortafilterError(`the ONNX model would be ${(exported.bytes.length / 2 ** 30).toFixed(1)} GiB; protobuf files stop at 2 GiB (external data is not supported yet)`);
  const place = (v: { name: string; blob: string; perm: number[] }) => ({ name: v.name, blob: v.blob, perm: [...v.perm] });
  ctx.written = { inputs: exported.inputs.map(place), outputs: exported.outputs.map(place) };
  ctx.checkCancelled();
  ctx.progress('writing', 0.5);
  const placed = await placeExport({ out: options.out, kind: 'file', format: 'onnx', force: options.force }, async (staging) => {
    writeFileSync(staging.model, exported.bytes);
    return { value: undefined, files: [basename(staging.model)] };
  });
  return {
    format: 'onnx',
    files: placed.files,
    customLayers: [],
    notes: [
      `opset ${OPSET}, ${options.ordering === 'channels_last' ? 'NHWC inputs and 4-D outputs (NCHW inside)' : 'NCHW'}; inputs ${exported.inputs.map((i) => `${i.name} [${i.dims.join(', ')}]`).join(', ')}`,
      ...placed.notes,
    ],
  };
}
