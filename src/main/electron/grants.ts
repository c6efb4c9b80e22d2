/**
 * The paths the user chose, which are the only ones the window's calls may name. The renderer is
 * untrusted: whatever it sends is compared, after the same normalisation, with what the user picked
 * in a dialog, dropped on the window, named on the command line or opened in an earlier session.
 *
 * Normalisation: a path must be absolute and hold no `.` or `..` segment (the dialogs never return
 * one, so only a crafted path does); it is then resolved with realpath as far as it exists, so a
 * symlink inside a granted folder that points out of it, or `granted/link/..`, lands where the
 * operating system would open it and is judged there. A path that does not exist yet (an export
 * target) is the realpath of its deepest existing folder plus the rest.
 */
import { realpath, stat } from 'node:fs/promises';
import nodePath from 'node:path';
import { isInside } from '../paths.js';
import type { PathAccess } from '../service/path-fields.js';
import { errnoCode } from '../system-errors.js';

/** A file by itself, or a folder with everything under it. */
export type GrantScope = 'file' | 'tree';

export interface Grant {
  /** Canonical (see canonicalPath). */
  path: string;
  scope: GrantScope;
  access: PathAccess;
}

/** The file system and path rules grants work with; tests pass their own. */
export interface GrantEnv {
  realpath(path: string): Promise<string>;
  /** Follows symlinks, as opening the path would. */
  isDirectory(path: string): Promise<boolean>;
  path: nodePath.PlatformPath;
  /** Windows and macOS file systems match names regardless of case by default. */
  caseInsensitive: boolean;
}

export const nodeGrantEnv: GrantEnv = {
  realpath: (p) => realpath(p),
  isDirectory: async (p) => {
    try {
      return (await stat(p)).isDirectory();
    } catch {
      return false;
    }
  },
  path: nodePath,
  caseInsensitive: process.platform === 'win32' || process.platform === 'darwin',
};

/** realpath's answers that mean "not there (yet)", as opposed to a loop or a denied folder. */
const MISSING = new Set(['ENOENT', 'ENOTDIR']);

export async function canonicalPath(raw: string, env: GrantEnv = nodeGrantEnv): Promise<{ path: string } | { problem: string }> {
  const p = env.path;
  if (raw.includes('\0')) return { problem: `${JSON.stringify(raw)} holds a NUL character` };
  if (!p.isAbsolute(raw)) return { problem: `${raw} is not an absolute path` };
  const separators = p.sep === '\\' ? /[\\/]/ : /\//;
  if (raw.split(separators).some((segment) => segment === '.' || segment === '..')) {
    return { problem: `${raw} holds a '.' or '..' segment` };
  }
  const rest: string[] = [];
  let existing = p.resolve(raw);
  for (;;) {
    try {
      const real = await env.realpath(existing);
      return { path: rest.length === 0 ? real : p.join(real, ...rest.reverse()) };
    } catch (e) {
      const code = errnoCode(e);
      if (code === undefined || !MISSING.has(code)) {
        return { problem: `${raw} cannot be resolved (${code ?? (e instanceof Error ? e.message : String(e))})` };
      }
      const parent = p.dirname(existing);
      // Not even the root exists (a drive that is gone): nothing to resolve, the lexical form stands.
      if (parent === existing) return { path: p.resolve(raw) };
      rest.push(p.basename(existing));
      existing = parent;
    }
  }
}

export class PathGrants {
  private readonly grants: Grant[] = [];

  constructor(readonly env: GrantEnv = nodeGrantEnv) {}

  /** Records a path the user chose; answers the grant as stored, or why the path cannot be granted. */
  async grant(raw: string, scope: GrantScope, access: PathAccess): Promise<{ grant: Grant } | { problem: string }> {
    const canonical = await canonicalPath(raw, this.env);
    if ('problem' in canonical) return canonical;
    const grant: Grant = { path: canonical.path, scope, access };
    const key = this.key(grant.path);
    if (!this.grants.some((g) => g.scope === scope && g.access === access && this.key(g.path) === key)) this.grants.push(grant);
    return { grant };
  }

  /** Whether a call may `access` the path `raw`; `problem` says why a path is unusable whatever was granted. */
  async check(raw: string, access: PathAccess): Promise<{ allowed: true } | { allowed: false; problem?: string }> {
    const canonical = await canonicalPath(raw, this.env);
    if ('problem' in canonical) return { allowed: false, problem: canonical.problem };
    return this.covers(canonical.path, access) ? { allowed: true } : { allowed: false };
  }

  /** A canonical path is covered by a grant of the same access: the granted file itself, or anything under a granted folder. */
  covers(canonical: string, access: PathAccess): boolean {
    const key = this.key(canonical);
    return this.grants.some((g) => {
      if (g.access !== access) return false;
      const granted = this.key(g.path);
      return g.scope === 'tree' ? isInside(key, granted, this.env.path.sep) : key === granted;
    });
  }

  list(): readonly Grant[] {
    return this.grants;
  }

  private key(canonical: string): string {
    return this.env.caseInsensitive ? canonical.toLowerCase() : canonical;
  }
}
