/**
 * Seeded mutations of whole input files for test/unit/fuzz.test.ts, and the independent oracles that
 * say whether a prefix of a valid file is itself complete. The oracles share no code with src/main:
 * each is a few lines that know only the outer framing of its format (protobuf's top-level fields, the
 * .npy header, PNG chunks, JPEG markers, prototxt braces and quotes), so that a reader which accepts a
 * cut file is caught even when the reader and its own tests agree with each other.
 */

export interface Mutation {
  bytes: Uint8Array;
  /** How to say what was done, for a failure report. */
  what: string;
  /** Set when the mutation is exactly the original cut at this byte: the oracles judge only these. */
  truncatedAt?: number;
}

export interface OtherFile {
  name: string;
  bytes: Uint8Array;
}

/** Values that sit on the edges of varints, lengths and signs. */
const EDGES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
/** Text that upsets a prototxt or a .npy header: its delimiters, and numbers no field holds. */
const TEXT_BITS = ['{', '}', '[', ']', '<', '>', ':', ';', ',', '"', "'", '#', '\\', '\n', ' ', '(', ')', '-', '.', 'e', 'x'];
const NUMBERS = ['0', '2', '3', '7', '32', '-1', '1e999', '-1e999', 'nan', 'inf', '0x7fffffff', '4294967296', '99999999999999999999', '2147483647', '1.5', '00'];

// Not caffe-bytes.ts' concat: that module registers a vitest hook, and this one runs in a plain worker thread.
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * One seeded mutation of `original`: a pure truncation (about a third of the cases, so the oracles get
 * many), the whole of another file (a swapped kind), or one to three of bit flips, edge bytes, inserted
 * and deleted runs, a duplicated chunk, a splice with another file, and for text-like bytes a delimiter
 * or a number put in. Positions lean towards the first 512 bytes, where every format keeps its framing.
 */
export function mutate(original: Uint8Array, random: () => number, others: OtherFile[], cuts: readonly number[] = []): Mutation {
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const position = (length: number): number => (random() < 0.4 ? int(Math.min(length, 512) + 1) : int(length + 1));
  const roll = random();
  if (roll < 0.33 && original.length > 0) {
    // Half the cuts fall on the format's own boundaries, where a reader is most tempted to stop content.
    const r = random();
    const cut = r < 0.5 && cuts.length > 0 ? pick(cuts) : r < 0.6 ? int(Math.min(original.length, 16)) : int(original.length);
    return { bytes: original.slice(0, cut), what: `truncated to ${cut} of ${original.length} bytes`, truncatedAt: cut };
  }
  if (roll < 0.38 && others.length > 0) {
    const other = pick(others);
    return { bytes: other.bytes.slice(), what: `replaced by the whole of ${other.name}` };
  }
  let bytes: Uint8Array = original.slice();
  const steps: string[] = [];
  // Mostly one step: a single fault gets past the first checks and reaches the deeper ones.
  const r = random();
  for (let k = r < 0.6 ? 1 : r < 0.85 ? 2 : 3; k > 0; k--) {
    const at = position(bytes.length);
    switch (int(9)) {
      case 0: {
        const n = 1 + int(8);
        for (let j = 0; j < n; j++) {
          const p = j === 0 ? Math.min(at, bytes.length - 1) : int(bytes.length);
          if (p >= 0) bytes[p] ^= 1 << int(8);
        }
        steps.push(`${n} bit flip(s) from byte ${at}`);
        break;
      }
      case 1: {
        const n = 1 + int(4);
        for (let j = 0; j < n && at + j < bytes.length; j++) bytes[at + j] = pick(EDGES);
        steps.push(`${n} edge byte(s) at ${at}`);
        break;
      }
      case 2: {
        const run = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
        bytes = concat(bytes.subarray(0, at), run, bytes.subarray(at));
        steps.push(`${run.length} random byte(s) inserted at ${at}`);
        break;
      }
      case 3: {
        const n = 1 + int(random() < 0.5 ? 16 : 4096);
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + n));
        steps.push(`${n} byte(s) deleted at ${at}`);
        break;
      }
      case 4: {
        const from = int(bytes.length + 1);
        const chunk = bytes.slice(from, from + 1 + int(random() < 0.5 ? 64 : 8192));
        bytes = concat(bytes.subarray(0, at), chunk, bytes.subarray(at));
        steps.push(`${chunk.length} byte(s) from ${from} duplicated at ${at}`);
        break;
      }
      case 5: {
        if (others.length === 0) break;
        const other = pick(others);
        const from = int(other.bytes.length + 1);
        bytes = concat(bytes.subarray(0, at), other.bytes.subarray(from));
        steps.push(`spliced at ${at} with ${other.name} from its byte ${from}`);
        break;
      }
      case 6: {
        const bit = pick(TEXT_BITS);
        bytes = concat(bytes.subarray(0, at), ascii(bit), bytes.subarray(at));
        steps.push(`${JSON.stringify(bit)} inserted at ${at}`);
        break;
      }
      case 7: {
        // A number of the file's own text (a dim, a kernel size, a shape in a .npy header) replaced.
        const text = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 1 << 16)));
        const numbers = [...text.matchAll(/\d+/g)];
        if (numbers.length === 0) break;
        const m = pick(numbers);
        const value = pick(NUMBERS);
        bytes = concat(bytes.subarray(0, m.index), ascii(value), bytes.subarray(m.index + m[0].length));
        steps.push(`the number ${m[0]} at ${m.index} replaced by ${value}`);
        break;
      }
      default: {
        // A delimiter of the text removed: a brace, bracket, quote or colon.
        const text = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 1 << 16)));
        const marks = [...text.matchAll(/[{}[\]()"':]/g)];
        if (marks.length === 0) break;
        const m = pick(marks);
        bytes = concat(bytes.subarray(0, m.index), bytes.subarray(m.index + 1));
        steps.push(`the ${JSON.stringify(m[0])} at ${m.index} deleted`);
      }
    }
  }
  return { bytes, what: steps.join('; ') || 'unchanged' };
}

/**
 * Cuts worth trying in a valid file of each kind: on its boundaries and a byte either side (protobuf
 * field ends, the .npy header and data end, PNG chunks, JPEG markers, the ends of prototxt lines).
 */
export function cutPoints(kind: 'protobuf' | 'npy' | 'png' | 'jpeg' | 'prototxt', bytes: Uint8Array): number[] {
  let at: number[];
  if (kind === 'protobuf') at = [...protobufFieldEnds(bytes)];
  else if (kind === 'npy') at = [8, 10, 12, npyHeaderEnd(bytes), npyDataEnd(bytes)];
  else if (kind === 'png') {
    at = [8];
    for (let pos = 8; pos + 8 <= bytes.length; ) {
      pos += 12 + (((bytes[pos] << 24) | (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]) >>> 0);
      at.push(pos);
    }
  } else if (kind === 'jpeg') at = [2, jpegEnd(bytes), ...[...bytes.keys()].filter((i) => bytes[i] === 0xff && bytes[i + 1] >= 0xc0 && bytes[i + 1] !== 0xff).slice(0, 64)];
  else at = [...bytes.keys()].filter((i) => bytes[i - 1] === 0x0a || bytes[i - 1] === 0x7d);
  return [...new Set(at.flatMap((p) => [p - 1, p, p + 1]))].filter((p) => p >= 0 && p <= bytes.length).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------------
// Oracles: is a prefix of a valid file complete in its format?

/**
 * The offsets at which a top-level protobuf field ends (0 included): a prefix of a valid message is
 * itself a valid message exactly at these cuts, and nowhere else, since a cut inside a field leaves a
 * tag, a varint, a fixed value or a declared length unfinished. Walks only the outermost level.
 */
export function protobufFieldEnds(bytes: Uint8Array): Set<number> {
  const ends = new Set<number>([0]);
  let pos = 0;
  const varint = (): number | undefined => {
    let v = 0;
    for (let k = 0, mul = 1; k < 10 && pos < bytes.length; k++, mul *= 128) {
      const b = bytes[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined) break;
    const wire = tag % 8;
    if (wire === 0) {
      if (varint() === undefined) break;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const n = varint();
      if (n === undefined) break;
      pos += n;
    } else break; // groups: not in the fixtures, and not needed to judge them
    if (pos > bytes.length) break;
    ends.add(pos);
  }
  return ends;
}

/**
 * Why a prefix of a prototxt cannot be a whole one, if it cannot: a `{`, `<` or `[` left open, or a
 * string left open. Comments (`#` to the end of the line) and the insides of strings are skipped, with
 * backslash escapes, as protobuf's tokenizer reads them.
 */
export function prototxtUnclosed(text: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return `a string opened at character ${i} is not closed`;
      i = j;
    } else if (c === '{' || c === '<' || c === '[') depth++;
    else if (c === '}' || c === '>' || c === ']') depth--;
  }
  return depth > 0 ? `${depth} brace(s) left open` : undefined;
}

/**
 * Whether a prototxt's text still has a `layer` or `layers` field (V2, V1 or V0) outside comments and
 * strings. Without one, "defines no layers" concerns the whole file, and no line can be blamed.
 */
export function prototxtHasLayer(text: string): boolean {
  const code = text.replace(/"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|#[^\n]*/g, ' ');
  return /(^|[\s{};,<])layers?\s*[:{<]/.test(code);
}

/** The end of a .npy file's data as its header declares it (magic, version, header, C-order data). */
const npyHeaderStart = (bytes: Uint8Array): number => (bytes[6] === 1 ? 10 : 12);
const npyHeaderEnd = (bytes: Uint8Array): number =>
  npyHeaderStart(bytes) + (bytes[6] === 1 ? bytes[8] | (bytes[9] << 8) : (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 2 ** 24);

export function npyDataEnd(bytes: Uint8Array): number {
  const start = npyHeaderStart(bytes);
  const headerLength = npyHeaderEnd(bytes) - start;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'[<>|=]?[a-z](\d+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) throw new Error(`not a .npy header this oracle reads: ${header}`);
  const dims = shape[1].split(',').map((d) => d.trim()).filter((d) => d !== '').map(Number);
  return start + headerLength + dims.reduce((a, d) => a * d, 1) * Number(descr[1]);
}

/**
 * The end of a PNG's last IDAT chunk (chunk = length, type, data, CRC): the pixels are whole only from
 * there. The IEND chunk after it carries nothing: libpng (so sharp) decodes a PNG cut inside IEND to
 * the very same pixels, while a cut one byte into the last IDAT's CRC fails; so only the pixels count.
 */
export function pngDataEnd(bytes: Uint8Array): number {
  let pos = 8, end = -1;
  while (pos + 8 <= bytes.length) {
    const length = ((bytes[pos] << 24) | (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]) >>> 0;
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    pos += 12 + length;
    if (type === 'IDAT') end = pos;
    if (type === 'IEND') break;
  }
  if (end < 0) throw new Error('no IDAT chunk: not a PNG this oracle reads');
  return end;
}

/**
 * The end of a JPEG's EOI marker of the main image. Segments are walked by their lengths (so an EXIF
 * thumbnail's own EOI inside APP1 is skipped); after each SOS the entropy-coded data runs to the next
 * marker that is neither a stuffed 0xFF00 nor a restart marker.
 */
export function jpegEnd(bytes: Uint8Array): number {
  let pos = 2;
  while (pos + 2 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw new Error(`no marker at ${pos}: not a JPEG this oracle reads`);
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) return pos + 2;
    if (marker >= 0xd0 && marker <= 0xd7) {
      pos += 2;
      continue;
    }
    pos += 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]);
    if (marker === 0xda) {
      while (pos + 1 < bytes.length && !(bytes[pos] === 0xff && bytes[pos + 1] !== 0x00 && !(bytes[pos + 1] >= 0xd0 && bytes[pos + 1] <= 0xd7))) pos++;
    }
  }
  throw new Error('no EOI marker: not a JPEG this oracle reads');
}
