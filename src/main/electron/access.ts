/**
 * What the window may touch on disk: the grants the user made through the app (a dialog, a drop,
 * the command line, an earlier session's recent files, the bundled demo), and the check every call
 * passes before it reaches the service. Kept apart from ipc.ts so all of it runs without Electron.
 *
 * A chosen model file grants that file only, not its folder: the siblings (the caffemodel next to a
 * deploy.prototxt, a mean.binaryproto) each come through their own … button or drop, and a pick of
 * ~/deploy.prototxt must not let a compromised page read whatever else lies in ~. A chosen folder
 * (a dropped folder of .npy weights, an export folder) grants what is under it, as choosing a folder
 * means.
 */
import type { CallFailure } from '../../shared/api.js';
import { failure } from '../service/dispatch.js';
import { PathGrants, canonicalPath, type GrantScope } from './grants.js';
import { pathsOfCall, type PathAccess } from '../service/path-fields.js';
import type { RecentEntry, RecentFiles } from './recents.js';

export interface ChosenPath {
  /** As the user's side named it (the page shows this). */
  path: string;
  folder: boolean;
}

export function refusal(field: string, path: string, access: PathAccess, problem?: string): string {
  if (problem) return `refused: ${problem} (${field}); choose the file in a dialog instead`;
  return access === 'write'
    ? `refused: ${path} was not chosen as an export destination (${field}); choose it in the Export dialog (the … button beside the output path)`
    : `refused: ${path} was not chosen in this window (${field}); choose it in the Open dialog (a … button) or drop it on the window — the app opens only files you chose`;
}

export class UserPaths {
  constructor(
    readonly grants: PathGrants = new PathGrants(),
    private readonly recents?: RecentFiles,
    private readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {}

  /**
   * Grants again what earlier sessions granted, where it still is what was granted: an entry whose
   * path now resolves elsewhere (replaced by a symlink) or changed between file and folder is dropped.
   */
  async restore(): Promise<void> {
    if (!this.recents) return;
    const kept = new Set<RecentEntry>();
    for (const entry of await this.recents.load()) {
      const canonical = await canonicalPath(entry.path, this.grants.env);
      if ('problem' in canonical || canonical.path !== entry.path) continue;
      if ((await this.grants.env.isDirectory(entry.path)) !== (entry.scope === 'tree')) continue;
      if ('grant' in (await this.grants.grant(entry.path, entry.scope, 'read'))) kept.add(entry);
    }
    this.recents.retain((e) => kept.has(e));
  }

  /** A file or folder the window may read from now on; `remember` keeps it for later sessions. */
  async grantRead(raw: string, remember: boolean): Promise<ChosenPath | { problem: string }> {
    const folder = await this.grants.env.isDirectory(raw);
    const granted = await this.grants.grant(raw, folder ? 'tree' : 'file', 'read');
    if ('problem' in granted) return granted;
    if (remember && this.recents) {
      // The grant stands for this session even where the list cannot be written.
      await this.recents.remember({ path: granted.grant.path, scope: granted.grant.scope }).catch((e: unknown) => {
        this.warn(`portafilter: the recent files could not be saved to ${this.recents?.file}: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
    return { path: raw, folder };
  }

  /** An export destination chosen in the save dialog: the file, or for a folder format the folder and what goes under it. */
  async grantWrite(raw: string, scope: GrantScope): Promise<ChosenPath | { problem: string }> {
    const granted = await this.grants.grant(raw, scope, 'write');
    return 'problem' in granted ? granted : { path: raw, folder: scope === 'tree' };
  }

  /** Null when every path of the call was granted for what the call does there, else the refusal naming the first that was not. */
  async checkCall(method: string, request: unknown): Promise<CallFailure | null> {
    const found = pathsOfCall(method, request);
    if ('problem' in found) return failure(found.problem);
    for (const { field, access, path } of found.paths) {
      const verdict = await this.grants.check(path, access);
      if (!verdict.allowed) return failure(refusal(field, path, access, verdict.problem), { file: path });
    }
    return null;
  }
}
