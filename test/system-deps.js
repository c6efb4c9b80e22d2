#!/usr/bin/env node
// The programs and Python modules outside npm that the tests call, and the Debian packages that hold
// them: the one list that `npm test` (test/run-all.js) and `.ci/run` share.
// test/unit/system-deps.test.ts reads the test sources and fails when they call something missing here.
//
//   node test/system-deps.js           install what is missing (as root, with apt-get), else name it and exit 1
//   node test/system-deps.js --check   only say what is missing (exit 1 if anything is)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Python the tests run: Debian's, whose modules come from Debian packages (not a pyenv or venv on PATH). */
export const PYTHON = '/usr/bin/python3';
/** Debian's Chromium, which the end-to-end tests drive through playwright-core; CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's package tools, which the requirements test asks which package holds a file. */
export const DPKG_QUERY = '/usr/bin/dpkg-query';
export const APT_CACHE = '/usr/bin/apt-cache';
/** For the export tests' read-only and full file systems (small tmpfs mounts; the tests run as root). */
export const MOUNT = '/bin/mount';
export const UMOUNT = '/bin/umount';

/**
 * kind 'program': an executable the tests start (by absolute path); kind 'python': a module the tests'
 * Python code imports. `package` is the Debian package that provides it.
 */
export const REQUIREMENTS = [
  { kind: 'program', name: PYTHON, package: 'python3', why: "runs the tests' Python helpers" },
  { kind: 'program', name: CHROMIUM, package: 'chromium', why: 'the end-to-end tests drive the real workbench in it' },
  { kind: 'program', name: DPKG_QUERY, package: 'dpkg', why: 'tells which package holds a file (the test of this list)' },
  { kind: 'program', name: APT_CACHE, package: 'apt', why: "reads a package's dependencies (the test of this list)" },
  { kind: 'program', name: MOUNT, package: 'mount', why: 'mounts the read-only and the full file systems the export tests write to' },
  { kind: 'program', name: UMOUNT, package: 'mount', why: 'unmounts them' },
  { kind: 'program', name: '/usr/bin/mkfifo', package: 'coreutils', why: 'makes the named pipes the readers must refuse without blocking (Node cannot)' },
  { kind: 'python', name: 'numpy', package: 'python3-numpy', why: 'arrays for every Python helper' },
  { kind: 'python', name: 'cv2', package: 'python3-opencv', why: "OpenCV's dnn module: the independent Caffe implementation models outside the fixtures are compared with" },
  { kind: 'python', name: 'h5py', package: 'python3-h5py', why: 'reads the .keras and .h5 exports back as Keras does' },
];

const isExecutable = (file) => existsSync(file) && spawnSync(file, ['--version'], { stdio: 'ignore', timeout: 30_000 }).error === undefined;

/** The requirements not met on this machine. */
export function missingRequirements() {
  const pythonOk = isExecutable(PYTHON);
  return REQUIREMENTS.filter((r) => {
    if (r.kind === 'program') return r.name === PYTHON ? !pythonOk : !isExecutable(r.name);
    return !pythonOk || spawnSync(PYTHON, ['-c', `import ${r.name}`], { stdio: 'ignore' }).status !== 0;
  });
}

const packagesOf = (requirements) => [...new Set(requirements.map((r) => r.package))];

/** One line: what is missing, and the command that installs it. */
export function missingLine(missing) {
  const what = missing.map((r) => `${r.package} (${r.kind === 'python' ? `Python module ${r.name}` : r.name})`).join(', ');
  return `the tests need Debian packages that are not installed: ${what}; install them with: sudo apt-get install -y ${packagesOf(missing).join(' ')}`;
}

function apt(args) {
  const r = spawnSync('apt-get', args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/**
 * Installs the packages for what is missing, where it can (root, and apt-get present). Returns what is
 * still missing afterwards, with apt-get's last words when it failed.
 */
export function installMissing(missing, log = (line) => process.stdout.write(`${line}\n`)) {
  const canInstall = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canInstall || missing.length === 0) return { missing, output: '' };
  const packages = packagesOf(missing);
  log(`installing ${packages.join(' ')} with apt-get (the tests call them) …`);
  let r = apt(['install', '-y', '-qq', ...packages]);
  // A fresh machine may not have read its package lists yet.
  if (!r.ok && apt(['update', '-qq']).ok) r = apt(['install', '-y', '-qq', ...packages]);
  return { missing: missingRequirements(), output: r.ok ? '' : r.output.trim().split('\n').slice(-5).join('\n') };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let missing = missingRequirements();
  if (missing.length > 0 && !process.argv.includes('--check')) {
    const result = installMissing(missing);
    if (result.output) process.stderr.write(`${result.output}\n`);
    missing = result.missing;
  }
  if (missing.length > 0) {
    process.stderr.write(`${missingLine(missing)}\n`);
    process.exit(1);
  }
}
