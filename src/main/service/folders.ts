/**
 * listFolder: the host-side file browser of the web host, where a page cannot see the host's disk.
 * A listing is confined to its roots (the user's home, and whatever else the host allows: the
 * folders of models opened in this run, the upload folder). Paths are judged after realpath, so a
 * symlink inside a root that points out of it is judged where it lands; entries whose symlink
 * escapes are left out rather than shown and then refused.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join } from 'node:path';
import type { FolderEntry, FolderListing } from '../../shared/api.js';
import { PortafilterError } from '../../shared/errors.js';
import { isInside } from '../paths.js';
import { errnoCode } from '../system-errors.js';

/** Files a Caffe user opens or feeds: nets, weights, means, arrays, label lists, images. */
export const LISTED_EXTENSIONS: ReadonlySet<string> = new Set([
  '.prototxt',
  '.pt',
  '.caffemodel',
  '.binaryproto',
  '.npy',
  '.txt',
  '.png',
  '.jpg',
  '.jpeg',
  '.bmp',
  '.gif',
  '.webp',
]);

/** Stats run this many at a time: a folder of thousands of images must not open thousands of handles at once. */
const STAT_BATCH = 64;


/** The roots as realpaths, in the order given, without duplicates or roots that do not exist (a deleted upload folder). */
export async function canonicalRoots(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    if (!isAbsolute(root)) continue;
    try {
      const real = await realpath(root);
      if ((await stat(real)).isDirectory() && !out.includes(real)) out.push(real);
    } catch {
      // A root that is gone lists nothing; the others still do.
    }
  }
  return out;
}

/** Folders first, then files; by name as a person sorts them (digit_3 before digit_10), case aside. */
export function compareEntries(a: FolderEntry, b: FolderEntry): number {
  if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
  return a.name.localeCompare(b.name, 'en', { numeric: true, sensitivity: 'base' }) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** `path` absent: the roots themselves, as entries named by their absolute paths. */
export async function listFolder(request: { path?: string }, allowedRoots: readonly string[]): Promise<FolderListing> {
  const roots = await canonicalRoots(allowedRoots);
  if (request.path === undefined) {
    return { path: '', roots, entries: roots.map((root) => ({ name: root, kind: 'folder' })) };
  }
  const asked = request.path;
  if (!isAbsolute(asked)) throw new PortafilterError('cannot list: not an absolute path', { file: asked });
  let folder: string;
  try {
    folder = await realpath(asked);
  } catch (e) {
    const code = errnoCode(e);
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such folder' : (code ?? String(e));
    throw new PortafilterError(`cannot list: ${why}`, { file: asked });
  }
  if (!roots.some((root) => isInside(folder, root))) {
    // The error's location names the path as asked; a link's target is said here.
    const landing = folder === asked ? '' : ` (it leads to ${folder})`;
    throw new PortafilterError(
      `refused: outside the folders the file browser may list${landing}; it may list ${roots.join(', ') || 'nothing'} (the home folder, the folders of models opened in this run, the uploads)`,
      { file: asked },
    );
  }
  if (!(await stat(folder)).isDirectory()) throw new PortafilterError('cannot list: not a folder', { file: asked });

  let dirents: Dirent[];
  try {
    dirents = await readdir(folder, { withFileTypes: true });
  } catch (e) {
    throw new PortafilterError(`cannot list: ${errnoCode(e) ?? String(e)}`, { file: asked });
  }
  const visible = dirents.filter((d) => !d.name.startsWith('.'));
  const entries: FolderEntry[] = [];
  for (let i = 0; i < visible.length; i += STAT_BATCH) {
    const batch = await Promise.all(visible.slice(i, i + STAT_BATCH).map((d) => describe(folder, d, roots)));
    for (const entry of batch) if (entry) entries.push(entry);
  }
  entries.sort(compareEntries);

  // A root inside another (a model's folder under home) still has a parent to go up to.
  const parent = dirname(folder);
  const listing: FolderListing = { path: folder, roots, entries };
  if (parent !== folder && roots.some((root) => isInside(parent, root))) listing.parent = parent;
  return listing;
}

/** One entry as the browser shows it, or null for what it leaves out (other file types, broken or escaping links, sockets). */
async function describe(folder: string, dirent: Dirent, roots: readonly string[]): Promise<FolderEntry | null> {
  const full = join(folder, dirent.name);
  try {
    if (dirent.isSymbolicLink()) {
      const target = await realpath(full);
      if (!roots.some((root) => isInside(target, root))) return null;
    }
    const isFolder = dirent.isDirectory() || (dirent.isSymbolicLink() && (await stat(full)).isDirectory());
    if (isFolder) return { name: dirent.name, kind: 'folder' };
    if (!LISTED_EXTENSIONS.has(extname(dirent.name).toLowerCase())) return null;
    const info = await stat(full);
    return info.isFile() ? { name: dirent.name, kind: 'file', size: info.size } : null;
  } catch {
    // Vanished between readdir and stat, or unreadable: not something the user could open anyway.
    return null;
  }
}
