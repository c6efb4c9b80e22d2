import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, npyToFloat32, parseNpy, readNpy, writeNpy, type NpyArray } from '../../src/main/caffe/npy.js';
import { NpyError } from '../../src/shared/errors.js';
import { tempFile } from '../helpers/caffe-bytes.js';

/**
 * Files written by NumPy 2.4 (np.save / np.lib.format.write_array), base64. The arrays, as created in Python:
 *   f4_c_v1       np.array([[-1, -0.5, 0], [0.5, 1, 1.5]], '<f4')
 *   f8be_fortran  np.asfortranarray((np.arange(24).reshape(2,3,4) / 4).astype('>f8'))
 *   i2            np.array([-32768, -1, 0, 1, 32767], '<i2')
 *   u1            np.array([[0, 1, 2], [253, 254, 255]], '|u1')
 *   i8            np.array([-(2**40), -1, 2**40 + 3], '<i8')
 *   i4be          np.array([-7, 1, 65536], '>i4')
 *   b1            np.array([True, False, True])
 *   f2            np.array([1, -2.5, 65504, 2**-14], '<f2')
 *   u2be          np.array([1, 258, 65535], '>u2')
 *   f4_v2         np.array([1.5, 2.5], '<f4') with version=(2, 0)
 *   f4_v3         np.array([[3.25], [-4]], '<f4') with version=(3, 0)
 *   scalar        np.array(7.5, '<f4')
 *   empty         np.zeros((0, 3), '<f4')
 *   f4_fortran_2d np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], '<f4'))
 *   py2_long      hand-made: a NumPy-on-Python-2 header with shape (2L,), data [1.25, -3] '<f4'
 */
const NUMPY: Record<string, string> = {
  f4_c_v1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8=',
  f8be_fortran:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAEAIAAAAAAAAP/AAAAAAAABAEAAAAAAAAEAAAAAAAAAAQBQAAAAAAAA/0AAAAAAAAEAKAAAAAAAAP/QAAAAAAABAEQAAAAAAAEACAAAAAAAAQBUAAAAAAAA/4AAAAAAAAEAMAAAAAAAAP/gAAAAAAABAEgAAAAAAAEAEAAAAAAAAQBYAAAAAAAA/6AAAAAAAAEAOAAAAAAAAP/wAAAAAAABAEwAAAAAAAEAGAAAAAAAAQBcAAAAAAAA=',
  i2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGkyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDUsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAgP//AAABAP9/',
  u1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAQL9/v8=',
  i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAP//////////////AwAAAAABAAA=',
  i4be: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr////5AAAAAQABAAA=',
  b1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=',
  f2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADB/3sABA==',
  u2be: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPnUyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAQEC//8=',
  f4_v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAgQA==',
  f4_v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMSksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAFBAAACAwA==',
  scalar: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAPBA',
  empty: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=',
  f4_fortran_2d: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AACAQAAAAEAAAKBAAABAQAAAwEA=',
  py2_long: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDJMLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAKA/AABAwA==',
};

/** np.save of (np.arange(n, dtype='<f4') * 0.5 - 1).reshape(shape), for the writer. */
const NUMPY_SAVED: Array<[number[], string]> = [
  [[2, 3], 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8='],
  [[5], 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDUsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPw=='],
  [[], 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/'],
  [[1, 3, 2, 2], 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDMsIDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8AAABAAAAgQAAAQEAAAGBAAACAQAAAkEA='],
];

const bytesOf = (name: string): Uint8Array => new Uint8Array(Buffer.from(NUMPY[name], 'base64'));

/** Reads through a file and in memory; both must agree. */
function load(name: string, bytes = bytesOf(name)): NpyArray {
  const fromFile = readNpy(tempFile(`${name}.npy`, bytes));
  const fromBytes = parseNpy(bytes, `${name}.npy`);
  expect(fromBytes).toEqual(fromFile);
  return fromFile;
}

function npyError(fn: () => unknown): NpyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NpyError);
    return err as NpyError;
  }
  throw new Error('expected an NpyError');
}

describe('reading .npy files written by NumPy', () => {
  it('reads a little-endian float32 C-order array (format 1.0)', () => {
    const a = load('f4_c_v1');
    expect(a).toMatchObject({ shape: [2, 3], dtype: '<f4', fortranOrder: false, version: [1, 0] });
    expect(a.data).toEqual(Float32Array.of(-1, -0.5, 0, 0.5, 1, 1.5));
  });

  it('reads a big-endian float64 Fortran-order array and reorders it to C order as float32', () => {
    const a = load('f8be_fortran');
    expect(a).toMatchObject({ shape: [2, 3, 4], dtype: '>f8', fortranOrder: true });
    expect(a.data).toBeInstanceOf(Float64Array);
    // file order is column-major: element [1,0,0] = 12/4 comes second, [0,1,0] = 4/4 third
    expect([...a.data.slice(0, 3)]).toEqual([0, 3, 1]);
    expect([...npyToFloat32(a)]).toEqual(Array.from({ length: 24 }, (_, k) => k / 4));
  });

  it('reorders a 2-D Fortran-order float32 array', () => {
    const a = load('f4_fortran_2d');
    expect([...a.data]).toEqual([1, 4, 2, 5, 3, 6]);
    expect([...npyToFloat32(a)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads integer, unsigned, boolean and half-float dtypes of either byte order', () => {
    expect(load('i2').data).toEqual(Int16Array.of(-32768, -1, 0, 1, 32767));
    expect(load('u1')).toMatchObject({ shape: [2, 3], dtype: '|u1', data: Uint8Array.of(0, 1, 2, 253, 254, 255) });
    const i8 = load('i8');
    expect(i8.data).toEqual(BigInt64Array.of(-(2n ** 40n), -1n, 2n ** 40n + 3n));
    expect([...npyToFloat32(i8)]).toEqual([-(2 ** 40), -1, 2 ** 40]);
    expect(load('i4be')).toMatchObject({ dtype: '>i4', data: Int32Array.of(-7, 1, 65536) });
    expect(load('b1')).toMatchObject({ dtype: '|b1', data: Uint8Array.of(1, 0, 1) });
    expect(load('u2be')).toMatchObject({ dtype: '>u2', data: Uint16Array.of(1, 258, 65535) });
    expect([...npyToFloat32(load('u2be'))]).toEqual([1, 258, 65535]);
    const f2 = load('f2');
    expect(f2.data).toEqual(Uint16Array.of(0x3c00, 0xc100, 0x7bff, 0x0400));
    expect([...npyToFloat32(f2)]).toEqual([1, -2.5, 65504, 2 ** -14]);
  });

  it('reads format versions 2.0 and 3.0', () => {
    expect(load('f4_v2')).toMatchObject({ version: [2, 0], shape: [2], data: Float32Array.of(1.5, 2.5) });
    expect(load('f4_v3')).toMatchObject({ version: [3, 0], shape: [2, 1], data: Float32Array.of(3.25, -4) });
  });

  it('reads a 0-d array, an empty array, and a Python 2 header with long integers', () => {
    expect(load('scalar')).toMatchObject({ shape: [], data: Float32Array.of(7.5) });
    expect(load('empty')).toMatchObject({ shape: [0, 3], data: new Float32Array(0) });
    expect(load('py2_long')).toMatchObject({ shape: [2], data: Float32Array.of(1.25, -3) });
  });
});

describe('refusing bad .npy files', () => {
  it('refuses a file without the magic, and an empty file', () => {
    expect(npyError(() => parseNpy(new TextEncoder().encode('hello'), 'x.npy')).message).toBe('x.npy@0: is not a .npy file (no \\x93NUMPY magic at its start)');
    expect(npyError(() => readNpy(tempFile('empty.npy', new Uint8Array(0)))).message).toMatch(/is empty/);
  });

  it('refuses truncated data before allocating it', () => {
    const bytes = bytesOf('f4_c_v1');
    const err = npyError(() => parseNpy(bytes.subarray(0, bytes.length - 4), 'cut.npy'));
    expect(npyError(() => readNpy(tempFile('cut.npy', bytes.subarray(0, bytes.length - 4)))).location?.offset).toBe(128);
    expect(err.message).toBe('cut.npy@128: is truncated: shape (2, 3) of <f4 needs 24 data bytes but only 20 follow the header');
  });

  it('refuses an absurd shape without allocating it', () => {
    const bytes = new Uint8Array(bytesOf('f4_c_v1'));
    const text = new TextDecoder().decode(bytes.subarray(10, 128)).replace('(2, 3)', '(99999999, 99999999)');
    const forged = new Uint8Array([...bytes.subarray(0, 10), ...new TextEncoder().encode(text.slice(0, 118)), ...bytes.subarray(128)]);
    expect(npyError(() => parseNpy(forged, 'big.npy')).message).toMatch(/is truncated: shape \(99999999, 99999999\) of <f4 needs \d+ data bytes but only 24 follow/);
  });

  it('refuses a header length larger than the file', () => {
    const bytes = new Uint8Array(bytesOf('f4_v2'));
    bytes.set([0xff, 0xff, 0xff, 0xff], 8);
    expect(npyError(() => parseNpy(bytes, 'h.npy')).message).toMatch(/declares a 4294967295-byte header/);
  });

  it('refuses complex, structured and unknown dtypes, and a malformed header', () => {
    const withHeader = (header: string) => {
      const h = header.padEnd(117, ' ') + '\n';
      return new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length, 0, ...new TextEncoder().encode(h), ...new Uint8Array(64)]);
    };
    expect(npyError(() => parseNpy(withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }"), 'c.npy')).message).toMatch(/has the dtype '<c8'/);
    expect(npyError(() => parseNpy(withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"), 's.npy')).message).toMatch(/structured or missing dtype/);
    expect(npyError(() => parseNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,, }"), 'm.npy')).message).toMatch(/malformed \.npy header/);
    expect(npyError(() => parseNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"), 'n.npy')).message).toMatch(/'shape' is not a tuple of non-negative integers/);
  });

  it('reports a missing file as NpyError', () => {
    expect(npyError(() => readNpy('/nonexistent/x.npy')).message).toMatch(/cannot read/);
  });
});

describe('writing .npy files', () => {
  for (const [shape, b64] of NUMPY_SAVED) {
    it(`writes shape (${shape.join(', ')}) byte for byte as np.save does`, () => {
      const n = shape.reduce((a, d) => a * d, 1);
      const data = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 1);
      expect(Buffer.from(encodeNpy(shape, data)).toString('base64')).toBe(b64);
    });
  }

  it('writes atomically: the file appears complete, replaces an old one, and leaves no temp file', () => {
    const path = tempFile('out.npy', 'old contents');
    writeNpy(path, [2, 3], Float32Array.of(-1, -0.5, 0, 0.5, 1, 1.5));
    expect(Buffer.from(readFileSync(path)).toString('base64')).toBe(NUMPY_SAVED[0][1]);
    expect(readdirSync(dirname(path)).filter((f) => f.includes('out.npy'))).toEqual(['out.npy']);
    expect(readNpy(path).data).toEqual(Float32Array.of(-1, -0.5, 0, 0.5, 1, 1.5));
  });

  it('reports a failed write as NpyError, leaving the target untouched', () => {
    const path = tempFile('kept.npy', 'keep me');
    expect(npyError(() => writeNpy(`${path}/inside-a-file.npy`, [1], Float32Array.of(1))).message).toMatch(/cannot write/);
    expect(npyError(() => writeNpy(path, [2], Float32Array.of(1))).message).toMatch(/holding 2 values with 1 values/);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
    writeFileSync(path, 'keep me');
  });
});
