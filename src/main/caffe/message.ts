/**
 * The in-memory form of a Caffe protobuf message, shared by the text and binary readers:
 * plain objects keyed by Caffe's field names, holding only the fields that were set.
 * Repeated fields are arrays, enums are their value names, int64s are numbers, bytes are Uint8Arrays.
 * Where a message came from (file:line:column, or byte offset) is kept beside it, not inside it.
 */

export type Scalar = number | boolean | string | Uint8Array;
export type FieldValue = Scalar | Message | Array<Scalar | Message>;
export interface Message {
  [field: string]: FieldValue | undefined;
}

export interface SourcePos {
  file: string;
  line?: number;
  column?: number;
  offset?: number;
}

interface MessageSource {
  pos: SourcePos;
  fields: Map<string, SourcePos>;
}

const sources = new WeakMap<Message, MessageSource>();

export function setSource(msg: Message, pos: SourcePos): void {
  sources.set(msg, { pos, fields: sources.get(msg)?.fields ?? new Map() });
}

export function setFieldSource(msg: Message, field: string, pos: SourcePos): void {
  let s = sources.get(msg);
  if (!s) sources.set(msg, (s = { pos, fields: new Map() }));
  if (!s.fields.has(field)) s.fields.set(field, pos);
}

/** Where a message starts, if it was read from a file. */
export const sourceOf = (msg: Message): SourcePos | undefined => sources.get(msg)?.pos;

/** Where a field of a message was first written, falling back to the message itself. */
export const fieldSourceOf = (msg: Message, field: string): SourcePos | undefined =>
  sources.get(msg)?.fields.get(field) ?? sources.get(msg)?.pos;

/** Copies a message's source (and its fields' sources) to another message, e.g. after an upgrade. */
export function copySource(from: Message, to: Message): void {
  const s = sources.get(from);
  if (s) sources.set(to, { pos: s.pos, fields: new Map(s.fields) });
}

export const isMessage = (v: unknown): v is Message =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** The repeated field `name` as an array (empty when unset). */
export function repeated<T extends Scalar | Message>(msg: Message | undefined, name: string): T[] {
  const v = msg?.[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]) as T[];
}

export const has = (msg: Message | undefined, name: string): boolean => msg !== undefined && msg[name] !== undefined;
