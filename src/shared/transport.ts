/**
 * The wire protocol of the local web host: one WebSocket carrying every call of `methods`.
 *
 *   client -> server   {id, method, request}        start a call
 *                      {id, cancel: true}           abort it
 *   server -> client   {id, progress}  ...          zero or more
 *                      {id, result} | {id, error}   exactly one, last
 *
 * Both ends validate what they receive with the schemas below. The protocol never names a method,
 * so adding one to src/shared/api.ts needs no change here.
 */
import { z } from 'zod';
import { methods, type Method } from './api.js';
import { CALL_ID_PATTERN } from './bridge.js';
import type { ErrorCode, SerializedError } from './errors.js';

export const CallId = z.string().regex(CALL_ID_PATTERN);

/** Own keys only: `methods` is a plain object, and 'toString' or '__proto__' must not pass as methods. */
export const isMethod = (name: unknown): name is Method => typeof name === 'string' && Object.hasOwn(methods, name);

export const ProgressSchema = z.object({
  stage: z.string().max(1000),
  fraction: z.number().min(0).max(1).optional(),
});

const ERROR_CODES = [
  'CaffeParseError',
  'CaffeModelError',
  'UnsupportedLayerError',
  'NetGraphError',
  'ShapeError',
  'BlobShapeMismatchError',
  'MeanFileError',
  'NpyError',
  'EngineError',
  'KerasConversionError',
  'PortafilterError',
] as const satisfies readonly ErrorCode[];
// Fails to compile when errors.ts gains a code this list lacks.
type MissingCodes = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const allCodesListed: MissingCodes extends never ? true : never = true;
void allCodesListed;

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);

export const SerializedErrorSchema = z.object({
  // An older client meeting a newer code still shows the message; it just loses the specific code.
  code: z.enum(ERROR_CODES).catch('PortafilterError'),
  message: z.string(),
  location: z
    .object({
      file: z.string().optional(),
      line: z.number().optional(),
      column: z.number().optional(),
      offset: z.number().optional(),
      layer: z.string().optional(),
      field: z.string().optional(),
    })
    .optional(),
  details: z.unknown().optional(),
}) satisfies z.ZodType<SerializedError>;

/** A message the host accepts. Strict: unknown keys mean a confused or hostile client. */
export const ClientMessage = z.union([
  z.strictObject({ id: CallId, method: z.string().min(1).max(64), request: z.unknown() }),
  z.strictObject({ id: CallId, cancel: z.literal(true) }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Order matters: a `result` of undefined arrives as `{id}`, so the result form is tried last. */
export const ServerMessage = z.union([
  z.strictObject({ id: CallId, progress: ProgressSchema }),
  z.strictObject({ id: CallId, error: SerializedErrorSchema }),
  z.strictObject({ id: CallId, result: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** The WebSocket endpoint and the token's query parameter, shared by host and client. */
export const API_PATH = '/api';
export const TOKEN_PARAM = 'token';

// Typed arrays do not survive JSON (a Float32Array becomes {"0":..,"1":..}); results holding
// tensors cross the socket tagged and base64-encoded, and are rebuilt on the other side.
const TYPED_TAG = '$portafilter:typed';
const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
const isTypedArrayName = (name: unknown): name is TypedArrayName => typeof name === 'string' && Object.hasOwn(TYPED_ARRAYS, name);

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunked: String.fromCharCode(...hugeArray) overflows the argument stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name;
    if (isTypedArrayName(name)) {
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      return { [TYPED_TAG]: name, data: bytesToBase64(bytes) };
    }
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && TYPED_TAG in value) {
    const tagged = value as Record<string, unknown>;
    const name = tagged[TYPED_TAG];
    if (isTypedArrayName(name) && typeof tagged.data === 'string') {
      const bytes = base64ToBytes(tagged.data);
      const Ctor = TYPED_ARRAYS[name];
      // A fresh buffer starting at offset 0, so the view's element alignment holds; a byte count
      // that is not a whole number of elements throws, and the message is refused as malformed.
      return new Ctor(bytes.buffer);
    }
  }
  return value;
}

export const encodeWire = (message: unknown): string => JSON.stringify(message, replacer);
export const decodeWire = (text: string): unknown => JSON.parse(text, reviver) as unknown;
