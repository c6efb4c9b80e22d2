/**
 * Which fields of the API's requests are file-system paths, and whether the call reads or writes
 * there. Found by walking the request schemas of src/shared/api.ts for its one `path` schema, so a
 * method added there is covered without a list kept by hand; what a walk cannot decide (read or
 * write, and that a plain string is not a path) is written below, and anything neither found nor
 * written makes its method refuse every call until it is (test/unit/electron-grants.test.ts
 * fails first).
 */
import type { z } from 'zod';
import { PathSchema, methods } from '../../shared/api.js';

export type PathAccess = 'read' | 'write';

/**
 * Every path field is api.ts's PathSchema (or it wrapped in `.optional()`). Compared by identity: a
 * string field built any other way is not taken for a path and must be named in NOT_PATHS.
 */
export const PATH_SCHEMA: z.ZodType = PathSchema;

/** What each path field lets a call do there. Fields are `method.key`, `[]` for array elements, `{}` for record values, `{key}` for record keys. */
export const PATH_ACCESS: Readonly<Record<string, PathAccess>> = {
  'openModel.prototxt': 'read',
  // Also a folder of .npy weights, which is read, never written.
  'openModel.caffemodel': 'read',
  'readMean.file': 'read',
  'convertModel.out': 'write',
  'convertModel.mean': 'read',
  // The input an export is verified on, and its mean.
  'convertModel.verify.input.file': 'read',
  'convertModel.verify.preprocess.mean': 'read',
  // A folder listed, never written; Electron lets it name only folders the user chose (tree grants).
  'listFolder.path': 'read',
  // The image or .npy a run reads, its mean file and labels.
  'runModel.input.file': 'read',
  'runModel.preprocess.mean': 'read',
  'runModel.labels': 'read',
  'diffModel.input.file': 'read',
  'diffModel.preprocess.mean': 'read',
  // A folder of dumps, read.
  'diffModel.dumps': 'read',
  // A report reads a folder of inputs, its mean, its labels and a folder of dump folders; it writes one .html file.
  'reportModel.images': 'read',
  'reportModel.preprocess.mean': 'read',
  'reportModel.against': 'read',
  'reportModel.labels': 'read',
  'reportModel.out': 'write',
};

/** String fields that name no file: session ids, input blob names, and layer names. */
export const NOT_PATHS: readonly string[] = [
  'closeModel.id',
  'convertModel.id',
  'convertModel.verify.input.sample',
  // Stage names of Caffe's net state.
  'openModel.stages[]',
  'openModel.inputShapes{key}',
  'kerasLayers.id',
  'layerParams.id',
  'layerParams.layer',
  'weightStats.id',
  'weightStats.layer',
  'filterTiles.id',
  'filterTiles.layer',
  'weightOverview.id',
  // A demo sample is a name from demoModel's list, resolved inside the demo folder (service/runs.ts).
  'runModel.input.sample',
  'runModel.id',
  'activation.id',
  'activation.runId',
  'activation.layer',
  'activation.minus',
  'diffModel.id',
  'diffModel.input.sample',
  'reportModel.id',
];

export interface PathField {
  field: string;
  access: PathAccess;
}

export interface MethodPaths {
  fields: PathField[];
  /** Why this method's calls are refused: a field that may hold a path and has no rule. Empty when every field is covered. */
  problems: string[];
}

type AnySchema = z.ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  innerType?: AnySchema;
  element?: AnySchema;
  keyType?: AnySchema;
  valueType?: AnySchema;
}
const defOf = (schema: AnySchema): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers that hold one schema and keep its value's shape. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);
/** Leaves that can hold no free text. */
const SCALARS = new Set(['number', 'boolean', 'enum', 'literal', 'bigint', 'null', 'undefined', 'int', 'nan', 'date', 'never']);

type Leaf = { field: string; kind: 'path' | 'string' } | { field: string; kind: 'unsupported'; type: string };

function leaves(schema: AnySchema, field: string, pathSchema: AnySchema, out: Leaf[]): void {
  if (schema === pathSchema) return void out.push({ field, kind: 'path' });
  const def = defOf(schema);
  if (def.type === 'object' && def.shape) {
    for (const [key, child] of Object.entries(def.shape)) leaves(child, `${field}.${key}`, pathSchema, out);
  } else if (WRAPPERS.has(def.type) && def.innerType) {
    leaves(def.innerType, field, pathSchema, out);
  } else if (def.type === 'array' && def.element) {
    leaves(def.element, `${field}[]`, pathSchema, out);
  } else if (def.type === 'record' && def.keyType && def.valueType) {
    leaves(def.keyType, `${field}{key}`, pathSchema, out);
    leaves(def.valueType, `${field}{}`, pathSchema, out);
  } else if (def.type === 'string') {
    out.push({ field, kind: 'string' });
  } else if (!SCALARS.has(def.type)) {
    // A union, an `unknown`, a transform …: whether it carries a path cannot be told from here, so it is not guessed.
    out.push({ field, kind: 'unsupported', type: def.type });
  }
}

/** Every method's path fields, and what keeps a method from being covered. */
export function analyseMethods(
  schemas: Readonly<Record<string, AnySchema>>,
  pathSchema: AnySchema = PATH_SCHEMA,
  access: Readonly<Record<string, PathAccess>> = PATH_ACCESS,
  notPaths: readonly string[] = NOT_PATHS,
): Record<string, MethodPaths> {
  const result: Record<string, MethodPaths> = {};
  for (const [method, schema] of Object.entries(schemas)) {
    const found: Leaf[] = [];
    leaves(schema, method, pathSchema, found);
    const entry: MethodPaths = { fields: [], problems: [] };
    for (const leaf of found) {
      if (leaf.kind === 'path') {
        const rule = Object.hasOwn(access, leaf.field) ? access[leaf.field] : undefined;
        if (rule) entry.fields.push({ field: leaf.field, access: rule });
        else entry.problems.push(`${leaf.field} is a path with no read/write rule in src/main/service/path-fields.ts (PATH_ACCESS)`);
      } else if (leaf.kind === 'string') {
        if (!notPaths.includes(leaf.field)) {
          entry.problems.push(`${leaf.field} is a string that is neither api.ts's path schema nor named in NOT_PATHS (src/main/service/path-fields.ts)`);
        }
      } else if (leaf.kind === 'unsupported') {
        entry.problems.push(`${leaf.field} is a ${leaf.type} schema, which the path walk cannot see into (src/main/service/path-fields.ts)`);
      }
    }
    result[method] = entry;
  }
  return result;
}

export const METHOD_PATHS: Readonly<Record<string, MethodPaths>> = analyseMethods(methods);

export interface PathValue extends PathField {
  path: string;
}

/** The paths a request, already parsed by its schema, carries in its path fields. */
export function pathValues(schema: AnySchema, request: unknown, fields: readonly PathField[], pathSchema: AnySchema = PATH_SCHEMA, root = ''): PathValue[] {
  const out: PathValue[] = [];
  const accessOf = new Map(fields.map((f) => [f.field, f.access]));
  const walk = (s: AnySchema, value: unknown, field: string): void => {
    if (value === undefined || value === null) return;
    if (s === pathSchema) {
      const access = accessOf.get(field);
      if (typeof value === 'string' && access) out.push({ field, access, path: value });
      return;
    }
    const def = defOf(s);
    if (def.type === 'object' && def.shape && typeof value === 'object') {
      for (const [key, child] of Object.entries(def.shape)) walk(child, (value as Record<string, unknown>)[key], `${field}.${key}`);
    } else if (WRAPPERS.has(def.type) && def.innerType) {
      walk(def.innerType, value, field);
    } else if (def.type === 'array' && def.element && Array.isArray(value)) {
      for (const item of value) walk(def.element, item, `${field}[]`);
    } else if (def.type === 'record' && def.keyType && def.valueType && typeof value === 'object') {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        walk(def.keyType, key, `${field}{key}`);
        walk(def.valueType, item, `${field}{}`);
      }
    }
  };
  walk(schema, request, root);
  return out;
}

/** The paths of one call, or why the call is refused. */
export function pathsOfCall(method: string, request: unknown): { paths: PathValue[] } | { problem: string } {
  const rules = Object.hasOwn(METHOD_PATHS, method) ? METHOD_PATHS[method] : undefined;
  if (!rules || !Object.hasOwn(methods, method)) return { problem: `unknown method '${method}'` };
  if (rules.problems.length > 0) return { problem: `refused: ${method} is not yet covered by the Electron path check: ${rules.problems.join('; ')}` };
  return { paths: pathValues(methods[method as keyof typeof methods], request, rules.fields, PATH_SCHEMA, method) };
}

/**
 * The request with every path field's value replaced by `map(value, field)`: how the web host makes
 * a relative path absolute against the user's home. Fields that are not paths stay as they are.
 */
export function mapPaths<T>(method: string, request: T, map: (path: string, field: string) => string): T {
  if (!Object.hasOwn(methods, method)) return request;
  const schema = methods[method as keyof typeof methods] as AnySchema;
  const walk = (s: AnySchema, value: unknown, field: string): unknown => {
    if (value === undefined || value === null) return value;
    if (s === PATH_SCHEMA) return typeof value === 'string' ? map(value, field) : value;
    const def = defOf(s);
    if (def.type === 'object' && def.shape && typeof value === 'object' && !Array.isArray(value)) {
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const [key, child] of Object.entries(def.shape)) if (key in out) out[key] = walk(child, out[key], `${field}.${key}`);
      return out;
    }
    if (WRAPPERS.has(def.type) && def.innerType) return walk(def.innerType, value, field);
    if (def.type === 'array' && def.element && Array.isArray(value)) return value.map((item) => walk(def.element!, item, `${field}[]`));
    if (def.type === 'record' && def.valueType && typeof value === 'object') {
      // Record keys that are paths would need renaming; none is (analyseMethods reports one as a problem).
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(def.valueType!, v, `${field}{}`)]));
    }
    return value;
  };
  return walk(schema, request, method) as T;
}
