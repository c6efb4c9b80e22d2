/**
 * Turning an image into a net input the way pycaffe's `caffe.io.Transformer.preprocess` does
 * (python/caffe/io.py): the image as floats in [0, 1] (RGB, `caffe.io.load_image`), resized to the
 * input's H×W, transposed to C,H,W, channels swapped RGB→BGR, multiplied by `raw_scale`, the mean
 * subtracted, multiplied by `input_scale`. A `.npy` input is taken as is (Caffe layout, N,C,H,W).
 * Arithmetic is done in float64 and rounded to float32 once at the end, so power-of-two recipes
 * (LeNet's x/256, MTCNN's (x-127.5)/128) reproduce exactly.
 */
import { PortafilterError } from '../../shared/errors.js';
import { readInputFile } from '../caffe/input-file.js';
import { readMean } from '../caffe/mean.js';
import { npyToFloat32, readNpy } from '../caffe/npy.js';
import type { Blob } from '../layers/types.js';

export interface Image {
  height: number;
  width: number;
  /** 1 (gray) or 3 (RGB). */
  channels: 1 | 3;
  /** H·W·C values in [0, 1], row-major, as skimage.img_as_float gives them. */
  data: Float64Array;
}

export interface TransformOptions {
  /** The net input's shape, N,C,H,W; N is ignored (one image). */
  shape: readonly number[];
  /** Swap RGB to BGR, as Caffe models trained from OpenCV-read images expect (default true). */
  bgr?: boolean;
  /** Multiplies the [0, 1] image (default 255: back to pixel values). */
  rawScale?: number;
  /** Subtracted after raw_scale: a mean file (.binaryproto / .npy) or one value per channel, in the net's channel order. */
  /** `values` named as the caller names them in messages ('--mean-values' on the command line; 'the mean values' by default). */
  mean?: { file: string } | { values: number[]; name?: string };
  /** Multiplies the result last (e.g. 0.017, or LeNet's 1/256). */
  inputScale?: number;
}

/** skimage.color.rgb2gray's weights (ITU-R BT.709), which caffe.io.load_image(color=False) uses. */
const GRAY = [0.2125, 0.7154, 0.0721];

/**
 * Decodes a JPEG/PNG/... with sharp into floats in [0, 1]; alpha is dropped. Embedded colour profiles
 * and EXIF orientation are ignored, as skimage.io.imread (pycaffe) and OpenCV's decoders ignore profiles.
 */
export async function loadImage(path: string): Promise<Image> {
  // Read here, not by sharp: libvips opens the path itself and would wait forever on a FIFO.
  const bytes = readInputFile(path, (reason, cause) => {
    const e = new PortafilterError(`cannot read the image: ${reason.replace(/^cannot read: /, '')}`, { file: path });
    if (cause !== undefined) e.cause = cause;
    return e;
  });
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // sharp (libvips) is loaded on the first image: runs on .npy inputs never pay for it.
    const { default: sharp } = await import('sharp');
    raw = await sharp(bytes, { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new PortafilterError(`cannot read the image: ${(e as Error).message}`, { file: path });
  }
  const { width, height, channels } = raw.info;
  if (channels !== 1 && channels !== 3) throw new PortafilterError(`has ${channels} channels; expected 1 (gray) or 3 (RGB)`, { file: path });
  const data = new Float64Array(raw.data.length);
  for (let i = 0; i < data.length; i++) data[i] = raw.data[i] / 255;
  return { height, width, channels, data };
}

/**
 * Bilinear resize with pixel-centre alignment and edge clamping: skimage.transform.resize(order=1)
 * as caffe.io.resize_image calls it, without anti-aliasing.
 */
export function resizeBilinear(img: Image, height: number, width: number): Image {
  if (img.height === height && img.width === width) return img;
  const { channels: c } = img;
  const out = new Float64Array(height * width * c);
  const sy = img.height / height;
  const sx = img.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      for (let k = 0; k < c; k++) {
        const at = (yy: number, xx: number): number => img.data[(yy * img.width + xx) * c + k];
        const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
        const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
        out[(y * width + x) * c + k] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return { height, width, channels: c, data: out };
}

/** The Transformer's steps on a decoded image; returns a 1,C,H,W blob. */
export async function transformImage(img: Image, options: TransformOptions): Promise<Blob> {
  const [, channels, height, width] = options.shape;
  if (options.shape.length !== 4 || (channels !== 1 && channels !== 3))
    throw new PortafilterError(`an image can feed a 1×1×H×W or 1×3×H×W input, not ${options.shape.join('×')}; pass a .npy instead`);
  const resized = resizeBilinear(img, height, width);
  const rawScale = options.rawScale ?? 255;
  const inputScale = options.inputScale ?? 1;
  const bgr = options.bgr ?? true;
  const mean = await meanFor(options.mean, channels, height, width);
  const plane = height * width;
  const out = new Float32Array(channels * plane);
  for (let ch = 0; ch < channels; ch++) {
    // The image channel feeding net channel ch: RGB -> BGR reverses them.
    const src = channels === 3 && bgr ? 2 - ch : ch;
    for (let p = 0; p < plane; p++) {
      let v: number;
      if (channels === 1 && resized.channels === 3) {
        const q = p * 3;
        v = GRAY[0] * resized.data[q] + GRAY[1] * resized.data[q + 1] + GRAY[2] * resized.data[q + 2];
      } else if (channels === 3 && resized.channels === 1) {
        v = resized.data[p];
      } else {
        v = resized.data[p * channels + src];
      }
      v *= rawScale;
      if (mean) v -= mean.data.length === channels ? mean.data[ch] : mean.data[ch * plane + p];
      out[ch * plane + p] = v * inputScale;
    }
  }
  return { shape: [1, channels, height, width], data: out };
}

async function meanFor(
  mean: TransformOptions['mean'],
  channels: number,
  height: number,
  width: number,
): Promise<{ data: Float64Array | number[] } | undefined> {
  if (!mean) return undefined;
  if ('values' in mean) {
    if (mean.values.length !== channels && mean.values.length !== 1)
      throw new PortafilterError(`${mean.name ?? 'the mean values'} give${mean.name?.startsWith('--') ? 's' : ''} ${mean.values.length} values for a ${channels}-channel input`);
    return { data: mean.values.length === 1 ? Array(channels).fill(mean.values[0]) : mean.values };
  }
  const m = await readMean(mean.file);
  if (m.shape[0] !== channels)
    throw new PortafilterError(`the mean has ${m.shape[0]} channels, the net input ${channels}`, { file: mean.file, field: 'shape' });
  // Transformer.set_mean takes a full C,H,W mean only at the input's size; otherwise the per-channel mean.
  if (m.shape[1] === height && m.shape[2] === width) return { data: Float64Array.from(m.data) };
  return { data: m.channelMean };
}

/** A `.npy` input in Caffe layout, checked against the net input's shape. */
export function readInputNpy(path: string, shape?: readonly number[]): Blob {
  const npy = readNpy(path);
  const data = npyToFloat32(npy);
  if (shape && (npy.shape.length !== shape.length || npy.shape.some((d, i) => d !== shape[i] && !(i === 0 && d > 0))))
    throw new PortafilterError(`has shape (${npy.shape.join(', ')}); the net input is (${shape.join(', ')}) in Caffe's N,C,H,W layout`, {
      file: path,
    });
  return { shape: [...npy.shape], data };
}
