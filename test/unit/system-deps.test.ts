/**
 * Every program outside npm that the tests start, and every Python module their Python code imports,
 * read from the test sources themselves, must be in test/system-deps.js: the list `npm test` and
 * `.ci/run` install from. A test that starts a new program, or a helper that imports a new module,
 * fails here until its Debian package is listed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { APT_CACHE, DPKG_QUERY, PYTHON, REQUIREMENTS } from '../system-deps.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const testDir = join(root, 'test');

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !/[/\\](fixtures|node_modules)[/\\]/.test(relative(root, f)) && keep(f))
    .sort();
}

/** The file with its comment lines blanked (kept as empty lines, so line numbers hold): prose is not a call. */
const code = (text: string): string => text.replace(/^\s*(\/\/|\/\*|\*).*$/gm, '');
const sources = filesUnder(testDir, (f) => /\.(ts|js|mjs)$/.test(f)).map((file) => ({ file: relative(root, file), text: code(readFileSync(file, 'utf8')) }));
// The installer (test/system-deps.js) names the programs, but what it starts (apt-get, each probe) is not a test's call.
const scripts = sources.filter((s) => s.file !== join('test', 'system-deps.js'));
const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** `const NAME = …` anywhere in the test sources → the string literals its initialiser holds. */
const constants = new Map<string, Set<string>>();
for (const { text } of sources)
  for (const m of text.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*([^;\n]+)/g)) {
    // The values it can take: its literals, less those it is only compared with (`x === 'win32' ? a : b`).
    const values = m[2].replace(/[!=]==?\s*('[^']*'|"[^"]*")/g, '');
    const literals = [...values.matchAll(/'([^']*)'|"([^"]*)"/g)].map((l) => l[1] ?? l[2]);
    if (literals.length > 0) constants.set(m[1], new Set([...(constants.get(m[1]) ?? []), ...literals]));
  }

/** Programs that come with Node itself. */
const NODE_ITSELF = new Set(['process.execPath', 'npx', 'npx.cmd']);

interface Spawned {
  where: string;
  programs: string[];
}

/** Every call that starts a process, or a browser, with the program(s) it names. */
function spawnedPrograms(): { spawned: Spawned[]; unresolved: string[] } {
  const spawned: Spawned[] = [];
  const unresolved: string[] = [];
  for (const { file, text } of scripts) {
    const starters = ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'execSync', 'exec', 'fork'];
    for (const m of text.matchAll(/\bconst\s+(\w+)\s*=\s*promisify\(\s*(\w+)\s*\)/g)) if (starters.includes(m[2])) starters.push(m[1]);
    // A method of that name (a RegExp's) is not a start; a spread call is.
    const call = new RegExp(`(?<![\\w$])(?<![^.]\\.)(${starters.join('|')})\\(\\s*([^,)]+)|\\bexecutablePath:\\s*([^,}\\n]+)`, 'g');
    for (const m of text.matchAll(call)) {
      if (m[1] === 'exec' && !/\bexec\b[^;]*from 'node:child_process'/.test(text)) continue;
      const arg = (m[2] ?? m[3]).trim();
      const where = `${file}:${lineOf(text, m.index)}`;
      const literal = /^['"]([^'"]+)['"]$/.exec(arg)?.[1];
      const values = literal !== undefined ? [literal] : NODE_ITSELF.has(arg) ? [arg] : [...(constants.get(arg) ?? [])];
      if (values.length === 0) unresolved.push(`${where}: ${arg}`);
      else spawned.push({ where, programs: values.filter((v) => !NODE_ITSELF.has(v) && !NODE_ITSELF.has(arg)) });
    }
  }
  return { spawned, unresolved };
}

interface PythonImport {
  source: string;
  line: number;
  module: string;
  optional: boolean;
}

/** The modules the tests' Python imports: the helper files, the code they pass to `python -c`, and the project modules those import. */
function pythonImports(): { stdlib: Set<string>; imports: PythonImport[]; local: Set<string> } {
  const sources = filesUnder(testDir, (f) => f.endsWith('.py')).map((f) => ({ name: relative(root, f), code: readFileSync(f, 'utf8') }));
  for (const { file, text } of scripts)
    for (const m of text.matchAll(/'-c',\s*'((?:[^'\\]|\\.)*)'/g)) sources.push({ name: `${file}:${lineOf(text, m.index)} (python -c)`, code: m[1].replace(/; /g, '\n') });
  const projectModules = new Map(filesUnder(root, (f) => f.endsWith('.py')).map((f) => [f.split(/[/\\]/).pop()!.slice(0, -3), f]));
  const parse = (batch: { name: string; code: string }[]) =>
    JSON.parse(execFileSync(PYTHON, [join(testDir, 'helpers/python_imports.py')], { input: JSON.stringify({ sources: batch }), encoding: 'utf8' })) as {
      stdlib: string[];
      imports: PythonImport[];
    };
  let result = parse(sources);
  const stdlib = new Set(result.stdlib);
  const imports = [...result.imports];
  const local = new Set<string>();
  for (let queue = imports.filter((i) => projectModules.has(i.module)); queue.length > 0; ) {
    const fresh = [...new Set(queue.map((i) => i.module))].filter((m) => !local.has(m));
    fresh.forEach((m) => local.add(m));
    const files = fresh.map((m) => projectModules.get(m)!).filter((f) => !sources.some((s) => s.name === relative(root, f)));
    if (files.length === 0) break;
    result = parse(files.map((f) => ({ name: relative(root, f), code: readFileSync(f, 'utf8') })));
    imports.push(...result.imports);
    queue = result.imports.filter((i) => projectModules.has(i.module));
  }
  return { stdlib, imports, local };
}

describe('npm test on a machine without them', () => {
  it('stops at once with one line that names the missing package and the command that installs it', () => {
    const r = spawnSync(process.execPath, [join(testDir, 'run-all.js')], {
      encoding: 'utf8',
      env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium', PORTAFILTER_SYSTEM_DEPS: 'check' },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(''); // nothing else ran: no type check, no test
    expect(r.stderr).toBe(
      'npm test: the tests need Debian packages that are not installed: chromium (/nonexistent/chromium); install them with: sudo apt-get install -y chromium\n',
    );
  });
});

describe('the Debian programs and Python modules the tests call (test/system-deps.js)', () => {
  const programs = new Set(REQUIREMENTS.filter((r) => r.kind === 'program').map((r) => r.name));
  const modules = new Set(REQUIREMENTS.filter((r) => r.kind === 'python').map((r) => r.name));

  it('list every program a test starts, and the scan resolves every start', () => {
    const { spawned, unresolved } = spawnedPrograms();
    expect(unresolved).toEqual([]);
    expect(spawned.length).toBeGreaterThan(5);
    const unlisted = spawned.flatMap((s) => s.programs.filter((p) => !programs.has(p)).map((p) => `${s.where}: ${p}`));
    expect(unlisted).toEqual([]);
    for (const p of programs) expect(spawned.some((s) => s.programs.includes(p)), `${p} is listed but no test starts it`).toBe(true);
  });

  it("list every module the tests' Python code needs (standard library, project modules and guarded imports aside)", () => {
    const { stdlib, imports, local } = pythonImports();
    expect(local.has('portafilter_layers')).toBe(true); // the export's module, which the tests import from resources/
    const needed = imports.filter((i) => !i.optional && !stdlib.has(i.module) && !local.has(i.module));
    expect(needed.length).toBeGreaterThan(3);
    const unlisted = needed.filter((i) => !modules.has(i.module)).map((i) => `${i.source}:${i.line}: import ${i.module}`);
    expect(unlisted).toEqual([]);
    for (const m of modules) expect(needed.some((i) => i.module === m), `${m} is listed but no test imports it`).toBe(true);
    // Guarded imports (Keras, TensorFlow in the export's module) are optional: the tests run without them.
    expect(imports.some((i) => i.module === 'keras' && i.optional)).toBe(true);
  });

  it('name, for each, the Debian package that installs it (checked with dpkg where it is installed)', () => {
    const dpkg = spawnSync(DPKG_QUERY, ['--version'], { stdio: 'ignore' }).status === 0;
    if (!dpkg) return; // not a Debian machine: the package names cannot be checked here
    for (const r of REQUIREMENTS) {
      const file =
        r.kind === 'program' ? r.name : execFileSync(PYTHON, ['-c', `import ${r.name}, sys; sys.stdout.write(${r.name}.__file__)`], { encoding: 'utf8' });
      expect(existsSync(file), file).toBe(true);
      const owner = execFileSync(DPKG_QUERY, ['-S', file], { encoding: 'utf8' }).split(':')[0];
      const provides = [r.package, ...execFileSync(APT_CACHE, ['depends', '--no-recommends', '--no-suggests', r.package], { encoding: 'utf8' }).matchAll(/Depends: (\S+)/g)].map(
        (d) => (typeof d === 'string' ? d : d[1]),
      );
      expect(provides, `${r.name} comes from ${owner}`).toContain(owner);
    }
  });
});
