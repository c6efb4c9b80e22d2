/**
 * Exports never leave a half-written file: everything is written under a temporary sibling name
 * and renamed into place only once complete; on failure (or cancel) the temporary is removed.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';

const temporary = (target: string, tag: string): string => join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.${tag}`);

/**
 * Runs `write(tmp)` and moves `tmp` to `target`. A folder target (`kind: 'dir'`) replaces an existing
 * folder of that name as a whole; a file target replaces the file.
 */
export async function writeAtomically<T>(target: string, kind: 'file' | 'dir', write: (tmp: string) => Promise<T>): Promise<T> {
  const parent = dirname(target);
  // Named before anything is tried: Node would name the temporary, and a user can fix only the path they gave.
  const blocking = fileInTheWay(parent);
  if (blocking !== undefined) throw new PortafilterError(`cannot write here: ${blocking} is a file, not a folder`, { file: target });
  if (!existsSync(parent)) mkdirSync(parent, { recursive: true });
  if (existsSync(target) && statSync(target).isDirectory() !== (kind === 'dir'))
    throw new PortafilterError(`exists and is ${kind === 'dir' ? 'not a folder' : 'a folder'}`, { file: target });
  const tmp = temporary(target, 'partial');
  if (kind === 'dir') mkdirSync(tmp);
  let result: T;
  try {
    result = await write(tmp);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  if (kind === 'dir' && existsSync(target)) {
    const old = temporary(target, 'old');
    renameSync(target, old);
    try {
      renameSync(tmp, target);
    } catch (e) {
      renameSync(old, target);
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, target);
  }
  return result;
}

/** The nearest existing ancestor of `folder` (itself included) when it is a file, not a folder. */
function fileInTheWay(folder: string): string | undefined {
  let at = folder;
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
  return statSync(at).isDirectory() ? undefined : at;
}

/** Cleanup after a failure must not replace the failure's own error with its own. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Nothing was created there, or it cannot be removed either way; the first error says why.
  }
}
