/**
 * Putting an export in place without destroying anything Portafilter did not write, and without ever
 * leaving half of one.
 *
 * - Everything an export writes (the model, its README, its companion modules) is staged in ONE
 *   temporary folder beside the target, `.portafilter-<name>.<pid>.<random>.partial`, then put in place:
 *   a folder export (tfjs, npy) by one rename of that folder; a file export (.keras, .h5, .onnx), whose
 *   companions sit beside it, by renaming the staged folder to `….commit` with a journal of the moves
 *   and then moving each file, the model last. An export killed between those moves is completed, by
 *   the journal, at the next export into that folder, for every file whose destination is still what
 *   the journal found there.
 * - What is already at the target is replaced only when the caller says so (`force`, the CLI's
 *   `--force`; the workbench asks first), and a folder only when it is an earlier Portafilter export of
 *   the same format, recognised by the marker file every folder export holds. Anything else is refused.
 * - The moves into place happen under a lock file beside the target, so two exports into one place
 *   take turns instead of racing.
 * - Temporary names carry the pid and a random suffix; on failure or cancel the staged folder is
 *   removed. What a killed export left (partial, old, commit folders, locks) is found by the same names
 *   and removed at the next export into that folder, once the process that wrote it is gone; the
 *   export's notes say so.
 * - Write failures are one line naming the target the user gave and the cause in words (read-only,
 *   no space, …), never the hidden temporary.
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { appVersion } from '../paths.js';
import { pseudoFileSystem, SYSTEM_CAUSES, systemErrorCode } from '../system-errors.js';
import type { ExportFormat } from './types.js';

/** The marker every folder export holds: how a later export knows the folder is one it may replace. */
export const EXPORT_MARKER = '.portafilter-export.json';

export interface ExportMarker {
  writtenBy: 'Portafilter';
  version: string;
  format: ExportFormat;
  date: string;
}

export interface PlaceOptions {
  /** The file (kind 'file') or folder (kind 'dir') the user named. */
  out: string;
  kind: 'file' | 'dir';
  format: ExportFormat;
  /** Replace what is at `out` (an earlier export of the same format, for a folder). */
  force?: boolean;
}

export interface Staging {
  /** The temporary folder everything is written into. */
  dir: string;
  /** Where the model goes: the staged folder itself (folder exports) or `dir/<file name>` (file exports). */
  model: string;
  /** The folder the files land in: the target folder, or the folder holding the target file. */
  destination: string;
}

export interface Placed<T> {
  value: T;
  /** Where each written file now is, the model first. */
  files: string[];
  /** What happened besides: leftovers of killed exports removed or completed. */
  notes: string[];
}

/** Why a target cannot be written, machine-readable, in `PortafilterError.details.kind`. */
export type TargetFault = 'exists' | 'foreign' | 'kind' | 'place' | 'busy' | 'write';

const fault = (reason: string, target: string, kind: TargetFault, extra: Record<string, unknown> = {}): PortafilterError =>
  new PortafilterError(reason, { file: target }, { kind, ...extra });

// ---------------------------------------------------------------------------------------------------
// Names of what an export writes beside its target

const TAG = '.portafilter-';
const token = (): string => randomBytes(4).toString('hex');
const temporaryName = (target: string, what: 'partial' | 'old' | 'commit'): string =>
  join(dirname(target), `${TAG}${basename(target)}.${process.pid}.${token()}.${what}`);
const lockName = (target: string): string => join(dirname(target), `${TAG}${basename(target)}.lock`);

/** `.portafilter-<name>.<pid>.<hex>.<what>`, and the `.<name>.<pid>.<ms>.<what>` of earlier versions. */
const LEFTOVER = /^\.(?:portafilter-)?(.+)\.(\d+)\.([0-9a-f]{8}|\d{13})\.(partial|old|commit)$/;
const LOCK = /^\.portafilter-(.+)\.lock$/;

// ---------------------------------------------------------------------------------------------------
// Write failures in the user's words

/** The system error code somewhere in `e`, or under HDF5's report of it. */
function errnoOf(e: unknown): string | undefined {
  const code = systemErrorCode(e);
  if (code) return code;
  const hdf5 = (e as { hdf5Error?: unknown } | undefined)?.hdf5Error;
  if (typeof hdf5 !== 'string') return undefined;
  if (/read-only/i.test(hdf5)) return 'EROFS';
  if (/no space/i.test(hdf5)) return 'ENOSPC';
  if (/quota/i.test(hdf5)) return 'EDQUOT';
  if (/permission/i.test(hdf5)) return 'EACCES';
  return undefined;
}

/**
 * A failure while writing, as the user should read it: a typed error of the writer that names no
 * temporary passes as it is; a system error becomes "cannot write TARGET: cause".
 */
export function writeFailure(e: unknown, target: string, staging?: string): Error {
  const code = errnoOf(e);
  if (code) return fault(`cannot write: ${SYSTEM_CAUSES[code]}`, target, 'write', { errno: code });
  if (e instanceof PortafilterError) {
    const named = e.location?.file;
    if (staging && named && (named === staging || named.startsWith(staging + sep)))
      return new PortafilterError(e.reason, { ...e.location, file: target }, e.details);
    return e;
  }
  const message = e instanceof Error ? e.message : String(e);
  return fault(`cannot write: ${message.split('\n')[0] || 'the writer failed without saying why'}`, target, 'write');
}

// ---------------------------------------------------------------------------------------------------
// Leftovers of killed exports

let bootTime: number | undefined;

/** When process `pid` started (ms since the epoch), where /proc says; undefined elsewhere. */
function processStart(pid: number): number | undefined {
  try {
    bootTime ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot) comes after the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) && Number.isFinite(bootTime) ? bootTime + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether what process `pid` wrote at `writtenMs` is left over: the process is gone, or the pid now
 * belongs to a process that started after the file was written (pids are reused).
 */
export function isLeftOver(pid: number, writtenMs: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const started = processStart(pid);
  return started !== undefined && started > writtenMs + 1000;
}

interface Journal {
  target: string;
  moves: { name: string; dest: string; before: Identity | null }[];
}
type Identity = { dev: number; ino: number; size: number; mtimeMs: number };
const identity = (s: Stats): Identity => ({ dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs });
const sameIdentity = (a: Identity | null, b: Identity | null): boolean =>
  a === null || b === null ? a === b : a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
const identityAt = (path: string): Identity | null => {
  try {
    return identity(lstatSync(path));
  } catch {
    return null;
  }
};

const sizeOf = (path: string): number => {
  try {
    const s = lstatSync(path);
    if (!s.isDirectory()) return s.size;
    return readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0);
  } catch {
    return 0;
  }
};
const mib = (bytes: number): string => (bytes >= 1 << 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${bytes} bytes`);

/** Completes an interrupted file export from its journal, where every destination is as the journal found it. */
function completeCommit(dir: string, notes: string[]): void {
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) as Journal;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    notes.push(`removed ${basename(dir)}, an interrupted export without its journal`);
    return;
  }
  const done: string[] = [];
  const kept: string[] = [];
  for (const m of journal.moves) {
    const staged = join(dir, m.name);
    if (!existsSync(staged)) continue;
    if (sameIdentity(identityAt(m.dest), m.before)) {
      renameSync(staged, m.dest);
      done.push(m.dest);
    } else kept.push(m.dest);
  }
  rmSync(dir, { recursive: true, force: true });
  if (done.length > 0) notes.push(`completed an export to ${journal.target} that was interrupted: moved ${done.join(', ')} into place`);
  if (kept.length > 0) notes.push(`left ${kept.join(', ')} as they are: they changed after an interrupted export to ${journal.target} had chosen to replace them`);
}

/** Removes (or completes) what killed exports left in `folder`; says what it did. */
export function sweepLeftovers(folder: string): string[] {
  const notes: string[] = [];
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return notes;
  }
  for (const name of names) {
    const path = join(folder, name);
    const m = LEFTOVER.exec(name);
    try {
      if (m) {
        const stat = lstatSync(path);
        if (!isLeftOver(Number(m[2]), stat.mtimeMs)) continue;
        if (m[4] === 'commit') completeCommit(path, notes);
        else {
          const bytes = sizeOf(path);
          rmSync(path, { recursive: true, force: true });
          notes.push(`removed ${name} (${mib(bytes)}), left by an export (pid ${m[2]}) that was killed`);
        }
      } else if (LOCK.test(name)) {
        const pid = Number(readFileSync(path, 'utf8').trim());
        if (Number.isInteger(pid) && isLeftOver(pid, lstatSync(path).mtimeMs)) {
          unlinkSync(path);
          notes.push(`removed ${name}, the lock of an export (pid ${pid}) that was killed`);
        }
      }
    } catch {
      // Someone else removed it meanwhile, or it is not ours to touch after all: leave it.
    }
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------------
// The lock beside the target

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How long an export waits for another one into the same place before giving up. */
export const LOCK_WAIT_MS = 120_000;

async function withLock<T>(target: string, work: () => T): Promise<T> {
  const lock = lockName(target);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailure(e, target);
      let holder = NaN;
      try {
        holder = Number(readFileSync(lock, 'utf8').trim());
        if (Number.isInteger(holder) && isLeftOver(holder, lstatSync(lock).mtimeMs)) unlinkSync(lock);
      } catch {
        // released meanwhile (or half-written by its owner this instant): try again
      }
      if (Date.now() > deadline)
        throw fault(`another export into the same place (pid ${Number.isInteger(holder) ? holder : '?'}) has held ${basename(lock)} for ${LOCK_WAIT_MS / 1000} s`, target, 'busy');
      await sleep(25 + Math.random() * 25);
      continue;
    }
    closeSync(fd);
    try {
      return work();
    } finally {
      try {
        unlinkSync(lock);
      } catch {
        // removed by a sweep that took us for dead: nothing left to release
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Checking the target

function readMarker(folder: string): ExportMarker | undefined {
  try {
    const m = JSON.parse(readFileSync(join(folder, EXPORT_MARKER), 'utf8')) as ExportMarker;
    return m.writtenBy === 'Portafilter' ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The folder that will hold the export: the nearest existing ancestor must be a writable place (a
 * folder, not /proc); the missing levels are created one at a time (Node's recursive mkdir loops on
 * /proc). Returns the folders it created, outermost first.
 */
function prepareDestination(folder: string, target: string): string[] {
  const missing = checkDestination(folder, target);
  const created: string[] = [];
  try {
    for (const dir of missing) {
      mkdirSync(dir);
      created.push(dir);
    }
  } catch (e) {
    removeCreated(created);
    throw writeFailure(e, target);
  }
  return created;
}

/** Checks that `folder` can hold the export; returns its missing levels, outermost first. */
function checkDestination(folder: string, target: string): string[] {
  const missing: string[] = [];
  let at = folder;
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  let stat: Stats;
  try {
    stat = statSync(at);
  } catch (e) {
    throw writeFailure(e, target);
  }
  if (!stat.isDirectory()) throw fault(`cannot write here: ${at} is a file, not a folder`, target, 'place');
  try {
    // access(2) also says EROFS for a read-only file system, which root's permissions do not bypass.
    accessSync(at, constants.W_OK);
  } catch (e) {
    throw writeFailure(e, target);
  }
  const pseudo = pseudoFileSystem(at);
  if (pseudo) throw fault(`cannot write here: ${at} is in ${pseudo}, where no file can be written`, target, 'place');
  return missing;
}

function removeCreated(created: string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty after all, or already gone
    }
  }
}

/** Refuses a target that would destroy what Portafilter did not write, or that is not the kind asked. */
function checkTarget(options: PlaceOptions, target: string): void {
  let stat: Stats;
  try {
    stat = lstatSync(target);
  } catch {
    return; // nothing there
  }
  const what = options.kind === 'file' ? 'file' : 'folder';
  if (options.kind === 'file') {
    if (stat.isDirectory()) throw fault('is a folder; give the name of the file to write', target, 'kind');
    if (!stat.isFile() && !stat.isSymbolicLink()) throw fault('exists and is not a regular file; choose another name', target, 'kind');
  } else {
    if (!stat.isDirectory()) throw fault('exists and is not a folder; name a folder for this export', target, 'kind');
    let entries: string[];
    try {
      entries = readdirSync(target);
    } catch {
      return; // moved aside this instant by another export's commit: the check under the lock decides
    }
    if (entries.length === 0) return; // an empty folder holds nothing to lose
    const marker = readMarker(target);
    if (!marker && !existsSync(join(target, entries[0]))) return; // moved aside meanwhile, as above
    if (!marker)
      throw fault(
        "holds files Portafilter did not write: an export never replaces them (choose a new folder, or empty this one yourself)",
        target,
        'foreign',
      );
    if (marker.format !== options.format)
      throw fault(`holds an earlier Portafilter ${marker.format} export, not ${options.format}: choose another folder`, target, 'foreign', { format: marker.format });
  }
  if (!options.force)
    throw fault(`exists (${options.kind === 'dir' ? 'an earlier export' : 'a file'}); replace it with --force, or choose another ${what}`, target, 'exists');
}

/** Targets that are never an export's to replace, whatever `force` says. */
function checkPlace(target: string): void {
  const cwd = process.cwd();
  if (target === dirname(target)) throw fault('is the root of the file system; name a new file or folder', target, 'place');
  const rel = relative(target, cwd);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep))) throw fault('is the current folder or one above it; name a new file or folder for the export', target, 'place');
  if (target === homedir()) throw fault('is your home folder; name a new file or folder for the export', target, 'place');
}

// ---------------------------------------------------------------------------------------------------
// The whole placement

/**
 * What placeExport will refuse, checked before an export does its heavy work (nothing is written):
 * an empty or forbidden path, a place that cannot hold files, what is at the target.
 */
export function checkExportTarget(options: PlaceOptions): void {
  if (options.out.trim() === '') throw fault('the output path is empty', options.out, 'place');
  const target = resolve(options.out);
  checkPlace(target);
  checkDestination(dirname(target), target);
  checkTarget(options, target);
}

/**
 * Stages an export, then puts it in place (module comment). `write` writes into `staging` and returns
 * its value and the names of the files it wrote, relative to `staging.dir`, the model first.
 */
export async function placeExport<T>(options: PlaceOptions, write: (staging: Staging) => Promise<{ value: T; files: string[] }>): Promise<Placed<T>> {
  if (options.out.trim() === '') throw fault('the output path is empty', options.out, 'place');
  const target = resolve(options.out);
  checkPlace(target);
  const destination = options.kind === 'dir' ? target : dirname(target);
  const created = prepareDestination(dirname(target), target);
  const notes = sweepLeftovers(dirname(target));
  try {
    checkTarget(options, target);
  } catch (e) {
    removeCreated(created);
    throw e;
  }

  const dir = temporaryName(target, 'partial');
  try {
    mkdirSync(dir);
  } catch (e) {
    removeCreated(created);
    throw writeFailure(e, target);
  }
  let placedFiles: string[];
  let value: T;
  try {
    const model = options.kind === 'dir' ? dir : join(dir, basename(target));
    const written = await write({ dir, model, destination });
    value = written.value;
    if (options.kind === 'dir') {
      const marker: ExportMarker = { writtenBy: 'Portafilter', version: appVersion(), format: options.format, date: new Date().toISOString() };
      writeFileSync(join(dir, EXPORT_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    }
    placedFiles = await withLock(target, () => (options.kind === 'dir' ? commitFolder(options, target, dir, written.files) : commitFiles(options, target, dir, written.files)));
  } catch (e) {
    removeQuietly(dir);
    removeCreated(created);
    throw writeFailure(e, target, dir);
  }
  return { value, files: placedFiles, notes };
}

/** A folder export: one rename into place (the earlier export, if replaced, moved aside first). */
function commitFolder(options: PlaceOptions, target: string, staged: string, files: string[]): string[] {
  checkTarget(options, target); // again: another export may have landed there while this one wrote
  const existing = existsSync(target) && readdirSync(target).length > 0;
  if (!existing) renameSync(staged, target);
  else {
    const old = temporaryName(target, 'old');
    renameSync(target, old);
    try {
      renameSync(staged, target);
    } catch (e) {
      renameSync(old, target);
      throw e;
    }
    rmSync(old, { recursive: true, force: true });
  }
  return files.map((f) => join(target, f));
}

/** A file export and its companions: the staged folder becomes a journaled commit, then each file moves, the model last. */
function commitFiles(options: PlaceOptions, target: string, staged: string, files: string[]): string[] {
  checkTarget(options, target);
  const folder = dirname(target);
  const [model, ...companions] = files;
  const moves = [...companions, model].map((name) => ({ name, dest: join(folder, name), before: identityAt(join(folder, name)) }));
  const journal: Journal = { target, moves };
  writeFileSync(join(staged, 'journal.json'), JSON.stringify(journal));
  const commit = temporaryName(target, 'commit');
  renameSync(staged, commit);
  for (const m of moves) renameSync(join(commit, m.name), m.dest);
  rmSync(commit, { recursive: true, force: true });
  return [target, ...companions.map((c) => join(folder, c))];
}

/** Cleanup after a failure must not replace the failure's own error with its own. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Nothing was created there, or it cannot be removed either way; the first error says why.
  }
}

/**
 * A companion file beside a file export (README, the custom-layer module) may replace one of that
 * name only when Portafilter wrote it: `ours` tells from its first bytes.
 */
export function checkCompanion(path: string, ours: (head: string) => boolean): void {
  let head: string;
  try {
    head = readFileSync(path, 'utf8').slice(0, 512);
  } catch {
    return; // absent (or unreadable, and then the move will say so)
  }
  if (!ours(head)) throw fault(`is beside the export and was not written by Portafilter; it is left alone, so move it away first`, path, 'foreign');
}
