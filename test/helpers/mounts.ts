/**
 * Small tmpfs mounts for the tests of write failures: a read-only file system and a nearly full one
 * give the real EROFS and ENOSPC, which nothing else produces reliably (root writes through any
 * permission). The tests run as root (npm test and .ci/run do).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MOUNT, UMOUNT } from '../system-deps.js';

export interface Mounted {
  dir: string;
  unmount(): void;
}

/** A fresh tmpfs: `readOnly`, or holding at most `kib` KiB. */
export function tmpfs(options: { readOnly?: boolean; kib?: number }): Mounted {
  const dir = mkdtempSync(join(tmpdir(), 'portafilter-mount-'));
  const opts = [options.readOnly ? 'ro' : 'rw', ...(options.kib ? [`size=${options.kib}k`] : [])].join(',');
  execFileSync(MOUNT, ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
  return {
    dir,
    unmount: () => {
      execFileSync(UMOUNT, [dir]);
      rmdirSync(dir);
    },
  };
}
