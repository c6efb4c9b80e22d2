/**
 * The files and folders the user opened in earlier sessions, kept by main (a JSON file in Electron's
 * userData folder) so the open form, which remembers its last paths, still works after a restart.
 * Only read grants the user made (dialog, drop, command line) are kept: an export destination is a
 * one-time decision to write there, and does not outlive the session that made it.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { GrantScope } from './grants.js';

export const MAX_RECENTS = 20;
export const RECENTS_FILE = 'recent-files.json';

export interface RecentEntry {
  /** Canonical, as granted. */
  path: string;
  scope: GrantScope;
}

const Stored = z.object({
  version: z.literal(1),
  entries: z.array(z.object({ path: z.string().min(1).max(4096), scope: z.enum(['file', 'tree']) })).max(MAX_RECENTS),
});

/** The list in a stored file; a file that is missing, damaged or of another version gives none (it is rewritten on the next grant). */
export function parseRecents(text: string): RecentEntry[] {
  try {
    const parsed = Stored.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.entries : [];
  } catch {
    return [];
  }
}

export const serializeRecents = (entries: readonly RecentEntry[]): string => `${JSON.stringify({ version: 1, entries }, null, 2)}\n`;

/** Newest first, one entry per path, at most MAX_RECENTS. */
export function addRecent(entries: readonly RecentEntry[], entry: RecentEntry): RecentEntry[] {
  return [entry, ...entries.filter((e) => e.path !== entry.path)].slice(0, MAX_RECENTS);
}

export class RecentFiles {
  private entries: RecentEntry[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  async load(): Promise<RecentEntry[]> {
    try {
      this.entries = parseRecents(await readFile(this.file, 'utf8'));
    } catch {
      this.entries = [];
    }
    return this.entries;
  }

  list(): readonly RecentEntry[] {
    return this.entries;
  }

  /** Records an entry and writes the file (writes run one after another; each replaces the file whole, so a crash leaves the old or the new list). */
  remember(entry: RecentEntry): Promise<void> {
    this.entries = addRecent(this.entries, entry);
    const text = serializeRecents(this.entries);
    // A failed write (full disk) is reported to its caller and does not stop the ones after it.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, this.file);
    });
    return this.writing;
  }

  /** Drops entries that no longer hold (see UserPaths.restore) from the next write. */
  retain(keep: (entry: RecentEntry) => boolean): void {
    this.entries = this.entries.filter(keep);
  }
}
