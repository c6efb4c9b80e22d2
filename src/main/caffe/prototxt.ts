// Hand-written: no well-kept npm package parses protobuf text format against a runtime schema (protobufjs reads only .proto and JSON).
/**
 * Caffe's .prototxt reader: protobuf text format checked against caffe.proto, with the grammar and
 * the value rules of Google's C++ io::Tokenizer + TextFormat::Parser::Parse (what Caffe's
 * ReadProtoFromTextFile calls). Deliberate differences: an undefined `*_param` field of a layer is
 * skipped and recorded (see unknownParamsOf) instead of failing, messages nest at most 100 deep, a
 * leading byte-order mark is ignored, and the first error stops the parse.
 *
 * Positions are 1-based; a column counts UTF-16 code units from the start of the line (a tab is one).
 */
import protobuf from 'protobufjs';
import { CaffeParseError } from '../../shared/errors.js';
import { sniffFormat } from './caffemodel.js';
import { setFieldSource, setSource, type Message, type Scalar } from './message.js';
import { messageType } from './schema.js';

export interface UnknownParam {
  name: string;
  line: number;
  column: number;
}

/**
 * The text of a prototxt file's bytes, refusing binary data. Binary is a NUL byte or a control
 * character other than tab, LF, VT, FF and CR (also DEL): no text encoding produces those bytes, so
 * they mark a caffemodel, an image, a UTF-16 file. The error names the first bad byte (its offset, and
 * line:column as the parser counts them): that control byte, or an earlier byte that is not UTF-8.
 * Without control bytes, bytes that are not UTF-8 are text in another encoding (comments in GBK or
 * Latin-1 are common, and Caffe reads them): they are decoded as U+FFFD, and `notes` says where.
 */
export function prototxtText(bytes: Uint8Array, file: string): { text: string; notes: string[] } {
  const n = bytes.length;
  const bom = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  let column = 1; // of the character at byte i, in UTF-16 code units, as the parser counts
  let notUtf8: { offset: number; line: number; column: number } | undefined;
  for (let i = bom; i < n; ) {
    const b = bytes[i];
    if (b >= 0x20 && b < 0x7f) {
      i++;
      column++;
      continue;
    }
    if (b === 10) {
      i++;
      line++;
      column = 1;
      continue;
    }
    if (b < 0x80) {
      if (b === 9 || b === 11 || b === 12 || b === 13) {
        i++;
        column++;
        continue;
      }
      const first = notUtf8 ?? { offset: i, line, column };
      const what = b === 0 ? 'a NUL byte' : `the control character U+${b.toString(16).toUpperCase().padStart(4, '0')}`;
      const at =
        first.offset === i
          ? `the byte at offset ${i} is ${what}`
          : `the byte at offset ${first.offset} (0x${hex(bytes[first.offset])}) is not UTF-8, and the one at offset ${i} is ${what}`;
      const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
      const format = sniffFormat(bytes.subarray(0, 16)) ?? (utf16 ? 'UTF-16 text; save it as UTF-8' : undefined);
      throw new CaffeParseError(
        `is not a text prototxt: ${at}; it holds binary data (${format ? `it looks like ${format}` : 'did you swap the prototxt and the caffemodel?'})`,
        { file, line: first.line, column: first.column, offset: first.offset },
      );
    }
    const len = utf8Length(bytes, i);
    if (len === 0) {
      // Only the first one is reported, and every column before it is exact; later ones need not be.
      notUtf8 ??= { offset: i, line, column };
      i++;
      column++;
      continue;
    }
    i += len;
    column += len === 4 ? 2 : 1;
  }
  const notes: string[] = [];
  if (notUtf8)
    notes.push(
      `${file}:${notUtf8.line}:${notUtf8.column}: byte ${notUtf8.offset} (0x${hex(bytes[notUtf8.offset])}) is not UTF-8 (a file in another encoding?); ` +
        'such bytes were read as U+FFFD, which only matters inside a string such as a layer name',
    );
  return { text: utf8Decoder.decode(bytes.subarray(bom)), notes };
}

const hex = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');

/** The length of the well-formed UTF-8 sequence at bytes[i] (a lead byte of 0xC2 or above), or 0. */
function utf8Length(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < bytes.length && bytes[i + k] >= lo && bytes[i + k] <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  // The second byte's range excludes overlong forms and surrogates (E0, ED) and code points past U+10FFFF (F0, F4).
  if (b >= 0xe0 && b <= 0xef) return cont(1, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf) && cont(2) ? 3 : 0;
  if (b >= 0xf0 && b <= 0xf4) return cont(1, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Parses `text` (the contents of `file`) as a message of caffe.proto's `typeName`. Throws CaffeParseError only. */
export function parsePrototxt(text: string, file: string, typeName = 'NetParameter'): Message {
  return new Parser(text, file).parse(typeInfo(messageType(typeName)));
}

/** Fields of LayerParameter / V1LayerParameter named `*_param` that caffe.proto does not define (parameters of fork-only layer types such as `upsample_param`): they are skipped over, not rejected, so the network stage can report every unsupported layer at once. */
export function unknownParamsOf(msg: Message): UnknownParam[] {
  return unknownParams.get(msg)?.slice() ?? [];
}

const unknownParams = new WeakMap<Message, UnknownParam[]>();

// ---------------------------------------------------------------------------------------------
// The schema, reduced to what the parser asks of it (memoised per protobufjs Type; the schema never changes).

const enum Kind { Message, Enum, Float, Double, Int32, Uint32, Int64, Uint64, Bool, String, Bytes }

interface FieldInfo {
  name: string;
  kind: Kind;
  /** caffe.proto's type name for messages ('int32', 'float' …): used in error messages. */
  typeName: string;
  repeated: boolean;
  message?: protobuf.Type;
  enumInfo?: EnumInfo;
}

interface TypeInfo {
  /** e.g. `ConvolutionParameter`, `PoolingParameter.Sub` (without the `caffe.` package). */
  name: string;
  fields: Map<string, FieldInfo>;
  required: string[];
  /** LayerParameter and V1LayerParameter skip undefined `*_param` fields. */
  skipsUnknownParams: boolean;
}

interface EnumInfo {
  name: string;
  names: string[];
  byName: Set<string>;
  byNumber: Map<number, string>;
}

const shortName = (fullName: string): string => fullName.replace(/^\.?caffe\./, '');

const SCALAR_KINDS: Record<string, Kind> = {
  float: Kind.Float, double: Kind.Double,
  int32: Kind.Int32, sint32: Kind.Int32, sfixed32: Kind.Int32,
  uint32: Kind.Uint32, fixed32: Kind.Uint32,
  int64: Kind.Int64, sint64: Kind.Int64, sfixed64: Kind.Int64,
  uint64: Kind.Uint64, fixed64: Kind.Uint64,
  bool: Kind.Bool, string: Kind.String, bytes: Kind.Bytes,
};

const typeInfos = new WeakMap<protobuf.Type, TypeInfo>();
const enumInfos = new WeakMap<protobuf.Enum, EnumInfo>();

function typeInfo(type: protobuf.Type): TypeInfo {
  let info = typeInfos.get(type);
  if (info) return info;
  const name = shortName(type.fullName);
  info = { name, fields: new Map(), required: [], skipsUnknownParams: name === 'LayerParameter' || name === 'V1LayerParameter' };
  for (const f of type.fieldsArray) {
    const resolved = f.resolve().resolvedType;
    const field: FieldInfo = { name: f.name, kind: Kind.Message, typeName: f.type, repeated: f.repeated };
    if (resolved instanceof protobuf.Type) field.message = resolved;
    else if (resolved instanceof protobuf.Enum) {
      field.kind = Kind.Enum;
      field.enumInfo = enumInfo(resolved);
    }
    else if (SCALAR_KINDS[f.type] !== undefined) field.kind = SCALAR_KINDS[f.type];
    else throw new Error(`caffe.proto: unsupported type '${f.type}' of field ${name}.${f.name}`);
    info.fields.set(f.name, field);
    if (f.required) info.required.push(f.name);
  }
  typeInfos.set(type, info);
  return info;
}

function enumInfo(e: protobuf.Enum): EnumInfo {
  let info = enumInfos.get(e);
  if (info) return info;
  const names = Object.keys(e.values);
  const byNumber = new Map<number, string>();
  for (const n of names) if (!byNumber.has(e.values[n])) byNumber.set(e.values[n], n);
  info = { name: shortName(e.fullName), names, byName: new Set(names), byNumber };
  enumInfos.set(e, info);
  return info;
}

// ---------------------------------------------------------------------------------------------
// Tokens (io::Tokenizer's kinds) and character classes.

const END = 0, IDENT = 1, INT = 2, FLOAT = 3, STRING = 4, SYMBOL = 5;
type TokenType = typeof END | typeof IDENT | typeof INT | typeof FLOAT | typeof STRING | typeof SYMBOL;

const MAX_DEPTH = 100;
const INT32_MAX = 2n ** 31n - 1n, UINT32_MAX = 2n ** 32n - 1n;
const INT64_MAX = 2n ** 63n - 1n, UINT64_MAX = 2n ** 64n - 1n;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isOctal = (c: number): boolean => c >= 48 && c <= 55;
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isAlnum = (c: number): boolean => isLetter(c) || isDigit(c);
const hexValue = (c: number): number => (c <= 57 ? c - 48 : (c | 32) - 87);
/** \a \b \f \n \r \t \v \\ \? \' \" → the byte they stand for. */
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '?': 63, "'": 39, '"': 34 };

const CLOSERS: Record<number, number> = { 123: 125, 60: 62 }; // '{' → '}', '<' → '>'

/** The exact value of an integer token: decimal, 0x hex or 0-led octal. A number when below 2^53. */
function integerValue(t: string): number | bigint {
  const hex = t.length > 1 && t.charCodeAt(0) === 48 && (t.charCodeAt(1) | 32) === 120;
  const octal = !hex && t.length > 1 && t.charCodeAt(0) === 48;
  if (t.length <= 15) return hex ? parseInt(t.slice(2), 16) : octal ? parseInt(t.slice(1), 8) : parseInt(t, 10);
  return octal ? BigInt('0o' + t.slice(1)) : BigInt(t);
}

const atMost = (v: number | bigint, max: bigint): boolean => (typeof v === 'bigint' ? v <= max : v <= Number(max));

/** Appends a code point as UTF-8, surrogates included (as protobuf's AppendUTF8 does). */
function pushUtf8(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

/** Appends the bytes of a string literal's body (validated by the tokenizer), as Tokenizer::ParseStringAppend. */
function appendLiteral(s: string, out: number[]): void {
  const n = s.length;
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i);
    if (c !== 92) {
      let cp = c;
      if (c >= 0xd800 && c < 0xe000) {
        const d = s.charCodeAt(i + 1);
        if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00), i++;
        else cp = 0xfffd; // a lone surrogate in the JS text (as TextEncoder)
      }
      pushUtf8(cp, out);
      i++;
      continue;
    }
    const e = s.charCodeAt(i + 1);
    i += 2;
    if (isOctal(e)) {
      let code = e - 48;
      for (let k = 0; k < 2 && isOctal(s.charCodeAt(i)); k++) code = code * 8 + s.charCodeAt(i++) - 48;
      out.push(code & 0xff);
    } else if ((e | 32) === 120) {
      let code = 0;
      for (let k = 0; k < 2 && isHex(s.charCodeAt(i)); k++) code = code * 16 + hexValue(s.charCodeAt(i++));
      out.push(code);
    } else if (e === 117 || e === 85) {
      const len = e === 117 ? 4 : 8;
      let cp = parseInt(s.slice(i, i + len), 16);
      i += len;
      // A head surrogate followed by \u and a trail surrogate is one code point.
      if (cp >= 0xd800 && cp < 0xdc00 && s.charCodeAt(i) === 92 && s.charCodeAt(i + 1) === 117) {
        const trail = parseInt(s.slice(i + 2, i + 6), 16);
        if (trail >= 0xdc00 && trail < 0xe000) cp = 0x10000 + ((cp - 0xd800) << 10) + (trail - 0xdc00), i += 6;
      }
      if (cp <= 0x10ffff) pushUtf8(cp, out);
      else for (const ch of `\\U${cp.toString(16).padStart(8, '0')}`) out.push(ch.charCodeAt(0)); // kept as text, as protobuf does
    } else {
      out.push(SIMPLE_ESCAPES[String.fromCharCode(e)]);
    }
  }
}

const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Encoder = new TextEncoder();
const chr = (c: number): string => String.fromCharCode(c);

// ---------------------------------------------------------------------------------------------

class Parser {
  // Tokenizer state: the next unread character, and the line it is on.
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  // The current token: type, [start, end) in src, its line and column, whether a string has escapes.
  private tt: TokenType = END;
  private ts = 0;
  private te = 0;
  private tl = 1;
  private tc = 1;
  private tEscaped = false;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly file: string,
  ) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = this.lineStart = 1;
  }

  parse(info: TypeInfo): Message {
    const msg: Message = {};
    setSource(msg, { file: this.file, line: 1, column: 1 });
    this.next();
    while (this.tt !== END) this.field(msg, info, 0);
    this.checkRequired(msg, info, 1, 1);
    return msg;
  }

  // ----- errors

  private fail(reason: string, line: number, column: number, field?: string): never {
    throw new CaffeParseError(reason, field === undefined ? { file: this.file, line, column } : { file: this.file, line, column, field });
  }

  /** An error at the current token. */
  private failHere(reason: string, field?: string): never {
    return this.fail(reason, this.tl, this.tc, field);
  }

  /** A tokenizer error at offset `at` of the line being scanned. */
  private failAt(at: number, reason: string): never {
    return this.fail(reason, this.line, at - this.lineStart + 1);
  }

  private found(): string {
    if (this.tt === END) return 'end of input';
    const t = this.src.slice(this.ts, Math.min(this.te, this.ts + 41));
    const shown = this.te - this.ts > 40 ? t.slice(0, 37) + '...' : t;
    return this.tt === STRING ? `string ${shown}` : `'${shown}'`;
  }

  // ----- tokenizer (io::Tokenizer with '#' comments)

  private next(): void {
    const s = this.src, n = s.length;
    let p = this.pos;
    while (p < n) {
      const c = s.charCodeAt(p);
      if (c === 10) {
        this.line++;
        this.lineStart = ++p;
      } else if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
        p++;
      } else if (c === 35) {
        p = s.indexOf('\n', p);
        if (p < 0) p = n;
      } else break;
    }
    this.ts = p;
    this.tl = this.line;
    this.tc = p - this.lineStart + 1;
    if (p >= n) {
      this.tt = END;
      this.te = this.pos = p;
      return;
    }
    const c = s.charCodeAt(p);
    if (isLetter(c)) {
      p++;
      while (p < n && isAlnum(s.charCodeAt(p))) p++;
      this.tt = IDENT;
    } else if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(p + 1)))) {
      p = this.scanNumber(p);
    } else if (c === 34 || c === 39) {
      p = this.scanString(p, c);
      this.tt = STRING;
    } else if (c < 32 || c === 127) {
      this.failAt(p, `invalid control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`);
    } else if (c === 36 && (isLetter(s.charCodeAt(p + 1)) || s.charCodeAt(p + 1) === 123)) {
      // `$NUM_CLASSES` / `${NUM_CLASSES}`: a template that a script fills in (string.Template, envsubst); protobuf's text format has no such token.
      const placeholder = /^\$(?:\{[^}\n]*\}?|[A-Za-z_][A-Za-z0-9_]*)/.exec(s.slice(p, p + 80))![0];
      this.failAt(
        p,
        `'${placeholder}' is a template placeholder, not a value: this prototxt is a template for a script to fill in before Caffe reads it (Caffe refuses it as it is); put the value in, or generate the prototxt with the script it came with`,
      );
    } else if (c > 127) {
      const ch = String.fromCodePoint(s.codePointAt(p)!);
      this.failAt(p, `unexpected character '${ch}' (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) outside a string`);
    } else {
      p++;
      this.tt = SYMBOL;
    }
    this.te = this.pos = p;
  }

  private scanNumber(start: number): number {
    const s = this.src;
    let p = start;
    const first = s.charCodeAt(p++);
    let isFloat = false;
    if (first === 48 && (s.charCodeAt(p) | 32) === 120) {
      p++;
      if (!isHex(s.charCodeAt(p))) this.failAt(start, `'0x' must be followed by hex digits`);
      while (isHex(s.charCodeAt(p))) p++;
    } else if (first === 48 && isDigit(s.charCodeAt(p))) {
      while (isOctal(s.charCodeAt(p))) p++;
      if (isDigit(s.charCodeAt(p))) {
        while (isDigit(s.charCodeAt(p))) p++;
        this.failAt(start, `numbers starting with 0 must be octal, found '${s.slice(start, p)}'`);
      }
    } else {
      if (first === 46) isFloat = true;
      while (isDigit(s.charCodeAt(p))) p++;
      if (first !== 46 && s.charCodeAt(p) === 46) {
        isFloat = true;
        p++;
        while (isDigit(s.charCodeAt(p))) p++;
      }
      if ((s.charCodeAt(p) | 32) === 101) {
        isFloat = true;
        p++;
        if (s.charCodeAt(p) === 45 || s.charCodeAt(p) === 43) p++;
        if (!isDigit(s.charCodeAt(p))) this.failAt(start, `exponent 'e' must be followed by digits in '${s.slice(start, p)}'`);
        while (isDigit(s.charCodeAt(p))) p++;
      }
      if ((s.charCodeAt(p) | 32) === 102) {
        isFloat = true;
        p++;
      }
    }
    if (isLetter(s.charCodeAt(p))) this.failAt(start, `need space between number '${s.slice(start, p)}' and identifier`);
    if (s.charCodeAt(p) === 46) {
      this.failAt(start, isFloat ? `number '${s.slice(start, p)}.' has a second decimal point or a point after its exponent` : `hex and octal numbers must be integers, found '${s.slice(start, p)}.'`);
    }
    this.tt = isFloat ? FLOAT : INT;
    return p;
  }

  private scanString(start: number, quote: number): number {
    const s = this.src, n = s.length;
    let p = start + 1;
    this.tEscaped = false;
    for (;;) {
      if (p >= n) this.failAt(start, 'string literal is not closed before end of input');
      const c = s.charCodeAt(p);
      if (c === quote) return p + 1;
      if (c === 10) this.failAt(start, `string literal is not closed before end of line (missing ${chr(quote)}?)`);
      if (c === 0) this.failAt(p, 'invalid control character U+0000 in string literal');
      if (c !== 92) {
        p++;
        continue;
      }
      this.tEscaped = true;
      const esc = p;
      const e = s.charCodeAt(++p);
      if (p >= n) this.failAt(start, 'string literal is not closed before end of input');
      p++;
      if (SIMPLE_ESCAPES[chr(e)] !== undefined || isOctal(e)) continue; // further octal digits are plain characters here
      if ((e | 32) === 120) {
        if (!isHex(s.charCodeAt(p))) this.failAt(esc, `'\\${chr(e)}' must be followed by hex digits`);
        continue;
      }
      if (e === 117) {
        for (let k = 0; k < 4; k++, p++) if (!isHex(s.charCodeAt(p))) this.failAt(esc, `'\\u' must be followed by 4 hex digits`);
        continue;
      }
      if (e === 85) {
        let ok = s.charCodeAt(p) === 48 && s.charCodeAt(p + 1) === 48 && (s.charCodeAt(p + 2) === 48 || s.charCodeAt(p + 2) === 49);
        for (let k = 3; k < 8; k++) ok &&= isHex(s.charCodeAt(p + k));
        if (!ok) this.failAt(esc, `'\\U' must be followed by 8 hex digits up to 0010ffff`);
        p += 8;
        continue;
      }
      this.failAt(esc, `invalid escape sequence '\\${e === 10 || e === 13 ? '<newline>' : String.fromCodePoint(s.codePointAt(p - 1)!)}' in string literal`);
    }
  }

  private text(): string {
    return this.src.slice(this.ts, this.te);
  }

  private isSym(c: number): boolean {
    return this.tt === SYMBOL && this.src.charCodeAt(this.ts) === c;
  }

  private trySym(c: number): boolean {
    if (!this.isSym(c)) return false;
    this.next();
    return true;
  }

  /** The optional ';' or ',' after a field. */
  private separator(): void {
    if (!this.trySym(59)) this.trySym(44);
  }

  // ----- schema-aware parsing (TextFormat::Parser::ParserImpl)

  /** One field of `msg`; `closer` is the delimiter that would end the enclosing message (0 at top level). */
  private field(msg: Message, info: TypeInfo, closer: number): void {
    if (this.tt !== IDENT) {
      if (this.isSym(91)) this.extension();
      this.failHere(closer ? `expected field name or '${chr(closer)}', found ${this.found()}` : `expected field name, found ${this.found()}`);
    }
    const name = this.text(), line = this.tl, column = this.tc;
    this.next();
    const f = info.fields.get(name);
    if (!f) {
      if (info.skipsUnknownParams && name.endsWith('_param')) {
        const list = unknownParams.get(msg);
        if (list) list.push({ name, line, column });
        else unknownParams.set(msg, [{ name, line, column }]);
        this.skipAfterName(name);
        this.separator();
        return;
      }
      this.fail(`unknown field '${name}' in ${info.name}`, line, column, name);
    }
    if (!f.repeated && msg[name] !== undefined) this.fail(`non-repeated field '${name}' is specified multiple times`, line, column, name);
    setFieldSource(msg, name, { file: this.file, line, column });

    if (f.kind === Kind.Message) {
      const colon = this.trySym(58);
      if (this.isSym(91)) {
        this.list(msg, f, () => this.subMessage(f));
      } else {
        if (!this.isSym(123) && !this.isSym(60)) {
          this.failHere(colon ? `expected '{' after '${name}:', found ${this.found()}` : `expected ':' or '{' after field name '${name}', found ${this.found()}`, name);
        }
        this.store(msg, f, this.subMessage(f));
      }
    } else {
      if (!this.trySym(58)) this.failHere(`expected ':' after field name '${name}', found ${this.found()}`, name);
      if (this.isSym(91)) this.list(msg, f, () => this.scalar(f));
      else this.store(msg, f, this.scalar(f));
    }
    this.separator();
  }

  private store(msg: Message, f: FieldInfo, v: Scalar | Message): void {
    if (!f.repeated) msg[f.name] = v;
    else {
      const arr = msg[f.name] as Array<Scalar | Message> | undefined;
      if (arr) arr.push(v);
      else msg[f.name] = [v];
    }
  }

  /** `[v1, v2, …]` for a repeated field; the current token is '['. */
  private list(msg: Message, f: FieldInfo, element: () => Scalar | Message): void {
    if (!f.repeated) this.failHere(`field '${f.name}' is not repeated, so it cannot take a list '[...]'`, f.name);
    this.next();
    if (this.trySym(93)) return;
    for (;;) {
      this.store(msg, f, element());
      if (this.trySym(93)) return;
      if (!this.trySym(44)) this.failHere(`expected ',' or ']' in the list of field '${f.name}', found ${this.found()}`, f.name);
    }
  }

  private subMessage(f: FieldInfo): Message {
    const open = this.isSym(123) ? 123 : this.isSym(60) ? 60 : 0;
    if (!open) this.failHere(`expected '{' to start a ${shortName(f.message!.fullName)} for field '${f.name}', found ${this.found()}`, f.name);
    const line = this.tl, column = this.tc;
    this.enter(line, column);
    this.next();
    const sub: Message = {};
    setSource(sub, { file: this.file, line, column });
    const info = typeInfo(f.message!);
    const close = CLOSERS[open];
    for (;;) {
      if (this.tt === SYMBOL) {
        const c = this.src.charCodeAt(this.ts);
        if (c === 125 || c === 62) {
          if (c !== close) this.failHere(this.unclosed(close, f.name, line, column));
          this.next();
          break;
        }
      } else if (this.tt === END) this.failHere(this.unclosed(close, f.name, line, column));
      this.field(sub, info, close);
    }
    this.checkRequired(sub, info, line, column);
    this.depth--;
    return sub;
  }

  private unclosed(close: number, name: string, line: number, column: number): string {
    return `expected '${chr(close)}' to close '${name}' (opened at line ${line}, column ${column}), found ${this.found()}`;
  }

  private enter(line: number, column: number): void {
    if (this.depth >= MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`, line, column);
    this.depth++;
  }

  private checkRequired(msg: Message, info: TypeInfo, line: number, column: number): void {
    for (const r of info.required) if (msg[r] === undefined) this.fail(`missing required field '${r}' in ${info.name}`, line, column, r);
  }

  private extension(): never {
    const m = /\[\s*([A-Za-z_][\w./]*)\s*\]/y;
    m.lastIndex = this.ts;
    const name = m.exec(this.src)?.[1];
    this.failHere(`extension field ${name ? `'[${name}]'` : "syntax '[...]'"} is not supported (caffe.proto declares no extensions)`);
  }

  private scalar(f: FieldInfo): Scalar {
    const name = f.name;
    switch (f.kind) {
      case Kind.String:
      case Kind.Bytes:
        if (this.tt !== STRING) this.failHere(`expected a string for ${f.typeName} field '${name}', found ${this.found()}`, name);
        return this.strings(f.kind === Kind.Bytes);
      case Kind.Bool: {
        if (this.tt === INT) {
          const big = integerValue(this.text());
          const v = typeof big === 'bigint' ? (big <= 1n ? Number(big) : 2) : big;
          if (v === 0 || v === 1) {
            this.next();
            return v === 1;
          }
        } else if (this.tt === IDENT) {
          const t = this.text();
          const v = t === 'true' || t === 'True' || t === 't' ? true : t === 'false' || t === 'False' || t === 'f' ? false : undefined;
          if (v !== undefined) {
            this.next();
            return v;
          }
        }
        return this.failHere(`expected true or false for bool field '${name}', found ${this.found()}`, name);
      }
      case Kind.Enum:
        return this.enumValue(f);
      case Kind.Float:
      case Kind.Double:
        return this.floatValue(f);
      default:
        return this.integer(f);
    }
  }

  /** Adjacent string literals, concatenated: a string (UTF-8 decoded) or the raw bytes. */
  private strings(bytes: boolean): string | Uint8Array {
    let text = '';
    let buf: number[] | undefined;
    while (this.tt === STRING) {
      const body = this.src.slice(this.ts + 1, this.te - 1);
      if (buf === undefined && !this.tEscaped) text += body;
      else {
        if (buf === undefined) appendLiteral(text, (buf = []));
        appendLiteral(body, buf);
      }
      this.next();
    }
    if (buf === undefined) return bytes ? utf8Encoder.encode(text) : text;
    return bytes ? Uint8Array.from(buf) : utf8Decoder.decode(Uint8Array.from(buf));
  }

  private enumValue(f: FieldInfo): string {
    const e = f.enumInfo!;
    const line = this.tl, column = this.tc;
    const unknown = (v: string): never =>
      this.fail(`unknown value ${v} for enum ${e.name} (expected ${e.names.join(', ')})`, line, column, f.name);
    if (this.tt === IDENT) {
      const t = this.text();
      if (!e.byName.has(t)) unknown(`'${t}'`);
      this.next();
      return t;
    }
    const neg = this.trySym(45);
    if (this.tt !== INT) {
      this.failHere(`expected a value of enum ${e.name} for field '${f.name}', found ${this.found()}`, f.name);
    }
    const t = this.text();
    const v = integerValue(t);
    const n = atMost(v, neg ? INT32_MAX + 1n : INT32_MAX) ? (neg ? 0 - Number(v) : Number(v)) : undefined;
    const value = n === undefined ? undefined : e.byNumber.get(n);
    if (value === undefined) unknown((neg ? '-' : '') + t);
    this.next();
    return value!;
  }

  private floatValue(f: FieldInfo): number {
    const neg = this.trySym(45);
    let v: number;
    if (this.tt === INT) {
      const t = this.text();
      // TextFormat reads an integer into a float field only in decimal (ConsumeUnsignedDecimalAsDouble).
      if (t.length > 1 && t.charCodeAt(0) === 48) this.failHere(`expected a decimal number for ${f.typeName} field '${f.name}', found '${t}'`, f.name);
      v = Number(t);
    } else if (this.tt === FLOAT) {
      const t = this.text();
      v = Number((t.charCodeAt(t.length - 1) | 32) === 102 ? t.slice(0, -1) : t);
    } else {
      const t = this.tt === IDENT ? this.text().toLowerCase() : '';
      if (t === 'inf' || t === 'infinity') v = Infinity;
      else if (t === 'nan') v = NaN;
      else return this.failHere(`expected a number for ${f.typeName} field '${f.name}', found ${this.found()}`, f.name);
    }
    this.next();
    if (neg) v = -v;
    return f.kind === Kind.Float ? Math.fround(v) : v; // Caffe stores float fields as C floats
  }

  private integer(f: FieldInfo): number {
    const line = this.tl, column = this.tc;
    const neg = this.trySym(45);
    if (this.tt !== INT) this.failHere(`expected an integer for ${f.typeName} field '${f.name}', found ${this.found()}`, f.name);
    const t = this.text();
    const v = integerValue(t);
    const signed = f.kind === Kind.Int32 || f.kind === Kind.Int64;
    const max = f.kind === Kind.Int32 ? INT32_MAX : f.kind === Kind.Uint32 ? UINT32_MAX : f.kind === Kind.Int64 ? INT64_MAX : UINT64_MAX;
    if (neg ? !signed || !atMost(v, max + 1n) : !atMost(v, max)) {
      this.fail(`value ${neg ? '-' : ''}${t} out of range for ${f.typeName} field '${f.name}'`, line, column, f.name);
    }
    this.next();
    const n = Number(v); // int64 beyond 2^53 loses precision here, by design (Message holds numbers)
    return neg ? 0 - n : n;
  }

  // ----- skipping an undefined `*_param` field (TextFormat's SkipField / SkipFieldValue / SkipFieldMessage)

  private skipAfterName(name: string): void {
    if (this.trySym(58) && !this.isSym(123) && !this.isSym(60)) this.skipValue(name);
    else this.skipMessage(name);
  }

  private skipMessage(name: string): void {
    const open = this.isSym(123) ? 123 : this.isSym(60) ? 60 : 0;
    if (!open) this.failHere(`expected ':' or '{' after field name '${name}', found ${this.found()}`, name);
    const line = this.tl, column = this.tc, close = CLOSERS[open];
    this.enter(line, column);
    this.next();
    for (;;) {
      if (this.tt === SYMBOL) {
        const c = this.src.charCodeAt(this.ts);
        if (c === 125 || c === 62) {
          if (c !== close) this.failHere(this.unclosed(close, name, line, column));
          this.next();
          break;
        }
      } else if (this.tt === END) this.failHere(this.unclosed(close, name, line, column));
      this.skipField(close);
    }
    this.depth--;
  }

  private skipField(closer: number): void {
    let name: string;
    if (this.trySym(91)) {
      name = this.skipTypeName();
      if (!this.trySym(93)) this.failHere(`expected ']' after '[${name}', found ${this.found()}`);
      name = `[${name}]`;
    } else if (this.tt === IDENT) {
      name = this.text();
      this.next();
    } else {
      return this.failHere(`expected field name or '${chr(closer)}', found ${this.found()}`);
    }
    this.skipAfterName(name);
    this.separator();
  }

  /** `a.b.c` or a type URL `host.com/a.b`. */
  private skipTypeName(): string {
    let name = '';
    for (;;) {
      if (this.tt !== IDENT) this.failHere(`expected a name inside '[...]', found ${this.found()}`);
      name += this.text();
      this.next();
      if (this.isSym(46) || this.isSym(47)) {
        name += chr(this.src.charCodeAt(this.ts));
        this.next();
      } else return name;
    }
  }

  private skipValue(name: string): void {
    if (this.tt === STRING) {
      while (this.tt === STRING) this.next();
      return;
    }
    if (this.isSym(91)) {
      this.enter(this.tl, this.tc);
      this.next();
      if (!this.trySym(93)) {
        for (;;) {
          if (this.isSym(123) || this.isSym(60)) this.skipMessage(name);
          else this.skipValue(name);
          if (this.trySym(93)) break;
          if (!this.trySym(44)) this.failHere(`expected ',' or ']' in the list of field '${name}', found ${this.found()}`);
        }
      }
      this.depth--;
      return;
    }
    const neg = this.trySym(45);
    if (this.tt !== INT && this.tt !== FLOAT && this.tt !== IDENT) this.failHere(`expected a value for field '${name}', found ${this.found()}`);
    if (neg && this.tt === IDENT) {
      const t = this.text().toLowerCase();
      if (t !== 'inf' && t !== 'infinity' && t !== 'nan') this.failHere(`expected a number after '-', found ${this.found()}`);
    }
    this.next();
  }
}
