/**
 * Mean images for preprocessing: a Caffe .binaryproto (BlobProto, as compute_image_mean writes it) or a
 * NumPy .npy (as python/caffe/imagenet/ilsvrc_2012_mean.npy). The format is recognised by content.
 * Accepted shapes: (C,H,W), (1,C,H,W), and per-channel means (C,) or (C,1,1).
 */
import { closeSync, readSync } from 'node:fs';
import { MeanFileError, PortafilterError } from '../../shared/errors.js';
import { readBinaryProto } from './binaryproto.js';
import { openInputFile } from './input-file.js';
import { isNpy, npyToFloat32, readNpy } from './npy.js';

export interface MeanImage {
  file: string;
  /** C, H, W (H = W = 1 for a per-channel mean) */
  shape: [number, number, number];
  /** C·H·W values, C order, in the file's channel order (BGR for Caffe means) */
  data: Float32Array;
  /** the average over H and W of each channel */
  channelMean: number[];
}

const fmt = (s: readonly number[]): string => `(${s.join(', ')})`;

/** The (C,H,W) a mean of shape `shape` stands for, or a MeanFileError saying why not. */
function meanShape(file: string, shape: readonly number[], legacy: boolean): [number, number, number] {
  const fail = (reason: string): never => {
    throw new MeanFileError(reason, { file, field: legacy ? 'num, channels, height, width' : 'shape' });
  };
  let s = [...shape];
  if (s.length === 4) {
    if (s[0] !== 1) fail(`holds ${s[0]} mean images (${legacy ? 'num' : 'first dimension'} ${s[0]}, shape ${fmt(s)}); a mean file holds one`);
    s = s.slice(1);
  }
  if (s.length === 1) s = [s[0], 1, 1];
  if (s.length !== 3) fail(`has shape ${fmt(shape)}; a mean must be (C,H,W), (1,C,H,W), (C,) or (C,1,1)`);
  if (s.some((d) => d === 0)) fail(`has an empty shape ${fmt(shape)}`);
  if (s[2] <= 4 && s[0] > 4 && s[1] > 4)
    fail(`has shape ${fmt(shape)}, which looks like H,W,C; Caffe means are C,H,W (transpose it: np.transpose(m, (2, 0, 1)))`);
  return s as [number, number, number];
}

function channelMeans(shape: [number, number, number], data: Float32Array): number[] {
  const [c, h, w] = shape;
  const plane = h * w;
  const out: number[] = [];
  for (let k = 0; k < c; k++) {
    let sum = 0;
    for (let i = k * plane, end = i + plane; i < end; i++) sum += data[i];
    out.push(sum / plane);
  }
  return out;
}

/** Whether the file starts like a .npy; it must be a regular file (see openInputFile), else a MeanFileError says what it is. */
function startsWithNpyMagic(path: string): boolean {
  const head = new Uint8Array(6);
  const { fd } = openInputFile(path, (reason, cause) => {
    const e = new MeanFileError(reason, { file: path });
    if (cause !== undefined) e.cause = cause;
    return e;
  });
  try {
    readSync(fd, head, 0, 6, 0);
  } catch (err) {
    const e = new MeanFileError(`cannot read: ${(err as Error).message}`, { file: path });
    e.cause = err;
    throw e;
  } finally {
    closeSync(fd);
  }
  return isNpy(head);
}

/** Reads a mean file (.binaryproto or .npy, by content). Every fault is a MeanFileError. */
export function readMeanSync(path: string): MeanImage {
  try {
    let shape: number[], data: Float32Array, legacy = false;
    if (startsWithNpyMagic(path)) {
      const npy = readNpy(path);
      shape = npy.shape;
      data = npyToFloat32(npy);
    } else {
      const blob = readBinaryProto(path);
      ({ shape, data, legacy } = blob);
    }
    const chw = meanShape(path, shape, legacy);
    // Refused here, where the fault is: later, preprocessing would blame the image for a NaN input.
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const [, h, w] = chw;
      const at = [Math.floor(bad / (h * w)), Math.floor(bad / w) % h, bad % w];
      throw new MeanFileError(`holds ${data[bad]} at (${at.join(', ')}) (C, H, W) as float32: a mean must be finite numbers`, { file: path, field: 'data' });
    }
    return { file: path, shape: chw, data, channelMean: channelMeans(chw, data) };
  } catch (err) {
    if (err instanceof MeanFileError || !(err instanceof PortafilterError)) throw err;
    // a CaffeModelError / NpyError from the format reader, reported as what it is to the caller: a bad mean file
    const e = new MeanFileError(err.reason, err.location, err.details);
    e.cause = err;
    throw e;
  }
}

/** Reads a mean file (.binaryproto or .npy, by content). Every fault is a MeanFileError. */
export async function readMean(path: string): Promise<MeanImage> {
  return readMeanSync(path);
}
