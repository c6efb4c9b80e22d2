/**
 * ONNX's schema (proto/onnx.proto: ONNX's own message, field and enum names and numbers), loaded
 * once with protobufjs, field names kept as ONNX spells them, and the plain-object forms of the
 * messages Portafilter writes.
 */
import protobuf from 'protobufjs';
import { readFileSync } from 'node:fs';
import { protoPath } from '../paths.js';

let root: protobuf.Root | undefined;

export function onnxSchema(): protobuf.Root {
  if (root) return root;
  const parsed = protobuf.parse(readFileSync(protoPath('onnx.proto'), 'utf8'), new protobuf.Root(), { keepCase: true });
  parsed.root.resolveAll();
  return (root = parsed.root);
}

/** A message type of onnx.proto by its short name ('ModelProto'). */
export const onnxType = (name: string): protobuf.Type => onnxSchema().lookupType(`onnx.${name}`);

/** TensorProto.DataType values Portafilter uses. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface TensorProto {
  name: string;
  dims: number[];
  data_type: number;
  /** Little-endian, fixed width, row-major. */
  raw_data: Uint8Array;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
}

export interface NodeProto {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
  doc_string?: string;
}

/** A dimension: a size, a named symbol ('N'), or null for an unknown size. */
export type Dim = number | string | null;

export interface ValueInfoProto {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: { dim_value?: number; dim_param?: string }[] } } };
  doc_string?: string;
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  doc_string?: string;
}

export interface ModelProto {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: GraphProto;
  metadata_props?: { key: string; value: string }[];
}

export const valueInfo = (name: string, dims: readonly Dim[], elemType: number = DataType.FLOAT, doc?: string): ValueInfoProto => ({
  name,
  type: {
    tensor_type: {
      elem_type: elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})) },
    },
  },
  ...(doc ? { doc_string: doc } : {}),
});

/** Serialises a model; the initializers' raw_data are copied once, into the output. */
export function encodeModel(model: ModelProto): Uint8Array {
  return onnxType('ModelProto').encode(model as unknown as protobuf.Message).finish();
}

/** Reads a model back (tests and tools): int64 as numbers, enums as numbers, bytes as Uint8Array. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const type = onnxType('ModelProto');
  return type.toObject(type.decode(bytes), { longs: Number, enums: Number, bytes: Uint8Array as unknown as StringConstructor, defaults: false, arrays: true }) as ModelProto;
}
