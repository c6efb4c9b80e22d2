/** Atomic export writes: a target the user cannot write is named as they gave it, and nothing is left behind. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAtomically } from '../../../src/main/export/atomic.js';

const work = mkdtempSync(join(tmpdir(), 'portafilter-atomic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('writing an export atomically', () => {
  it('refuses a target under a file, naming the target and the file in the way, and writes nothing', async () => {
    const blocker = join(work, 'blocker');
    writeFileSync(blocker, 'not a folder');
    for (const [out, kind] of [
      [join(blocker, 'LeNet.onnx'), 'file'],
      [join(blocker, 'LeNet_npy'), 'dir'],
      [join(blocker, 'deeper', 'LeNet.keras'), 'file'],
    ] as const) {
      let wrote = false;
      const failed = writeAtomically(out, kind, async (tmp) => {
        wrote = true;
        writeFileSync(kind === 'dir' ? join(tmp, 'W_conv1.npy') : tmp, 'x');
      });
      await expect(failed).rejects.toMatchObject({ location: { file: out }, message: `${out}: cannot write here: ${blocker} is a file, not a folder` });
      expect(wrote).toBe(false);
    }
    expect(readdirSync(work)).toEqual(['blocker']);
    expect(readFileSync(blocker, 'utf8')).toBe('not a folder');
  });

  it("keeps the writer's own error when cleaning up after it", async () => {
    const out = join(work, 'fails.onnx');
    await expect(writeAtomically(out, 'file', async () => Promise.reject(new Error('the writer broke')))).rejects.toThrow('the writer broke');
    expect(readdirSync(work).filter((f) => f.includes('fails'))).toEqual([]);
  });
});
