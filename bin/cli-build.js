// The command line as plain JavaScript: src/main/cli (and the service worker that `serve` starts)
// bundled by esbuild into out/cli/<build>/, every package left external, each command a lazily
// loaded chunk. `npm install` builds it (package.json "prepare"); bin/portafilter.js rebuilds it on
// the first run after a source changed, so a git checkout never needs a manual build step.
//
// out/cli/current.json names the build and every source file that went into it with its size and
// mtime: checking it costs a few stat calls, where transpiling the sources at every start cost seconds.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const cliOut = join(root, 'out', 'cli');
const manifestFile = join(cliOut, 'current.json');
const ENTRIES = { index: 'src/main/cli/index.ts', 'service-worker': 'src/main/service/worker.ts' };
/** Builds kept besides the current one: a long-running `serve` may still load chunks of the one it started with. */
const OLD_BUILDS_KEPT = 2;

/** The same stamp for the same file contents at the same place: size and modification time. */
const stamp = (file) => {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
};

function readManifest() {
  try {
    return JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The entry module of the current build, or undefined when there is none or a source changed since. */
export function freshCliEntry() {
  const manifest = readManifest();
  if (!manifest || manifest.format !== 1) return undefined;
  try {
    for (const [file, was] of Object.entries(manifest.inputs)) if (stamp(join(root, file)) !== was) return undefined;
  } catch {
    return undefined; // a source was deleted or renamed
  }
  const entry = join(cliOut, manifest.build, 'index.js');
  return existsSync(entry) ? entry : undefined;
}

/**
 * Bundles the CLI into a new out/cli/<build>/ and makes it current by renaming its manifest into
 * place, so a process starting meanwhile sees the old build or the new one, never half of one.
 */
export async function buildCli() {
  const { build } = await import('esbuild');
  mkdirSync(cliOut, { recursive: true });
  const name = `build-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const outdir = join(cliOut, name);
  let result;
  try {
    result = await build({
      absWorkingDir: root,
      entryPoints: ENTRIES,
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Packages load from node_modules at run time, and only where a command imports them.
      packages: 'external',
      tsconfig: join(root, 'tsconfig.json'),
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'silent',
    });
  } catch (e) {
    rmSync(outdir, { recursive: true, force: true });
    throw e;
  }
  const inputs = {};
  for (const file of [...Object.keys(result.metafile.inputs), relative(root, fileURLToPath(import.meta.url)), 'package.json', 'tsconfig.json']) {
    inputs[file] = stamp(resolve(root, file));
  }
  const temporary = `${manifestFile}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  writeFileSync(temporary, JSON.stringify({ format: 1, build: name, inputs }));
  renameSync(temporary, manifestFile);
  pruneOldBuilds(name);
  return join(outdir, 'index.js');
}

/** Removes out/cli builds beyond the newest few; only ever names this script wrote. */
function pruneOldBuilds(current) {
  const builds = readdirSync(cliOut)
    .filter((n) => /^build-[0-9a-z]+-[0-9a-f]{8}$/.test(n) && n !== current)
    .map((n) => ({ n, t: statSync(join(cliOut, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of builds.slice(OLD_BUILDS_KEPT)) rmSync(join(cliOut, n), { recursive: true, force: true });
}

// `node bin/cli-build.js`: build now (npm's "prepare", after `npm install` in a checkout).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = await buildCli();
  process.stdout.write(`portafilter: built the command line into ${relative(root, entry)}\n`);
}
