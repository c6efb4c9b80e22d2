/** Protobuf text format out of our Message form, as Caffe's TextFormat printer would write it. */
import protobuf from 'protobufjs';
import { isMessage, type Message, type Scalar } from './message.js';
import { messageType } from './schema.js';

/** The shortest decimal that reads back as the same float32 (how protobuf prints floats). */
export function formatFloat32(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Object.is(v, -0)) return '-0';
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** A quoted string literal; bytes fields escape every non-ASCII byte, strings keep UTF-8 text. */
function quote(v: string | Uint8Array): string {
  const chars = typeof v === 'string' ? [...v] : [...v].map((b) => String.fromCharCode(b));
  const body = chars
    .map((c) => {
      const code = c.codePointAt(0)!;
      if (ESCAPES[c]) return ESCAPES[c];
      if (code < 0x20 || code === 0x7f || (typeof v !== 'string' && code >= 0x80)) return '\\' + code.toString(8).padStart(3, '0');
      return c;
    })
    .join('');
  return `"${body}"`;
}

/** One value of `field` as text format writes it: enum names bare, strings quoted, floats as the shortest float32 decimal. */
export function formatScalar(field: protobuf.Field, v: Scalar): string {
  if (field.resolvedType instanceof protobuf.Enum) return String(v);
  if (field.type === 'string' || field.type === 'bytes') return quote(v as string | Uint8Array);
  if (field.type === 'float') return formatFloat32(v as number);
  if (field.type === 'double') return Number.isFinite(v as number) ? String(v) : formatFloat32(v as number);
  return String(v);
}

/** Text format for `msg` of caffe.proto message type `typeName`, indented by `indent` spaces. */
export function formatPrototxt(msg: Message, typeName: string, indent = 0): string {
  const type = messageType(typeName);
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [name, value] of Object.entries(msg)) {
    if (value === undefined) continue;
    const field = type.fields[name];
    if (!field) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (isMessage(v)) {
        lines.push(`${pad}${name} {`, formatPrototxt(v, field.resolvedType!.fullName, indent + 2), `${pad}}`);
      } else {
        lines.push(`${pad}${name}: ${formatScalar(field, v)}`);
      }
    }
  }
  return lines.filter((l) => l !== '').join('\n');
}
