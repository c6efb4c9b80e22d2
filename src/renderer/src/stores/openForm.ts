/**
 * The open-model form: the paths and input shapes last used, remembered across sessions. On the web
 * host its paths are typed, picked in the host's file browser or filled by an upload (a drop); in
 * the app they are chosen (a dialog or a drop), because the app's main process opens only what the
 * user chose there.
 */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { OpenModelRequest } from '../../../shared/api.js';
import { FILE_FILTERS } from '../../../shared/bridge.js';
import { formatInputShapes, parseInputShapes } from '../lib/layers.js';

const STORAGE_KEY = 'portafilter.openForm';

interface Saved {
  prototxt: string;
  caffemodel: string;
  inputShapes: string;
  /** Caffe's phase for the include/exclude rules, and the stages (comma-separated) of the net state. */
  phase: 'TEST' | 'TRAIN';
  stages: string;
}

function load(): Saved {
  const empty: Saved = { prototxt: '', caffemodel: '', inputShapes: '', phase: 'TEST', stages: '' };
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return empty;
    const r = raw as Record<string, unknown>;
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    return { prototxt: str(r.prototxt), caffemodel: str(r.caffemodel), inputShapes: str(r.inputShapes), phase: r.phase === 'TRAIN' ? 'TRAIN' : 'TEST', stages: str(r.stages) };
  } catch {
    return empty;
  }
}

export type PathField = 'prototxt' | 'caffemodel';
/** Where a dropped file can go: a field of this form, or the mean image (the Export panel's). */
export type DropField = PathField | 'mean';

const extensionOf = (path: string): string => {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
};

/**
 * Which field a dropped (or uploaded, or browsed) file or folder fills: a folder is a folder of .npy
 * weights (what the caffemodel field also takes), the rest goes by the extensions the open dialog
 * offers; a .binaryproto is a mean image.
 */
export function dropTarget(path: string, folder: boolean): DropField | null {
  if (folder) return 'caffemodel';
  const ext = extensionOf(path);
  if (FILE_FILTERS.caffemodel.extensions.includes(ext)) return 'caffemodel';
  if (FILE_FILTERS.prototxt.extensions.includes(ext)) return 'prototxt';
  if (FILE_FILTERS.binaryproto.extensions.includes(ext)) return 'mean';
  return null;
}

/** A file the Run view takes as its input (an image or a .npy): what a drop on the Run view feeds it. */
export const isRunInput = (path: string): boolean => FILE_FILTERS.input.extensions.includes(extensionOf(path));

/** The extensions a drop or an upload takes, for an <input type=file accept=…>. */
export const DROPPED_EXTENSIONS: readonly string[] = [
  ...FILE_FILTERS.prototxt.extensions,
  ...FILE_FILTERS.caffemodel.extensions,
  ...FILE_FILTERS.binaryproto.extensions,
].map((e) => `.${e}`);

export const useOpenFormStore = defineStore('openForm', () => {
  const saved = load();
  const prototxt = ref(saved.prototxt);
  const caffemodel = ref(saved.caffemodel);
  const inputShapes = ref(saved.inputShapes);
  const phase = ref<Saved['phase']>(saved.phase);
  const stages = ref(saved.stages);

  watch([prototxt, caffemodel, inputShapes, phase, stages], ([p, c, s, ph, st]) => {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ prototxt: p, caffemodel: c, inputShapes: s, phase: ph, stages: st } satisfies Saved));
    } catch {
      // Storage may be full or disabled; the form still works, it just forgets.
    }
  });

  /** Shows what was opened, so a user can change one thing (an input shape) and open again. */
  function fill(request: OpenModelRequest): void {
    prototxt.value = request.prototxt;
    caffemodel.value = request.caffemodel ?? '';
    inputShapes.value = formatInputShapes(request.inputShapes);
    phase.value = request.phase ?? 'TEST';
    stages.value = (request.stages ?? []).join(', ');
  }

  /** Puts a dropped file or folder where it belongs; the field it filled, or what is wrong with it. */
  function place(path: string, folder: boolean): { field: PathField } | { problem: string } {
    const field = dropTarget(path, folder);
    if (field === 'mean') return { problem: `${path} is a mean image: it belongs to the Export panel's mean file, not to this form` };
    if (!field) return { problem: `${path} is neither a .prototxt nor a .caffemodel (nor a folder of .npy weights)` };
    if (field === 'prototxt') prototxt.value = path;
    else caffemodel.value = path;
    return { field };
  }

  /** The form as a request, or what is wrong with it; `typed` is false where paths are chosen, not typed (the app). */
  function toRequest(typed = true): { request: OpenModelRequest } | { problem: string } {
    const p = prototxt.value.trim();
    if (!p) return { problem: typed ? 'enter the path of a .prototxt' : 'choose a .prototxt with … or drop it on the window' };
    const shapes = parseInputShapes(inputShapes.value);
    if ('problem' in shapes) return shapes;
    const c = caffemodel.value.trim();
    const request: OpenModelRequest = { prototxt: p };
    if (c) request.caffemodel = c;
    if (Object.keys(shapes.shapes).length > 0) request.inputShapes = shapes.shapes;
    if (phase.value === 'TRAIN') request.phase = 'TRAIN';
    const named = stages.value.split(',').map((x) => x.trim()).filter(Boolean);
    if (named.length > 0) request.stages = named;
    return { request };
  }

  return { prototxt, caffemodel, inputShapes, phase, stages, fill, place, toRequest };
});
