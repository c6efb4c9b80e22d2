import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePrototxt } from '../../src/main/caffe/prototxt.js';
import { encodeMessage } from '../../src/main/caffe/schema.js';
import { CaffeParseError } from '../../src/shared/errors.js';
import { FIXTURE_MODELS, FIXTURE_PROTOTXTS, fixture } from '../helpers/fixtures.js';
import { mulberry32 } from '../helpers/prng.js';

const SOURCES: Array<[name: string, text: string]> = [
  ...FIXTURE_PROTOTXTS.map((n): [string, string] => [n, readFileSync(fixture('prototxts', `${n}.prototxt`), 'utf8')]),
  ...FIXTURE_MODELS.map((m): [string, string] => [m, readFileSync(fixture('models', m, 'deploy.prototxt'), 'utf8')]),
  ['cifar10_quick v1', readFileSync(fixture('models', 'cifar10_quick', 'extra', 'prediction_example.v1.prototxt'), 'utf8')],
  // every corner of the grammar in one small text, so that mutations reach them often
  [
    'syntax corners',
    [
      'name: "n" \'m\' # comment',
      'input_dim: [1, 0x3, 017]; input: "data",',
      'layer < name: "a\\x41\\101\\u00e9\\n" type: "Pooling" pooling_param: { pool: AVE kernel_size: 3 } >',
      'layer: [{ name: "b" include { phase: 1 } }, { name: "c" loss_weight: [1e-4, .5, 5., -0, 1.5f, inf, -nan] }]',
      'layer { name: "u" upsample_param { scale: 2 [ext.x]: [1, -inf, { a: "s" }] } x_param: -3 }',
      'layers { type: CONVOLUTION blobs_lr: 1 convolution_param { num_output: 4294967295 bias_term: t } }',
    ].join('\n'),
  ],
];

const PUNCTUATION = '{}[]<>:;,"\'#\\-.\n 0x1eEfF_';

function mutate(text: string, rand: () => number): string {
  const at = (n: number): number => Math.floor(rand() * n);
  let s = text;
  const steps = 1 + at(3);
  for (let k = 0; k < steps; k++) {
    const i = at(s.length + 1);
    switch (at(6)) {
      case 0: // truncate
        s = s.slice(0, i);
        break;
      case 1: // flip a bit of one character
        if (s.length) s = s.slice(0, i) + String.fromCharCode(s.charCodeAt(Math.min(i, s.length - 1)) ^ (1 << at(8))) + s.slice(i + 1);
        break;
      case 2: // insert punctuation
        s = s.slice(0, i) + PUNCTUATION[at(PUNCTUATION.length)] + s.slice(i);
        break;
      case 3: // delete a character
        s = s.slice(0, i) + s.slice(i + 1);
        break;
      case 4: { // delete the nth punctuation character
        const marks = [...s.matchAll(/[{}[\]<>:;,"']/g)];
        if (marks.length) {
          const m = marks[at(marks.length)].index;
          s = s.slice(0, m) + s.slice(m + 1);
        }
        break;
      }
      default: // a random character, any code unit
        s = s.slice(0, i) + String.fromCharCode(at(0x10000)) + s.slice(i);
    }
  }
  return s;
}

describe('parsePrototxt under fuzzing', () => {
  it('either parses or throws a CaffeParseError inside the text, quickly, for 1200 mutations of real prototxts', () => {
    const rand = mulberry32(0xcaffe);
    let parsed = 0, failed = 0, slowest = 0;
    for (let n = 0; n < 1200; n++) {
      const [name, source] = SOURCES[n % SOURCES.length];
      const text = mutate(source, rand);
      const t0 = performance.now();
      let outcome: unknown;
      try {
        outcome = parsePrototxt(text, name);
      } catch (e) {
        outcome = e;
      }
      slowest = Math.max(slowest, performance.now() - t0);
      if (outcome instanceof Error) {
        if (!(outcome instanceof CaffeParseError)) throw new Error(`case ${n} (${name}) threw ${outcome.name}: ${outcome.message}`);
        const { file, line, column } = outcome.location ?? {};
        const lines = text.split('\n');
        expect(file).toBe(name);
        expect(line).toBeGreaterThanOrEqual(1);
        expect(line).toBeLessThanOrEqual(lines.length);
        expect(column).toBeGreaterThanOrEqual(1);
        expect(column).toBeLessThanOrEqual(lines[line! - 1].length + 1);
        failed++;
      } else {
        expect(() => encodeMessage('NetParameter', outcome as never)).not.toThrow();
        parsed++;
      }
    }
    expect(parsed + failed).toBe(1200);
    // both outcomes occur, so the mutations neither always break nor never break the text
    expect(parsed).toBeGreaterThan(50);
    expect(failed).toBeGreaterThan(50);
    expect(slowest).toBeLessThan(2000); // a hang guard, not a benchmark
  });

  it('never hangs or overflows the stack on pathological inputs', () => {
    const cases = [
      '{'.repeat(50000),
      'layer '.repeat(50000),
      'layer { x_param: ' + '['.repeat(50000),
      'layer { x_param ' + '< a '.repeat(50000),
      '"'.repeat(50001),
      '#'.repeat(100000),
      'name: ' + '"x" '.repeat(100000),
      '\\'.repeat(1000),
      '-'.repeat(1000),
      'input_dim: ' + '9'.repeat(10000),
      'dim: 0x' + 'f'.repeat(10000),
      'std: ' + '1'.repeat(400) + '.5e99999',
    ];
    for (const text of cases) {
      const t0 = performance.now();
      try {
        parsePrototxt(text, 'p', text.startsWith('dim') ? 'BlobShape' : text.startsWith('std') ? 'FillerParameter' : 'NetParameter');
      } catch (e) {
        expect(e).toBeInstanceOf(CaffeParseError);
      }
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });
});
