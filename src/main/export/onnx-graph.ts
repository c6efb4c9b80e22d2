/**
 * An ONNX graph under construction: nodes in topological order, initializers, and one namespace for
 * every value (inputs, initializers, node outputs) so generated names never collide.
 */
import type { OnnxAttribute } from '../layers/types.js';
import { AttributeType, DataType, type AttributeProto, type NodeProto, type TensorProto } from './onnx-schema.js';

/** The default ONNX opset the layers' `onnx` members target, and the IR version that goes with it. */
export const OPSET = 17;
export const IR_VERSION = 8;

export function attribute(name: string, value: OnnxAttribute): AttributeProto {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`ONNX attribute ${name}: ${value} is not an integer (wrap floats as { float })`);
    return { name, type: AttributeType.INT, i: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    const ints = value as readonly number[];
    if (!ints.every(Number.isInteger)) throw new Error(`ONNX attribute ${name}: [${ints.join(', ')}] are not all integers`);
    return { name, type: AttributeType.INTS, ints: [...ints] };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.FLOATS, floats: [...(value as { floats: readonly number[] }).floats] };
}

/** A tensor's bytes: float32 or int64, little-endian (the typed array's own bytes on this platform). */
export function tensorProto(name: string, values: Float32Array | readonly number[], shape: readonly number[], type: 'float32' | 'int64' = 'float32'): TensorProto {
  const n = shape.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`constant ${name}: ${values.length} values for shape [${shape.join(', ')}]`);
  let raw: Uint8Array;
  if (type === 'int64') {
    const a = BigInt64Array.from(values as readonly number[], (v) => BigInt(v));
    raw = new Uint8Array(a.buffer);
  } else {
    const a = values instanceof Float32Array ? values : Float32Array.from(values);
    raw = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  }
  return { name, dims: [...shape], data_type: type === 'int64' ? DataType.INT64 : DataType.FLOAT, raw_data: raw };
}

export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  /** Which node produces each value (absent for inputs and initializers). */
  readonly producers = new Map<string, NodeProto>();

  has(name: string): boolean {
    return this.used.has(name);
  }

  /** Claims `name` exactly; it must be free. */
  claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX value name '${name}' is used twice`);
    this.used.add(name);
    return name;
  }

  /** `base`, or `base_2`, `base_3`, ... whichever is free first; claimed. */
  fresh(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node whose outputs are already claimed names. */
  add(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Record<string, OnnxAttribute> = {}, name?: string, doc?: string): NodeProto {
    const node: NodeProto = {
      name: this.nodeName(name ?? outputs[0] ?? opType),
      op_type: opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
      ...(doc ? { doc_string: doc } : {}),
    };
    this.nodes.push(node);
    for (const o of outputs) this.producers.set(o, node);
    return node;
  }

  constant(name: string, values: Float32Array | readonly number[], shape: readonly number[], type: 'float32' | 'int64' = 'float32'): string {
    this.initializers.push(tensorProto(name, values, shape, type));
    return name;
  }

  private readonly nodeNames = new Set<string>();
  private nodeName(base: string): string {
    let name = base;
    for (let i = 2; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }
}
