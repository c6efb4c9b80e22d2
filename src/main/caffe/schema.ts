import protobuf from 'protobufjs';
import { readFileSync } from 'node:fs';
import { protoPath } from '../paths.js';
import { isMessage, type Message, type Scalar } from './message.js';

// int64 fields (blob dims) become plain numbers: Caffe's dims never reach 2^53.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

let root: protobuf.Root | undefined;

/** Caffe's schema (proto/caffe.proto), loaded once, field names kept as Caffe spells them. */
export function caffeSchema(): protobuf.Root {
  if (root) return root;
  const file = protoPath('caffe.proto');
  const parsed = protobuf.parse(readFileSync(file, 'utf8'), new protobuf.Root(), { keepCase: true });
  parsed.root.resolveAll();
  return (root = parsed.root);
}

/** Types by the name asked for: protobufjs' lookupType walks namespaces, and the readers ask once per layer. */
const types = new Map<string, protobuf.Type>();

/** A message type of caffe.proto by its short name (`LayerParameter`) or full name (`.caffe.LayerParameter`). */
export function messageType(name: string): protobuf.Type {
  let type = types.get(name);
  if (!type) {
    // protobufjs full names carry a leading dot (".caffe.FillerParameter").
    const bare = name.startsWith('.') ? name.slice(1) : name;
    type = caffeSchema().lookupType(bare.startsWith('caffe.') ? bare : `caffe.${bare}`);
    types.set(name, type);
  }
  return type;
}

/** An enum's value name for a number, or undefined when the number is not a value of the enum. */
export function enumName(e: protobuf.Enum, value: number): string | undefined {
  return e.valuesById[value];
}

/** Decodes a complete binary message (small ones only: the big blobs go through caffemodel.ts). */
export function decodeMessage(typeName: string, bytes: Uint8Array): Message {
  const type = messageType(typeName);
  return type.toObject(type.decode(bytes), { enums: String, longs: Number, bytes: Uint8Array as unknown as StringConstructor }) as Message;
}

/** Encodes a message in our plain form (enum names, number int64s) to protobuf binary. */
export function encodeMessage(typeName: string, msg: Message): Uint8Array {
  const type = messageType(typeName);
  return type.encode(type.fromObject(msg)).finish();
}

/** What withDefaults does to a message of one type, worked out once per type (the shape pass asks once per layer). */
interface DefaultsPlan {
  /**
   * Every singular scalar and enum with its default, every repeated field (and any default JSON cannot
   * carry) as null, to be replaced per call. Built by JSON.parse so that it has fast properties: an object
   * built by keyed stores of this many fields falls back to a dictionary, some 30× slower to copy.
   */
  template: Message;
  /** Defaults JSON cannot carry (bytes, non-finite numbers). */
  special: Array<[string, Scalar]>;
  /** Repeated fields: unset ones become [], set ones of message type are filled too (type name given). */
  repeated: Array<[string, string | undefined]>;
  /** Singular sub-messages, filled when present. */
  messages: Array<[string, string]>;
}

const plans = new Map<string, DefaultsPlan>();

function defaultsPlan(typeName: string): DefaultsPlan {
  let plan = plans.get(typeName);
  if (plan) return plan;
  const template: Record<string, unknown> = {};
  plan = { template: {}, special: [], repeated: [], messages: [] };
  for (const field of messageType(typeName).fieldsArray) {
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType.fullName : undefined;
    let value: unknown;
    if (field.repeated) {
      plan.repeated.push([field.name, sub]);
      value = null;
    } else if (sub !== undefined) {
      plan.messages.push([field.name, sub]);
      continue;
    } else if (field.resolvedType instanceof protobuf.Enum) value = field.resolvedType.valuesById[field.typeDefault as number];
    else if (field.type === 'bytes') value = new Uint8Array(0);
    // Caffe holds float fields as float32: 0.3 is 0.30000001192092896, as the parser stores it.
    else if (field.type === 'float') value = Math.fround(field.typeDefault as number);
    else value = field.typeDefault;
    const plain = value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!plain) plan.special.push([field.name, value as Scalar]);
    template[field.name] = plain ? value : null;
  }
  plan.template = JSON.parse(JSON.stringify(template)) as Message;
  plans.set(typeName, plan);
  return plan;
}

/**
 * The message with every unset singular scalar given its schema default (enums as names) and every
 * unset repeated field as []. Present sub-messages are filled the same way; absent ones stay absent,
 * because Caffe distinguishes "has_x()" for them.
 */
export function withDefaults<T = Message>(typeName: string, msg: Message | undefined): T {
  const plan = defaultsPlan(typeName);
  const out: Message = { ...plan.template };
  if (msg) for (const k in msg) if (msg[k] !== undefined) out[k] = msg[k];
  for (const [name, value] of plan.special) if (out[name] === null) out[name] = value;
  for (const [name, sub] of plan.repeated) {
    const v = out[name];
    if (v === null) out[name] = [];
    else if (sub !== undefined && Array.isArray(v)) out[name] = v.map((m) => (isMessage(m) ? withDefaults(sub, m) : m)) as Message[];
  }
  for (const [name, sub] of plan.messages) {
    const v = out[name];
    if (isMessage(v)) out[name] = withDefaults(sub, v);
  }
  return out as T;
}
