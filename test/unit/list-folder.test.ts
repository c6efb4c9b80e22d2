/**
 * listFolder, the web host's file browser: what a listing shows, in which order, and that it never
 * reaches outside its roots, by a path, a `..` or a symlink.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFolder } from '../../src/main/service/folders.js';

let scratch: string;
/** The one root the listings below may reach. */
let root: string;
/** Beside the root, never inside it. */
let outside: string;

beforeAll(() => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'portafilter-list-')));
  root = join(scratch, 'root');
  outside = join(scratch, 'outside');
  mkdirSync(join(root, 'b-folder'), { recursive: true });
  mkdirSync(join(root, 'A-folder', 'deeper'), { recursive: true });
  mkdirSync(join(root, '.git'));
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.prototxt'), 'name: "not yours"');
  writeFileSync(join(root, 'deploy.prototxt'), 'name: "x"\n'); // 10 bytes
  writeFileSync(join(root, 'weights.caffemodel'), Buffer.alloc(1234));
  writeFileSync(join(root, 'mean.binaryproto'), Buffer.alloc(7));
  writeFileSync(join(root, 'digit_10.png'), Buffer.alloc(3));
  writeFileSync(join(root, 'digit_3.png'), Buffer.alloc(2));
  writeFileSync(join(root, 'conv1.npy'), Buffer.alloc(128));
  writeFileSync(join(root, 'labels.txt'), 'zero\none\n');
  writeFileSync(join(root, 'notes.md'), '# not a Caffe file');
  writeFileSync(join(root, 'run.sh'), 'echo');
  writeFileSync(join(root, '.hidden.prototxt'), 'name: "hidden"');
  symlinkSync(outside, join(root, 'escape'));
  symlinkSync(join(outside, 'secret.prototxt'), join(root, 'escape.prototxt'));
  symlinkSync(join(root, 'A-folder'), join(root, 'inside-link'));
  symlinkSync(join(root, 'nowhere'), join(root, 'broken.prototxt'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('listFolder', () => {
  it('lists the roots when no path is given', async () => {
    const listing = await listFolder({}, [root, outside]);
    expect(listing.path).toBe('');
    expect(listing.roots).toEqual([root, outside]);
    expect(listing.entries).toEqual([
      { name: root, kind: 'folder' },
      { name: outside, kind: 'folder' },
    ]);
  });

  it('leaves out roots that do not exist or repeat another', async () => {
    const listing = await listFolder({}, [root, join(scratch, 'gone'), `${root}/`, 'relative/root']);
    expect(listing.roots).toEqual([root]);
  });

  it('lists folders first, then Caffe-relevant files with their sizes, by name as a person sorts them', async () => {
    const listing = await listFolder({ path: root }, [root]);
    expect(listing.path).toBe(root);
    expect(listing.parent).toBeUndefined();
    expect(listing.entries).toEqual([
      { name: 'A-folder', kind: 'folder' },
      { name: 'b-folder', kind: 'folder' },
      { name: 'inside-link', kind: 'folder' },
      { name: 'conv1.npy', kind: 'file', size: 128 },
      { name: 'deploy.prototxt', kind: 'file', size: 10 },
      { name: 'digit_3.png', kind: 'file', size: 2 },
      { name: 'digit_10.png', kind: 'file', size: 3 },
      { name: 'labels.txt', kind: 'file', size: 9 },
      { name: 'mean.binaryproto', kind: 'file', size: 7 },
      { name: 'weights.caffemodel', kind: 'file', size: 1234 },
    ]);
  });

  it('leaves out hidden files and folders, other file types, broken links and links that escape the roots', async () => {
    const names = (await listFolder({ path: root }, [root])).entries.map((e) => e.name);
    for (const left of ['.git', '.hidden.prototxt', 'notes.md', 'run.sh', 'broken.prototxt', 'escape', 'escape.prototxt']) {
      expect(names).not.toContain(left);
    }
  });

  it('gives a folder inside a root its parent, so the browser can go up', async () => {
    const listing = await listFolder({ path: join(root, 'A-folder', 'deeper') }, [root]);
    expect(listing.path).toBe(join(root, 'A-folder', 'deeper'));
    expect(listing.parent).toBe(join(root, 'A-folder'));
    expect(listing.entries).toEqual([]);
  });

  it('gives a root inside another root a parent too (a model folder under home)', async () => {
    const listing = await listFolder({ path: join(root, 'A-folder') }, [root, join(root, 'A-folder')]);
    expect(listing.parent).toBe(root);
  });

  it('refuses a folder outside the roots, naming it', async () => {
    await expect(listFolder({ path: outside }, [root])).rejects.toThrow(`${outside}: refused: outside the folders the file browser may list; it may list ${root} (`);
  });

  it('refuses a symlink inside a root that points outside, naming the link and where it lands', async () => {
    const link = join(root, 'escape');
    await expect(listFolder({ path: link }, [root])).rejects.toThrow(`${link}: refused: outside the folders the file browser may list (it leads to ${outside})`);
  });

  it('refuses a path that climbs out of a root with ..', async () => {
    const climbing = `${root}/A-folder/../../outside`;
    await expect(listFolder({ path: climbing }, [root])).rejects.toThrow(`${climbing}: refused: outside the folders the file browser may list (it leads to ${outside})`);
  });

  it('refuses the parent of a root', async () => {
    await expect(listFolder({ path: scratch }, [root])).rejects.toThrow(`${scratch}: refused: outside the folders`);
  });

  it('says so for a folder that does not exist, a file and a relative path', async () => {
    await expect(listFolder({ path: join(root, 'missing') }, [root])).rejects.toThrow(`${join(root, 'missing')}: cannot list: no such folder`);
    await expect(listFolder({ path: join(root, 'deploy.prototxt') }, [root])).rejects.toThrow(`${join(root, 'deploy.prototxt')}: cannot list: not a folder`);
    await expect(listFolder({ path: 'root' }, [root])).rejects.toThrow('root: cannot list: not an absolute path');
  });

  it('follows a symlink that stays inside the roots', async () => {
    const listing = await listFolder({ path: join(root, 'inside-link') }, [root]);
    expect(listing.path).toBe(join(root, 'A-folder'));
    expect(listing.entries).toEqual([{ name: 'deeper', kind: 'folder' }]);
  });
});
