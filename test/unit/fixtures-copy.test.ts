/**
 * The fixtures travel with the repository as byte copies of ../shared/fixtures. Third-party files are
 * checked against the sha256 and size their provenance records; every file, the generated expected
 * outputs included, against test/fixtures.sha256 (sha256sum's format, written from the source folder
 * when the copy was made), so a file changed, lost or added in the copy fails here.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryFixtures } from '../helpers/fixtures.js';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

const manifest = new Map(
  readFileSync(new URL('../fixtures.sha256', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(l);
      if (!m) throw new Error(`test/fixtures.sha256: not a sha256sum line: '${l}'`);
      return [m[2], m[1]] as const;
    }),
);

interface Provenance {
  fixture: string;
  sha256: string;
  bytes: number;
  repo: string;
  licence: string;
}
const provenance = JSON.parse(readFileSync(join(repositoryFixtures, 'provenance.json'), 'utf8')) as Provenance[];

describe('the fixtures copied into test/fixtures', () => {
  it('hold every third-party file of the provenance, byte for byte (sha256 and size)', () => {
    expect(provenance.length).toBeGreaterThan(40);
    const wrong = provenance
      .map((p) => ({ file: p.fixture, sha256: sha256(join(repositoryFixtures, p.fixture)), bytes: statSync(join(repositoryFixtures, p.fixture)).size, p }))
      .filter((f) => f.sha256 !== f.p.sha256 || f.bytes !== f.p.bytes)
      .map((f) => f.file);
    expect(wrong).toEqual([]);
  });

  it('are exactly the files of test/fixtures.sha256, each with its hash', () => {
    const present = filesUnder(repositoryFixtures);
    expect(present).toEqual([...manifest.keys()].sort());
    const changed = present.filter((f) => sha256(join(repositoryFixtures, f)) !== manifest.get(f));
    expect(changed).toEqual([]);
  });

  it("carry the README, the provenance and the licence of every licensed source", () => {
    for (const f of ['README.md', 'provenance.json', 'reference/caffe-sources.md']) expect(manifest.has(f), f).toBe(true);
    const licences = [...manifest.keys()].filter((f) => f.startsWith('licenses/'));
    expect(licences.length).toBeGreaterThanOrEqual(6);
    for (const f of licences) expect(provenance.some((p) => p.fixture === f), f).toBe(true);
  });

  it('agree with the provenance wherever both list a file', () => {
    for (const p of provenance) expect(manifest.get(p.fixture), p.fixture).toBe(p.sha256);
  });
});
