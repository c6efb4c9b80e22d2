/**
 * The graph view's state: the open model as a graph (lib/graph.ts), its ELK layout (computed in a
 * Web Worker, cached per model and expansion so switching back and forth or reopening the same
 * prototxt is instant), which folded nodes are expanded, the pan and zoom each model was left at,
 * and the search. Which view shows is stores/views.ts'; the graph view asks for its layout when it
 * is shown, so a user who never opens it never pays for one.
 *
 * The layout depends on the net's structure only, never on the ordering: switching orderings
 * changes the edge labels (read from stores/kerasView.ts by the view) and nothing here.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { buildGraph, expansionKey, fromElkLayout, graphKey, searchLayers, toElkGraph, type Expansion, type GraphLayout, type NetGraph } from '../lib/graph.js';
import type { Viewport } from '../lib/viewport.js';
import { layoutInWorker, warmLayoutWorker } from '../workers/elkLayout.js';
import { useModelStore } from './model.js';

/** Layouts kept: a few models' (and expansions') worth, each a few hundred boxes and routes. */
const CACHE_SIZE = 12;

/** Set when the graph store sees a model's summary (it arrived, or the graph view first showed it): bench/workbench-host.ts reads it. */
export const MODEL_OPENED_MARK = 'portafilter:model-opened';

/** A performance measure per ELK layout (request to answer read back), for the benchmarks. */
export const LAYOUT_MEASURE = 'portafilter:graph-layout';

// The graph is the view a model opens on: start the layout worker with the page, not with the first model.
warmLayoutWorker();

/** A map that forgets the entry used longest ago beyond `size`. */
class Recent<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value as string);
  }
}

export const useGraphStore = defineStore('graph', () => {
  const model = useModelStore();

  // shallowRef/computed over the summary: replaced whole, never edited; a 2,000-layer graph is never made deeply reactive.
  const key = computed(() => (model.summary ? graphKey(model.summary) : null));
  // A computed's value is never made reactive: the graph's arrays stay plain.
  const graph = computed<NetGraph | null>(() => (model.summary ? buildGraph(model.summary) : null));
  watch(
    () => model.summary,
    (s) => {
      if (s && typeof performance !== 'undefined') performance.mark(MODEL_OPENED_MARK);
    },
    // The store is first used by the graph view, mounted once a summary is there.
    { immediate: true },
  );

  /** Expanded nodes of the open model ('all', or node ids); reset when another model opens. */
  const expansion = shallowRef<Expansion>(new Set());
  watch(key, () => (expansion.value = new Set()));

  const layout = shallowRef<GraphLayout | null>(null);
  const layoutKey = ref<string | null>(null);
  /** Why the open model could not be laid out, and which layout that was. */
  const failure = ref<{ key: string; message: string } | null>(null);

  const layouts = new Recent<GraphLayout>(CACHE_SIZE);
  const pending = new Map<string, Promise<GraphLayout>>();
  const viewports = new Recent<Viewport>(CACHE_SIZE);

  const wantedKey = computed(() => (key.value === null ? null : `${key.value}|${expansionKey(expansion.value)}`));

  /** The layout of `g`, from the cache or the worker; one request per layout however often asked. */
  function layoutOf(k: string, g: NetGraph, e: Expansion): Promise<GraphLayout> {
    const cached = layouts.get(k);
    if (cached) return Promise.resolve(cached);
    let running = pending.get(k);
    if (!running) {
      const started = performance.now();
      running = layoutInWorker(toElkGraph(g, e))
        .then((out) => {
          const done = fromElkLayout(g, out, e);
          performance.measure(LAYOUT_MEASURE, { start: started, detail: { nodes: g.nodes.length } });
          layouts.set(k, done);
          return done;
        })
        .finally(() => pending.delete(k));
      pending.set(k, running);
    }
    return running;
  }

  /** Lays out the open model (at its expansion) unless that layout is showing already. */
  async function ensureLayout(): Promise<void> {
    const k = wantedKey.value;
    const g = graph.value;
    if (k === null || g === null || (layoutKey.value === k && layout.value)) return;
    failure.value = null;
    try {
      const done = await layoutOf(k, g, expansion.value);
      // Another model (or expansion) may have been asked for meanwhile; its own call shows its layout.
      if (wantedKey.value === k) {
        layout.value = done;
        layoutKey.value = k;
      }
    } catch (e) {
      failure.value = { key: k, message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** How many graph views are showing: the layout follows the model only while one is. */
  let viewers = 0;
  watch(wantedKey, () => {
    if (viewers > 0) void ensureLayout();
  });
  function attach(): () => void {
    viewers++;
    void ensureLayout();
    return () => {
      viewers = Math.max(0, viewers - 1);
    };
  }

  /** The layout shown belongs to the open model (not the one before it, while the new one is computed). */
  const ready = computed(() => layout.value !== null && layoutKey.value !== null && layoutKey.value.split('|')[0] === key.value);
  const layoutError = computed(() => (failure.value !== null && failure.value.key === wantedKey.value ? failure.value.message : null));
  const layingOut = computed(() => key.value !== null && layoutKey.value !== wantedKey.value && layoutError.value === null);

  /** Folds or unfolds one node's in-place layers (a new layout, cached). */
  function toggleNode(nodeId: string): void {
    const g = graph.value;
    if (!g) return;
    const now = expansion.value;
    const set = new Set(now === 'all' ? g.nodes.filter((n) => n.rows.length > 1).map((n) => n.id) : now);
    if (set.has(nodeId)) set.delete(nodeId);
    else set.add(nodeId);
    expansion.value = set;
  }
  const allExpanded = computed(() => expansion.value === 'all');
  function setAllExpanded(on: boolean): void {
    expansion.value = on ? 'all' : new Set();
  }

  function saveViewport(vp: Viewport): void {
    if (key.value !== null) viewports.set(key.value, vp);
  }
  const savedViewport = (): Viewport | undefined => (key.value === null ? undefined : viewports.get(key.value));

  // --- Search ----------------------------------------------------------------------------------
  const query = ref('');
  const matches = computed(() => (graph.value ? searchLayers(graph.value, query.value) : []));
  const matchSet = computed(() => new Set(matches.value));
  /** Which match the view is centred on (cycled by Enter / next). */
  const current = ref(0);
  watch(matches, () => (current.value = 0));
  const currentMatch = computed(() => matches.value[current.value] ?? null);
  function nextMatch(step = 1): void {
    const n = matches.value.length;
    if (n > 0) current.value = (((current.value + step) % n) + n) % n;
  }

  return {
    graph,
    layout,
    expansion,
    allExpanded,
    layingOut,
    layoutError,
    ready,
    query,
    matches,
    matchSet,
    current,
    currentMatch,
    attach,
    ensureLayout,
    toggleNode,
    setAllExpanded,
    saveViewport,
    savedViewport,
    nextMatch,
  };
});
