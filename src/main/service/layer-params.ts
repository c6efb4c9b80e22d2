/**
 * A layer's parameters for the inspector: every field of the `*_param` messages its type reads, with
 * Caffe's defaults filled from caffe.proto (schema.ts withDefaults, what LayerParams.param gives the
 * layer rules) and `set` where the prototxt wrote it (Caffe's has_x()), plus the LayerParameter
 * fields that change what the layer does (learning-rate multipliers, loss weight, phase rules).
 */
import protobuf from 'protobufjs';
import type { ParamField } from '../../shared/api.js';
import { isMessage, type Message, type Scalar } from '../caffe/message.js';
import { formatPrototxt, formatScalar } from '../caffe/prototxt-writer.js';
import { messageType, withDefaults } from '../caffe/schema.js';
import { layerDef } from '../layers/index.js';

/** LayerParameter fields shown besides the `*_param` ones (name, type, bottom and top are shown elsewhere). */
const LAYER_FIELDS = ['param', 'loss_weight', 'propagate_down', 'include', 'exclude'] as const;

/** A message value on one line: `{ lr_mult: 1 decay_mult: 1 }`. */
const inline = (m: Message, typeName: string): string => {
  const body = formatPrototxt(m, typeName)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return body ? `{ ${body} }` : '{}';
};

const valueText = (field: protobuf.Field, v: Scalar | Message): string =>
  isMessage(v) ? inline(v, (field.resolvedType as protobuf.Type).fullName) : formatScalar(field, v);

/** A repeated field's values: one value as itself, several (or none) as a list. */
const valuesText = (field: protobuf.Field, values: readonly (Scalar | Message)[]): string =>
  values.length === 1 ? valueText(field, values[0]) : `[${values.map((v) => valueText(field, v)).join(', ')}]`;

/** The LayerParameter `*_param` fields that `type` reads: its meta's list, else the one whose message is named after it. */
function paramFieldsOf(type: string): string[] {
  const listed = layerDef(type)?.meta.params;
  if (listed) return [...listed];
  const layerType = messageType('LayerParameter');
  const own = layerType.fieldsArray.find((f) => f.resolvedType instanceof protobuf.Type && f.resolvedType.name === `${type}Parameter`);
  return own ? [own.name] : [];
}

/**
 * The fields of message `typeName`: `raw` as the prototxt set it (undefined: not set), `filled` with
 * Caffe's defaults. Repeated fields are one entry holding every value.
 */
function messageFields(path: string, typeName: string, raw: Message | undefined, filled: Message, unsetRepeated: Readonly<Record<string, string>>, depth: number, out: ParamField[]): void {
  for (const field of messageType(typeName).fieldsArray) {
    const at = `${path}.${field.name}`;
    const rawValue = raw?.[field.name];
    const set = rawValue !== undefined;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (field.repeated) {
      const values = (Array.isArray(rawValue) ? rawValue : set ? [rawValue] : []) as (Scalar | Message)[];
      const value = values.length === 0 ? (unsetRepeated[at] ?? '[]') : valuesText(field, values);
      out.push({ path: at, value, set });
    } else if (sub) {
      // An unset sub-message is Caffe's default instance, '{}' in text format (a filler nobody set is noise
      // at inference); a set one is walked field by field, deep enough for every *_param of caffe.proto.
      if (!isMessage(rawValue)) out.push({ path: at, value: '{}', set: false });
      else if (depth >= 4) out.push({ path: at, value: inline(rawValue, sub.fullName), set });
      else messageFields(at, sub.fullName, rawValue, withDefaults(sub.fullName, rawValue), unsetRepeated, depth + 1, out);
    } else {
      out.push({ path: at, value: formatScalar(field, filled[field.name] as Scalar), set });
    }
  }
}

/** Every parameter of `layer` (a V2 LayerParameter) with Caffe's defaults, in caffe.proto's field order. */
export function layerParamFields(layer: Message): ParamField[] {
  const type = typeof layer.type === 'string' ? layer.type : '';
  const unsetRepeated = layerDef(type)?.meta.unsetRepeated ?? {};
  const layerType = messageType('LayerParameter');
  const out: ParamField[] = [];
  for (const name of LAYER_FIELDS) {
    const field = layerType.fields[name];
    const raw = layer[name];
    const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as (Scalar | Message)[];
    out.push({ path: name, value: valuesText(field, values), set: raw !== undefined });
  }
  // The phase a layer is pinned to; unset, it runs in the net's phase (shown only when the prototxt pins it).
  if (layer.phase !== undefined) out.push({ path: 'phase', value: String(layer.phase), set: true });
  // The type's own parameters first, then any other *_param the prototxt sets (Caffe ignores those, but they are in the file).
  const own = paramFieldsOf(type);
  const others = layerType.fieldsArray.filter((f) => f.name.endsWith('_param') && f.resolvedType instanceof protobuf.Type && isMessage(layer[f.name]) && !own.includes(f.name)).map((f) => f.name);
  for (const name of [...own, ...others]) {
    const sub = layerType.fields[name].resolvedType as protobuf.Type;
    const raw = isMessage(layer[name]) ? (layer[name] as Message) : undefined;
    messageFields(name, sub.fullName, raw, withDefaults(sub.fullName, raw), unsetRepeated, 1, out);
  }
  return out;
}
