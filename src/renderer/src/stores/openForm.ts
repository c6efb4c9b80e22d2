/** The open-model form: the paths and input shapes last used, remembered across sessions. */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { OpenModelRequest } from '../../../shared/api.js';
import { formatInputShapes, parseInputShapes } from '../lib/layers.js';

const STORAGE_KEY = 'portafilter.openForm';

interface Saved {
  prototxt: string;
  caffemodel: string;
  inputShapes: string;
}

function load(): Saved {
  const empty: Saved = { prototxt: '', caffemodel: '', inputShapes: '' };
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return empty;
    const r = raw as Record<string, unknown>;
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    return { prototxt: str(r.prototxt), caffemodel: str(r.caffemodel), inputShapes: str(r.inputShapes) };
  } catch {
    return empty;
  }
}

export const useOpenFormStore = defineStore('openForm', () => {
  const saved = load();
  const prototxt = ref(saved.prototxt);
  const caffemodel = ref(saved.caffemodel);
  const inputShapes = ref(saved.inputShapes);

  watch([prototxt, caffemodel, inputShapes], ([p, c, s]) => {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ prototxt: p, caffemodel: c, inputShapes: s } satisfies Saved));
    } catch {
      // Storage may be full or disabled; the form still works, it just forgets.
    }
  });

  /** Shows what was opened, so a user can change one thing (an input shape) and open again. */
  function fill(request: OpenModelRequest): void {
    prototxt.value = request.prototxt;
    caffemodel.value = request.caffemodel ?? '';
    inputShapes.value = formatInputShapes(request.inputShapes);
  }

  /** The form as a request, or what is wrong with it. */
  function toRequest(): { request: OpenModelRequest } | { problem: string } {
    const p = prototxt.value.trim();
    if (!p) return { problem: 'enter the path of a .prototxt' };
    const shapes = parseInputShapes(inputShapes.value);
    if ('problem' in shapes) return shapes;
    const c = caffemodel.value.trim();
    const request: OpenModelRequest = { prototxt: p };
    if (c) request.caffemodel = c;
    if (Object.keys(shapes.shapes).length > 0) request.inputShapes = shapes.shapes;
    return { request };
  }

  return { prototxt, caffemodel, inputShapes, fill, toRequest };
});
