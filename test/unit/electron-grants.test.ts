/**
 * The Electron window may name only paths the user chose: which request fields are paths (found in
 * api.ts's schemas), how paths are normalised before they are compared, what each kind of choice
 * grants, the recent files kept across sessions, and the dev-server URL rule. All of it runs without
 * Electron: ipc.ts calls UserPaths.checkCall before any call reaches the service.
 */
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { methods } from '../../src/shared/api.js';
import { resourcePath } from '../../src/main/paths.js';
import { UserPaths } from '../../src/main/electron/access.js';
import { devServerUrl, builtForDev } from '../../src/main/electron/dev-server.js';
import { PathGrants, canonicalPath, nodeGrantEnv, type GrantEnv } from '../../src/main/electron/grants.js';
import { METHOD_PATHS, PATH_ACCESS, PATH_SCHEMA, analyseMethods, pathValues, pathsOfCall } from '../../src/main/service/path-fields.js';
import { MAX_RECENTS, RecentFiles, addRecent, parseRecents, serializeRecents, type RecentEntry } from '../../src/main/electron/recents.js';

let root: string;
let models: string;
let outside: string;

beforeAll(async () => {
  // realpath: the temp folder may itself sit behind a symlink (macOS /var -> /private/var).
  root = await realpath(await mkdtemp(join(tmpdir(), 'portafilter-grants-')));
  models = join(root, 'models');
  outside = join(root, 'outside');
  await mkdir(join(models, 'lenet', 'lenet_npy'), { recursive: true });
  await mkdir(join(root, 'models-private'), { recursive: true });
  await mkdir(outside, { recursive: true });
  for (const file of ['lenet/deploy.prototxt', 'lenet/weights.caffemodel', 'lenet/mean.binaryproto', 'lenet/lenet_npy/W_conv1.npy']) {
    await writeFile(join(models, file), 'x');
  }
  await writeFile(join(root, 'models-private', 'secret.prototxt'), 'x');
  await writeFile(join(outside, 'id_rsa'), 'secret');
  // A link inside the chosen folder pointing out of it, and a link to a chosen file.
  await symlink(outside, join(models, 'lenet', 'escape'));
  await symlink(join(models, 'lenet', 'deploy.prototxt'), join(root, 'deploy-link.prototxt'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const at = (...parts: string[]): string => join(models, 'lenet', ...parts);

describe('the path fields of the API', () => {
  it('are found in every method of api.ts, each with a read or write rule, leaving no field unclassified', () => {
    // This fails when a method or field is added to api.ts without saying what it does on disk.
    for (const method of Object.keys(methods)) expect(METHOD_PATHS[method]?.problems, method).toEqual([]);
    const found = Object.values(METHOD_PATHS).flatMap((m) => m.fields.map((f) => `${f.field}:${f.access}`));
    expect(found.sort()).toEqual(Object.entries(PATH_ACCESS).map(([field, access]) => `${field}:${access}`).sort());
  });

  it('include the ones the renderer sends today, with the export target the only one written', () => {
    expect(PATH_ACCESS).toMatchObject({
      'openModel.prototxt': 'read',
      'openModel.caffemodel': 'read',
      'readMean.file': 'read',
      'convertModel.out': 'write',
      'convertModel.mean': 'read',
    });
  });

  it('refuse a method whose path field has no rule, wherever the field sits, and any string or schema that cannot be classified', () => {
    const analysed = analyseMethods({
      listFolder: z.object({ dir: PATH_SCHEMA }),
      openMany: z.object({ files: z.array(PATH_SCHEMA.optional()) }),
      byName: z.object({ inputs: z.record(z.string(), PATH_SCHEMA) }),
      typedOther: z.object({ where: z.string().max(4096) }),
      either: z.object({ target: z.union([PATH_SCHEMA, z.number()]) }),
      loose: z.object({ anything: z.unknown() }),
      fine: z.object({ count: z.number(), on: z.boolean(), mode: z.enum(['a', 'b']) }),
    });
    expect(analysed.listFolder.problems).toEqual([expect.stringContaining('listFolder.dir is a path with no read/write rule')]);
    expect(analysed.openMany.problems).toEqual([expect.stringContaining('openMany.files[] is a path')]);
    expect(analysed.byName.problems).toEqual([
      expect.stringContaining('byName.inputs{key} is a string'),
      expect.stringContaining('byName.inputs{} is a path'),
    ]);
    expect(analysed.typedOther.problems).toEqual([expect.stringContaining('typedOther.where is a string that is neither')]);
    expect(analysed.either.problems).toEqual([expect.stringContaining('either.target is a union schema')]);
    expect(analysed.loose.problems).toEqual([expect.stringContaining('loose.anything is a unknown schema')]);
    expect(analysed.fine).toEqual({ fields: [], problems: [] });
  });

  it('are read out of nested arrays and records of a parsed request', () => {
    const schema = z.object({ files: z.array(PATH_SCHEMA), byName: z.record(z.string(), PATH_SCHEMA.optional()), note: z.string() });
    const fields = [
      { field: 'm.files[]', access: 'read' as const },
      { field: 'm.byName{}', access: 'write' as const },
    ];
    expect(pathValues(schema, { files: ['/a', '/b'], byName: { x: '/c' }, note: '/not-a-path' }, fields, PATH_SCHEMA, 'm')).toEqual([
      { field: 'm.files[]', access: 'read', path: '/a' },
      { field: 'm.files[]', access: 'read', path: '/b' },
      { field: 'm.byName{}', access: 'write', path: '/c' },
    ]);
  });

  it('give each call its paths, optional ones only when present', () => {
    expect(pathsOfCall('convertModel', { id: 's', format: 'npy', out: '/o', mean: '/m.binaryproto', ordering: 'channels_last' })).toEqual({
      paths: [
        { field: 'convertModel.out', access: 'write', path: '/o' },
        { field: 'convertModel.mean', access: 'read', path: '/m.binaryproto' },
      ],
    });
    expect(pathsOfCall('openModel', { prototxt: '/p' })).toEqual({ paths: [{ field: 'openModel.prototxt', access: 'read', path: '/p' }] });
    expect(pathsOfCall('version', {})).toEqual({ paths: [] });
    expect(pathsOfCall('toString', {})).toEqual({ problem: "unknown method 'toString'" });
  });
});

describe('normalising a path before it is compared', () => {
  it('refuses relative paths, . and .. segments and NUL, which no dialog returns', async () => {
    expect(await canonicalPath('models/deploy.prototxt')).toEqual({ problem: 'models/deploy.prototxt is not an absolute path' });
    expect(await canonicalPath(`${at()}/../../outside/id_rsa`)).toMatchObject({ problem: expect.stringContaining("'.' or '..' segment") });
    expect(await canonicalPath(`${at()}/./deploy.prototxt`)).toMatchObject({ problem: expect.stringContaining("'.' or '..' segment") });
    expect(await canonicalPath(`${at('deploy.prototxt')}\0.png`)).toMatchObject({ problem: expect.stringContaining('NUL') });
  });

  it('resolves symlinks where the path exists, and the deepest existing folder where it does not', async () => {
    expect(await canonicalPath(at('escape', 'id_rsa'))).toEqual({ path: join(outside, 'id_rsa') });
    expect(await canonicalPath(join(root, 'deploy-link.prototxt'))).toEqual({ path: at('deploy.prototxt') });
    expect(await canonicalPath(at('escape', 'new', 'model.onnx'))).toEqual({ path: join(outside, 'new', 'model.onnx') });
    expect(await canonicalPath(`${at()}//deploy.prototxt`)).toEqual({ path: at('deploy.prototxt') });
  });
});

describe('what a grant covers', () => {
  it('a chosen file: that file, also through a symlink to it, and not its siblings', async () => {
    const grants = new PathGrants();
    await grants.grant(at('deploy.prototxt'), 'file', 'read');
    expect(await grants.check(at('deploy.prototxt'), 'read')).toEqual({ allowed: true });
    expect(await grants.check(join(root, 'deploy-link.prototxt'), 'read')).toEqual({ allowed: true });
    expect(await grants.check(at('weights.caffemodel'), 'read')).toEqual({ allowed: false });
    expect(await grants.check(at('deploy.prototxt'), 'write')).toEqual({ allowed: false });
  });

  it('a chosen folder: what is under it, but not a symlink out of it, a sibling sharing its name as prefix, or a ../ walk', async () => {
    const grants = new PathGrants();
    await grants.grant(models, 'tree', 'read');
    expect(await grants.check(at('lenet_npy', 'W_conv1.npy'), 'read')).toEqual({ allowed: true });
    expect(await grants.check(at('escape', 'id_rsa'), 'read')).toEqual({ allowed: false });
    expect(await grants.check(join(root, 'models-private', 'secret.prototxt'), 'read')).toEqual({ allowed: false });
    expect(await grants.check(`${models}/../outside/id_rsa`, 'read')).toMatchObject({ allowed: false, problem: expect.stringContaining('..') });
  });

  it('compares regardless of case where the file system does', async () => {
    const env: GrantEnv = { ...nodeGrantEnv, realpath: async (p) => p, caseInsensitive: true };
    const grants = new PathGrants(env);
    await grants.grant('/Models/LeNet', 'tree', 'read');
    expect(await grants.check('/models/lenet/deploy.prototxt', 'read')).toEqual({ allowed: true });
    const strict = new PathGrants({ ...env, caseInsensitive: false });
    await strict.grant('/Models/LeNet', 'tree', 'read');
    expect(await strict.check('/models/lenet/deploy.prototxt', 'read')).toEqual({ allowed: false });
  });
});

describe("the window's calls", () => {
  const open = (prototxt: string, caffemodel?: string): Record<string, unknown> => (caffemodel ? { prototxt, caffemodel } : { prototxt });

  it('open a model picked in the dialog, and are refused a file next to it that was not picked, naming it and the dialog', async () => {
    const paths = new UserPaths();
    expect(await paths.grantRead(at('deploy.prototxt'), false)).toEqual({ path: at('deploy.prototxt'), folder: false });
    expect(await paths.checkCall('openModel', open(at('deploy.prototxt')))).toBeNull();
    const refused = await paths.checkCall('openModel', open(at('deploy.prototxt'), at('weights.caffemodel')));
    expect(refused).toEqual({
      error: {
        code: 'PortafilterError',
        message: expect.stringMatching(new RegExp(`^refused: ${at('weights.caffemodel')} was not chosen in this window \\(openModel\\.caffemodel\\); choose it in the Open dialog`)),
        location: { file: at('weights.caffemodel') },
      },
    });
    await paths.grantRead(at('weights.caffemodel'), false);
    expect(await paths.checkCall('openModel', open(at('deploy.prototxt'), at('weights.caffemodel')))).toBeNull();
  });

  it('refuse a path the page typed or made up, whatever it points at', async () => {
    const paths = new UserPaths();
    await paths.grantRead(models, false);
    for (const typed of [join(outside, 'id_rsa'), at('escape', 'id_rsa'), `${at()}/../../outside/id_rsa`, 'lenet/deploy.prototxt']) {
      expect((await paths.checkCall('readMean', { file: typed }))?.error.message, typed).toMatch(/^refused: /);
    }
  });

  it('read a dropped folder and what is under it (a folder of .npy weights in place of the caffemodel)', async () => {
    const paths = new UserPaths();
    expect(await paths.grantRead(at('lenet_npy'), false)).toEqual({ path: at('lenet_npy'), folder: true });
    await paths.grantRead(at('deploy.prototxt'), false);
    expect(await paths.checkCall('openModel', open(at('deploy.prototxt'), at('lenet_npy')))).toBeNull();
    expect(await paths.checkCall('readMean', { file: at('lenet_npy', 'W_conv1.npy') })).toBeNull();
  });

  it('write only where the save dialog chose: the file itself, or for a folder format the folder and under it', async () => {
    const paths = new UserPaths();
    await paths.grantRead(at('deploy.prototxt'), false);
    const convert = (out: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ id: 's1', format: 'onnx', out, ...extra });

    const notChosen = await paths.checkCall('convertModel', convert(at('LeNet.onnx')));
    expect(notChosen?.error.message).toBe(
      `refused: ${at('LeNet.onnx')} was not chosen as an export destination (convertModel.out); choose it in the Export dialog (the … button beside the output path)`,
    );
    // Read access is not write access: a model chosen to open cannot be overwritten by an export.
    expect((await paths.checkCall('convertModel', convert(at('deploy.prototxt'))))?.error.message).toMatch(/not chosen as an export destination/);

    await paths.grantWrite(at('LeNet.onnx'), 'file');
    expect(await paths.checkCall('convertModel', convert(at('LeNet.onnx')))).toBeNull();
    expect(await paths.checkCall('convertModel', convert(at('LeNet.keras')))).not.toBeNull();

    await paths.grantWrite(at('LeNet_npy'), 'tree');
    expect(await paths.checkCall('convertModel', convert(at('LeNet_npy'), { format: 'npy' }))).toBeNull();
    expect(await paths.checkCall('convertModel', convert(at('LeNet_npy', 'inner'), { format: 'tfjs' }))).toBeNull();
    // The mean an npy export copies is read, so it needs a read grant of its own.
    const mean = await paths.checkCall('convertModel', convert(at('LeNet_npy'), { format: 'npy', mean: at('mean.binaryproto') }));
    expect(mean?.error.message).toMatch(/mean\.binaryproto was not chosen in this window \(convertModel\.mean\)/);
  });

  it('open the bundled demo once its folder is granted, as main does at start', async () => {
    const paths = new UserPaths();
    const demo = join(resourcePath('demo'), 'lenet_mnist');
    expect(await paths.checkCall('openModel', open(join(demo, 'deploy.prototxt'), join(demo, 'weights.caffemodel')))).not.toBeNull();
    await paths.grantRead(resourcePath('demo'), false);
    expect(await paths.checkCall('openModel', open(join(demo, 'deploy.prototxt'), join(demo, 'weights.caffemodel')))).toBeNull();
  });

  it('without paths pass untouched', async () => {
    const paths = new UserPaths();
    expect(await paths.checkCall('version', {})).toBeNull();
    expect(await paths.checkCall('closeModel', { id: '/etc/passwd' })).toBeNull();
  });
});

describe('recent files', () => {
  it('keep what the user opened for the next session, but not export targets or the bundled demo', async () => {
    const file = join(root, 'userData', 'recent-files.json');
    const first = new UserPaths(undefined, new RecentFiles(file));
    await first.restore();
    await first.grantRead(join(root, 'deploy-link.prototxt'), true);
    await first.grantRead(at('lenet_npy'), true);
    await first.grantRead(resourcePath('demo'), false);
    await first.grantWrite(at('LeNet.onnx'), 'file');
    expect(parseRecents(await readFile(file, 'utf8'))).toEqual([
      { path: at('lenet_npy'), scope: 'tree' },
      { path: at('deploy.prototxt'), scope: 'file' },
    ]);

    const next = new UserPaths(undefined, new RecentFiles(file));
    await next.restore();
    expect(await next.checkCall('openModel', { prototxt: join(root, 'deploy-link.prototxt'), caffemodel: at('lenet_npy') })).toBeNull();
    expect(await next.checkCall('convertModel', { id: 's', format: 'onnx', out: at('LeNet.onnx') })).not.toBeNull();
    expect(await next.checkCall('openModel', { prototxt: join(resourcePath('demo'), 'lenet_mnist', 'deploy.prototxt') })).not.toBeNull();
  });

  it('are dropped when a path now leads elsewhere (a symlink put in its place) or stopped being a folder', async () => {
    const file = join(root, 'userData2', 'recent-files.json');
    const swapped = join(root, 'swap.prototxt');
    const folder = join(root, 'was-a-folder');
    await writeFile(swapped, 'x');
    await mkdir(folder);
    const first = new UserPaths(undefined, new RecentFiles(file));
    await first.grantRead(swapped, true);
    await first.grantRead(folder, true);
    await rm(swapped);
    await symlink(join(outside, 'id_rsa'), swapped);
    await rm(folder, { recursive: true });
    await writeFile(folder, 'now a file');

    const recents = new RecentFiles(file);
    const next = new UserPaths(undefined, recents);
    await next.restore();
    expect(await next.checkCall('readMean', { file: swapped })).not.toBeNull();
    expect(await next.checkCall('readMean', { file: folder })).not.toBeNull();
    expect(recents.list()).toEqual([]);
  });

  it('read a missing or damaged file as none, and hold the newest MAX_RECENTS, each path once', async () => {
    expect(parseRecents('')).toEqual([]);
    expect(parseRecents('{"version":1,"entries":[{"path":"/x","scope":"everything"}]}')).toEqual([]);
    expect(parseRecents('{"version":2,"entries":[]}')).toEqual([]);
    expect(await new RecentFiles(join(root, 'nowhere', 'recent-files.json')).load()).toEqual([]);

    let list: RecentEntry[] = [{ path: '/a', scope: 'file' }];
    for (let i = 0; i < MAX_RECENTS + 5; i++) list = addRecent(list, { path: `/m${i}`, scope: 'file' });
    list = addRecent(list, { path: '/m10', scope: 'file' });
    expect(list).toHaveLength(MAX_RECENTS);
    expect(list[0]).toEqual({ path: '/m10', scope: 'file' });
    expect(list.filter((e) => e.path === '/m10')).toHaveLength(1);
    expect(list.some((e) => e.path === '/a')).toBe(false);
    expect(parseRecents(serializeRecents(list))).toEqual(list);
  });
});

describe('the dev-server URL', () => {
  it('is ignored unless the build is `electron-vite dev`, whatever the environment says', () => {
    expect(devServerUrl(false, 'http://localhost:5173/')).toBeUndefined();
    expect(devServerUrl(false, 'https://attacker.example/')).toBeUndefined();
    expect(devServerUrl(true, undefined)).toBeUndefined();
    expect(devServerUrl(true, 'http://localhost:5173')).toBe('http://localhost:5173/');
    expect(devServerUrl(true, 'http://127.0.0.1:5174/')).toBe('http://127.0.0.1:5174/');
  });

  it('must be on this machine even in dev', () => {
    expect(() => devServerUrl(true, 'https://attacker.example/')).toThrow(/not "https:\/\/attacker\.example\/"/);
    expect(() => devServerUrl(true, 'http://localhost.attacker.example:5173/')).toThrow(/ELECTRON_RENDERER_URL must be/);
    expect(() => devServerUrl(true, 'file:///etc/passwd')).toThrow(/ELECTRON_RENDERER_URL must be/);
    expect(() => devServerUrl(true, '://nope')).toThrow(/not a URL/);
  });

  it('takes dev mode from what Vite compiled in, absent outside a Vite build', () => {
    expect(builtForDev(undefined)).toBe(false);
    expect(builtForDev({ DEV: false })).toBe(false);
    expect(builtForDev({ DEV: 'true' })).toBe(false);
    expect(builtForDev({ DEV: true })).toBe(true);
  });
});
