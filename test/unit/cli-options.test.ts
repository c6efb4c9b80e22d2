import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { program } from '../../src/main/cli/index.js';
import { fixture } from '../helpers/fixtures.js';

const bin = new URL('../../bin/portafilter.js', import.meta.url).pathname;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lenet = [fixture('models/lenet_mnist/deploy.prototxt'), fixture('models/lenet_mnist/weights.caffemodel')];
const digit7png = ['--input', fixture('models/lenet_mnist/digit_7.png')];

/** Every option of every command that takes a value, as the program defines them. */
const valued = program().commands.flatMap((cmd) =>
  cmd.options.filter((o) => o.required || o.optional).map((o) => ({ command: cmd.name(), flag: o.long!, args: cmd.registeredArguments.map(() => 'x') })),
);

describe('option values', () => {
  it('covers the options that take a value in every command', () => {
    const flags = valued.map((v) => `${v.command} ${v.flag}`);
    expect(flags).toEqual(expect.arrayContaining(['run --mean', 'run --labels', 'run --dump', 'run --mean-values', 'diff --against', 'convert --out', 'serve --port']));
  });

  it.each(valued)("$command refuses an empty $flag in one line naming the option", ({ command, flag, args }) => {
    const { code, stdout, stderr } = cli(command, ...args, flag, '');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^portafilter: error: option '(-\\w, )?${flag} <[^>]+>' argument '' is invalid\\.`));
  });
});

describe('numbers in options', () => {
  const notDecimal = ['0x10', '0b1', '0o7', 'Infinity', '-Infinity', 'NaN', ' 1', '1 ', '1,5', '1e400', '--1', '1.2.3'];

  it.each(['--scale', '--raw-scale', '--mean-values'])('%s takes decimal numbers only', (flag) => {
    // In --mean-values a comma separates the channels' values.
    for (const value of notDecimal.filter((v) => flag !== '--mean-values' || !v.includes(','))) {
      const { code, stderr } = cli('run', ...lenet, ...digit7png, flag, value);
      expect(code, value).toBe(1);
      expect(stderr.trimEnd().split('\n'), value).toHaveLength(1);
      expect(stderr, value).toMatch(new RegExp(`^portafilter: error: option '${flag} <[^>]+>' argument '.*' is invalid\\. `));
    }
  });

  it('--mean-values says which of its values is not a number', () => {
    expect(cli('run', ...lenet, ...digit7png, '--mean-values', '104,0x10,123').stderr).toMatch(/value 2 of 3 \('0x10'\): expected a decimal number/);
    expect(cli('run', ...lenet, ...digit7png, '--mean-values', '104,,123').stderr).toMatch(/value 2 of 3 is empty/);
  });

  it('--top and --port take whole decimal numbers in their range', () => {
    for (const value of ['0', '-1', '2.5', '1e1', '0x5', ' 5', 'Infinity', '99999999999999999999'])
      expect(cli('run', ...lenet, ...digit7png, '--top', value).stderr, value).toMatch(/^portafilter: error: option '--top <k>' argument '.*' is invalid\. expected a whole number/);
    for (const value of ['65536', '-1', '0x50', '80.0'])
      expect(cli('serve', '--port', value).stderr, value).toMatch(/^portafilter: error: option '-p, --port <port>' argument '.*' is invalid\. expected a port number from 0 to 65535/);
  });

  it("reads decimals in every spelling as Caffe's LeNet recipe x/256 and predicts the drawn 7 (p = 0.999978)", () => {
    const { code, stdout } = cli('run', ...lenet, ...digit7png, '--raw-scale', '2.55e2', '--mean-values', '-0.0', '--scale', '.390625E-2', '--top', '01', '--engine', 'reference', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { outputs: { top: { index: number; score: number }[][] }[] };
    expect(out.outputs[0].top[0]).toHaveLength(1);
    expect(out.outputs[0].top[0][0].index).toBe(7);
    expect(out.outputs[0].top[0][0].score).toBeCloseTo(0.999978, 5);
  });
});
