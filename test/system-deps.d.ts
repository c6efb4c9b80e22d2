// Types of test/system-deps.js (plain JavaScript: `npm test` and `.ci/run` run it before anything is built).
export interface Requirement {
  kind: 'program' | 'python';
  /** An absolute path (program) or a Python module name. */
  name: string;
  /** The Debian package that provides it. */
  package: string;
  why: string;
}
export const PYTHON: string;
export const CHROMIUM: string;
export const DPKG_QUERY: string;
export const APT_CACHE: string;
export const MOUNT: string;
export const UMOUNT: string;
export const REQUIREMENTS: readonly Requirement[];
export function missingRequirements(): Requirement[];
export function missingLine(missing: readonly Requirement[]): string;
export function installMissing(missing: readonly Requirement[], log?: (line: string) => void): { missing: Requirement[]; output: string };
