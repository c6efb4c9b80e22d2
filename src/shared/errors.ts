/**
 * Typed errors shared by every stage and carried unchanged to the CLI and the GUI.
 * Each names the file and the place in it (line:column for text, byte offset for binary,
 * layer and field for the network) so a user can go straight to the fault.
 */

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  /** Byte offset in a binary file. */
  offset?: number;
  layer?: string;
  field?: string;
}

export type ErrorCode =
  | 'CaffeParseError'
  | 'CaffeModelError'
  | 'UnsupportedLayerError'
  | 'NetGraphError'
  | 'ShapeError'
  | 'BlobShapeMismatchError'
  | 'MeanFileError'
  | 'NpyError'
  | 'EngineError'
  | 'KerasConversionError'
  | 'PortafilterError';

export interface SerializedError {
  code: ErrorCode;
  message: string;
  location?: ErrorLocation;
  details?: unknown;
}

export function formatLocation(loc: ErrorLocation | undefined): string {
  if (!loc) return '';
  const parts: string[] = [];
  if (loc.file !== undefined) {
    let where = loc.file;
    if (loc.line !== undefined) where += `:${loc.line}` + (loc.column !== undefined ? `:${loc.column}` : '');
    else if (loc.offset !== undefined) where += `@${loc.offset}`;
    parts.push(where);
  }
  if (loc.layer !== undefined) parts.push(`layer '${loc.layer}'`);
  if (loc.field !== undefined) parts.push(`field '${loc.field}'`);
  return parts.join(', ');
}

export class PortafilterError extends Error {
  readonly code: ErrorCode = 'PortafilterError';
  constructor(
    readonly reason: string,
    readonly location?: ErrorLocation,
    readonly details?: unknown,
  ) {
    const where = formatLocation(location);
    super(where ? `${where}: ${reason}` : reason);
    this.name = new.target.name;
  }
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, location: this.location, details: this.details };
  }
}

/** A .prototxt that is not valid protobuf text format for Caffe's schema. */
export class CaffeParseError extends PortafilterError {
  override readonly code = 'CaffeParseError';
}

/** A .caffemodel / .binaryproto that is not a valid Caffe protobuf binary. */
export class CaffeModelError extends PortafilterError {
  override readonly code = 'CaffeModelError';
}

export interface UnsupportedLayer {
  name: string;
  type: string;
  location?: ErrorLocation;
}

/** Every layer whose type Portafilter cannot handle, reported together. */
export class UnsupportedLayerError extends PortafilterError {
  override readonly code = 'UnsupportedLayerError';
  constructor(readonly layers: UnsupportedLayer[], file?: string) {
    super(
      `${layers.length} unsupported layer${layers.length === 1 ? '' : 's'}: ` +
        layers
          .map((l) => `'${l.name}' (${l.type})` + (l.location?.line !== undefined ? ` at line ${l.location.line}` : ''))
          .join(', '),
      file !== undefined ? { file } : undefined,
      layers,
    );
  }
}

/** Wiring faults: missing bottoms, cycles, duplicate tops. */
export class NetGraphError extends PortafilterError {
  override readonly code = 'NetGraphError';
}

/** A layer whose parameters are inconsistent with its input shapes (Caffe would CHECK-fail). */
export class ShapeError extends PortafilterError {
  override readonly code = 'ShapeError';
}

/**
 * A shape that is not in the file: a data layer that reads a database, a layer type with no rule. A
 * net opened to be looked at (the workbench, `inspect`) shows it and what follows as unknown; anything
 * that computes refuses it with this error.
 */
export class ShapeUnknownError extends ShapeError {}

/** A weight blob in a .caffemodel whose shape differs from what the prototxt implies. */
export class BlobShapeMismatchError extends PortafilterError {
  override readonly code = 'BlobShapeMismatchError';
}

export class MeanFileError extends PortafilterError {
  override readonly code = 'MeanFileError';
}

export class NpyError extends PortafilterError {
  override readonly code = 'NpyError';
}

/** A model that cannot be run as given: a missing or misshapen input, a layer an engine cannot compute. */
export class EngineError extends PortafilterError {
  override readonly code = 'EngineError';
}

/** A Caffe layer (or one of its parameters) the Keras model cannot express; names the layer and the field. */
export class KerasConversionError extends PortafilterError {
  override readonly code = 'KerasConversionError';
}
