/**
 * Writing a report where the user asked: into a temporary file beside the target (named as the
 * exports name theirs, `.portafilter-<name>.<pid>.<random>.partial`), then renamed over it, so a reader
 * never sees half a report and a failure leaves what was there. What is at the target is replaced
 * only with `force`, and only when it is a report Portafilter wrote (its generator mark): anything
 * else is left alone, force or not.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { writeFailure } from '../export/atomic.js';
import { GENERATOR_META } from './report-html.js';

const refuse = (reason: string, target: string, kind: 'exists' | 'foreign' | 'kind' | 'place'): PortafilterError => new PortafilterError(reason, { file: target }, { kind });

/** The first bytes of a file hold the generator mark of a Portafilter report. */
function isReport(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(2048);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).toString('utf8').includes(GENERATOR_META);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * What writeReportFile would refuse, checked before the report's work is done (nothing is written):
 * an empty path, a folder that does not exist, a target that is a folder or not a regular file, a
 * file there without `force`, and with `force` a file that is not a Portafilter report.
 */
export function checkReportTarget(out: string, force: boolean): string {
  if (out.trim() === '') throw refuse('the report path is empty: name the .html file to write', out, 'place');
  const target = resolve(out);
  let folder: Stats;
  try {
    folder = statSync(dirname(target));
  } catch {
    throw refuse(`cannot write the report: the folder ${dirname(target)} does not exist`, out, 'place');
  }
  if (!folder.isDirectory()) throw refuse(`cannot write the report: ${dirname(target)} is not a folder`, out, 'place');
  let stat: Stats;
  try {
    stat = lstatSync(target);
  } catch {
    return target; // nothing there
  }
  if (stat.isDirectory()) throw refuse('is a folder; give the name of the .html file to write', out, 'kind');
  if (!stat.isFile()) throw refuse('exists and is not a regular file; choose another name', out, 'kind');
  if (!isReport(target))
    throw refuse('exists and is not a Portafilter report (it has no portafilter generator mark): it is left alone, --force or not; choose another name', out, 'foreign');
  if (!force) throw refuse('exists (an earlier report); replace it with --force, or choose another name', out, 'exists');
  return target;
}

/** Writes `html` at `out` (see the module comment); returns the absolute path written. */
export function writeReportFile(out: string, html: string, force: boolean): string {
  const target = checkReportTarget(out, force);
  const temporary = join(dirname(target), `.portafilter-${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  try {
    writeFileSync(temporary, html, { flag: 'wx' });
    // Again: something may have landed at the target while the report was written.
    checkReportTarget(out, force);
    renameSync(temporary, target);
  } catch (e) {
    try {
      unlinkSync(temporary);
    } catch {
      // never created, or already renamed
    }
    throw e instanceof PortafilterError ? e : writeFailure(e, out);
  }
  return target;
}
