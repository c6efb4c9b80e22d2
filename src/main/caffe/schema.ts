import protobuf from 'protobufjs';
import { readFileSync } from 'node:fs';
import { protoPath } from '../paths.js';
import { isMessage, type Message } from './message.js';

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

/** A message type of caffe.proto by its short name (`LayerParameter`) or full name (`.caffe.LayerParameter`). */
export function messageType(name: string): protobuf.Type {
  // protobufjs full names carry a leading dot (".caffe.FillerParameter").
  const bare = name.startsWith('.') ? name.slice(1) : name;
  return caffeSchema().lookupType(bare.startsWith('caffe.') ? bare : `caffe.${bare}`);
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

/**
 * The message with every unset singular scalar given its schema default (enums as names) and every
 * unset repeated field as []. Present sub-messages are filled the same way; absent ones stay absent,
 * because Caffe distinguishes "has_x()" for them.
 */
export function withDefaults<T = Message>(typeName: string, msg: Message | undefined): T {
  const type = messageType(typeName);
  const out: Message = { ...(msg ?? {}) };
  for (const field of type.fieldsArray) {
    const v = out[field.name];
    if (field.repeated) {
      if (v === undefined) out[field.name] = [];
      else if (field.resolvedType instanceof protobuf.Type && Array.isArray(v))
        out[field.name] = v.map((m) => (isMessage(m) ? withDefaults(field.resolvedType!.fullName, m) : m)) as Message[];
      continue;
    }
    if (field.resolvedType instanceof protobuf.Type) {
      if (isMessage(v)) out[field.name] = withDefaults(field.resolvedType.fullName, v);
      continue;
    }
    if (v !== undefined) continue;
    if (field.resolvedType instanceof protobuf.Enum) {
      out[field.name] = field.resolvedType.valuesById[field.typeDefault as number];
    } else if (field.type === 'bytes') {
      out[field.name] = new Uint8Array(0);
    } else if (field.type === 'float') {
      // Caffe holds float fields as float32: 0.3 is 0.30000001192092896, as the parser stores it.
      out[field.name] = Math.fround(field.typeDefault as number);
    } else {
      out[field.name] = field.typeDefault as number | boolean | string;
    }
  }
  return out as T;
}
