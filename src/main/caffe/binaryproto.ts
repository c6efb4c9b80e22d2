/**
 * A .binaryproto: one `caffe.BlobProto` in a file, as Caffe's `compute_image_mean` writes mean images.
 * Read with the caffemodel reader's blob walker: the same checks, the data read straight into a Float32Array.
 */
import { BytesSource, FileSource, readBlobProto, type WeightBlob } from './caffemodel.js';

/** Reads a .binaryproto file. Faults are CaffeModelError with the byte offset. */
export function readBinaryProto(path: string): WeightBlob {
  const src = FileSource.open(path);
  try {
    return readBlobProto(src, path);
  } finally {
    src.close();
  }
}

/** Parses a .binaryproto already in memory. */
export function parseBinaryProto(bytes: Uint8Array, file: string): WeightBlob {
  return readBlobProto(new BytesSource(bytes), file);
}
