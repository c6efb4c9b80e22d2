#!/usr/bin/env node
// `npm test`: the Debian programs the tests call (installed where it can, test/system-deps.js), type
// checks, lint, then every vitest project (unit, e2e). Ends with one plain line "N passed, N failed"
// (each check and each test counts once) so a run that tested nothing shows.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installMissing, missingLine, missingRequirements } from './system-deps.js';

const root = new URL('..', import.meta.url).pathname;
const tmp = join(root, '.tmp');
mkdirSync(tmp, { recursive: true });
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
let passed = 0;
let failed = 0;

// PORTAFILTER_SYSTEM_DEPS=check: never install, only say what is missing.
let missing = missingRequirements();
if (missing.length > 0) {
  const attempt = process.env.PORTAFILTER_SYSTEM_DEPS === 'check' ? { missing, output: '' } : installMissing(missing);
  missing = attempt.missing;
  if (missing.length > 0) {
    if (attempt.output) process.stderr.write(`${attempt.output}\n`);
    process.stderr.write(`npm test: ${missingLine(missing)}\n`);
    writeFileSync(join(tmp, 'summary.txt'), '0 passed, 1 failed\n');
    process.exit(1);
  }
}

function check(name, args) {
  process.stdout.write(`\n== ${name}: npx ${args.join(' ')}\n`);
  const r = spawnSync(npx, args, { cwd: root, stdio: 'inherit' });
  if (r.status === 0) passed++;
  else {
    failed++;
    process.stdout.write(`== ${name} FAILED\n`);
  }
}

check('typecheck (node)', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
if (existsSync(join(root, 'tsconfig.web.json'))) check('typecheck (renderer)', ['vue-tsc', '--noEmit', '-p', 'tsconfig.web.json']);
check('lint', ['eslint', '.']);

const report = join(tmp, 'vitest.json');
rmSync(report, { force: true });
process.stdout.write('\n== tests: npx vitest run\n');
const extra = process.argv.slice(2);
const r = spawnSync(npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra], {
  cwd: root,
  stdio: 'inherit',
});
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  // A test file that failed to load has no failed tests of its own: count it.
  failed += json.testResults.filter((f) => f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')).length;
} else {
  failed++;
}
if (r.status !== 0 && failed === 0) failed++;

const summary = `${passed} passed, ${failed} failed`;
writeFileSync(join(tmp, 'summary.txt'), summary + '\n');
process.stdout.write(`\n${summary}\n`);
process.exit(failed === 0 ? 0 : 1);
