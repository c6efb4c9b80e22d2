/**
 * The Run view's data, kept per open model: what to feed (a demo sample or a file), the
 * preprocessing and engine, the last run (runModel) and the activations fetched for it
 * (activation), cached per run, layer, top and drawing options so stepping back to a layer shows
 * its maps at once. A newly opened model starts with no run: the service closed the old model, and
 * its runs with it.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, reactive, ref, shallowRef, watch } from 'vue';
import type { ActivationInfo, Preprocess, Request, Responses, RunInfo, RunInput } from '../../../shared/api.js';
import { api } from '../api/instance.js';
import { isAbortError, toSerializedError } from '../api/types.js';
import { baseName } from '../lib/format.js';
import { latest } from '../lib/latest.js';
import {
  activationKey,
  activationKind,
  emptyPreprocess,
  isDemoModel,
  preprocessForm,
  toPreprocess,
  toRunInput,
  type ActivationAsk,
  type Colormap,
  type EngineChoice,
  type InputChoice,
  type Normalise,
  type PreprocessForm,
} from '../lib/run.js';
import { useActivityStore } from './activity.js';
import { useModelStore } from './model.js';
import { useOrderingStore } from './ordering.js';
import { useViewsStore } from './views.js';

export const ACTIVATION_BINS = 64;
/** Maps per page: every channel of LeNet, AlexNet or VGG up to 256; a 512-channel top takes two. */
export const MAPS_PER_PAGE = 256;
/** Predictions per class-score output, unless the Run view asks for another number (at most runModel's 1000). */
export const TOP_K = 5;
export const MAX_TOP = 1000;

export interface RunSetup {
  input: 'sample' | 'file';
  sample: string;
  path: string;
  preprocess: PreprocessForm;
  engine: EngineChoice;
  /** A labels file (synset_words.txt style); blank: the one next to the model, if any. */
  labels: string;
  /** Predictions shown per class-score output. */
  top: number;
}

interface ModelRun {
  setup: RunSetup;
  /** The demo's own settings were put in once; after that the fields are the user's. */
  demoApplied: boolean;
  // markRaw: a run is replaced whole and carries every output's values.
  info: RunInfo | null;
  running: boolean;
  problem: string | null;
  activations: Map<string, ActivationInfo>;
}

const newRun = (): ModelRun =>
  reactive({
    setup: { input: 'file', sample: '', path: '', preprocess: emptyPreprocess(), engine: 'auto', labels: '', top: TOP_K },
    demoApplied: false,
    info: null,
    running: false,
    problem: null,
    activations: markRaw(new Map()),
  }) as ModelRun;

export const useRunnerStore = defineStore('runner', () => {
  const model = useModelStore();
  const activity = useActivityStore();
  const ordering = useOrderingStore();
  const views = useViewsStore();

  const runs = new Map<string, ModelRun>();
  const current = shallowRef<ModelRun | null>(null);
  const demo = shallowRef<Responses['demoModel'] | null>(null);
  let demoAsked = false;

  const normalise = ref<Normalise>('channel');
  const colormap = ref<Colormap>('viridis');
  const mapOffset = ref(0);
  const topIndex = ref(0);
  const activation = shallowRef<ActivationInfo | null>(null);
  const activationLoading = ref(false);
  /** Sample 0's values of the activation shown, once asked for (a map enlarged, a vector drawn). */
  const raw = shallowRef<{ key: string; values: Float32Array } | null>(null);
  const rawLoading = ref(false);
  const activationCall = latest();
  const rawCall = latest();

  const shown = computed(() => views.view === 'run');
  const isDemo = computed(() => isDemoModel(model.summary?.prototxt, demo.value?.prototxt));
  /** The demo's digits for the demo; the bundled photos (the cat) for a net whose first input has three channels. */
  const samples = computed(() => {
    if (isDemo.value) return demo.value?.samples ?? [];
    return model.summary?.inputs[0]?.shape?.[1] === 3 ? (demo.value?.photos ?? []) : [];
  });
  const info = computed(() => current.value?.info ?? null);

  async function loadDemo(): Promise<void> {
    if (demoAsked) return;
    demoAsked = true;
    try {
      demo.value = await api().call('demoModel', {});
    } catch {
      // Without it the view offers no samples; a file still runs.
      demoAsked = false;
    }
  }

  // One entry per open model; the service closed the others' models, and their runs with them.
  watch(
    () => model.summary?.id,
    (id) => {
      for (const key of runs.keys()) if (key !== id) runs.delete(key);
      if (!id) {
        current.value = null;
        return;
      }
      let run = runs.get(id);
      if (!run) runs.set(id, (run = newRun()));
      current.value = run;
    },
    { immediate: true },
  );

  // The demo starts on its first sample with the preprocessing its samples need.
  watch(
    [current, isDemo],
    ([run, demoOpen]) => {
      if (!run || !demoOpen || run.demoApplied || !demo.value) return;
      run.demoApplied = true;
      run.setup.input = 'sample';
      run.setup.sample = demo.value.samples[0] ?? '';
      run.setup.preprocess = preprocessForm(demo.value.preprocess);
    },
    { immediate: true },
  );

  // The Compare view feeds the Run view's input too: it needs the demo's samples as much.
  watch(() => shown.value || views.view === 'compare', (needed) => needed && void loadDemo(), { immediate: true });

  function choice(setup: RunSetup): InputChoice {
    return setup.input === 'sample' ? { kind: 'sample', name: setup.sample } : { kind: 'file', path: setup.path };
  }

  /** The Run view's input and preprocessing as a request's fields (the Compare view and export verification feed it too), or what is wrong with them. */
  function chosenInput(): { input: RunInput; preprocess: Preprocess } | { problem: string } {
    const setup = current.value?.setup;
    if (!setup) return { problem: 'open a model first' };
    const input = toRunInput(choice(setup));
    if ('problem' in input) return input;
    const preprocess = toPreprocess(setup.preprocess);
    if ('problem' in preprocess) return preprocess;
    return { input: input.input, preprocess: preprocess.preprocess };
  }

  function chooseSample(name: string): void {
    const run = current.value;
    if (!run) return;
    run.setup.input = 'sample';
    run.setup.sample = name;
    run.problem = null;
  }

  function choosePath(path: string): void {
    const run = current.value;
    if (!run) return;
    run.setup.input = 'file';
    run.setup.path = path;
    run.problem = null;
  }

  async function run(): Promise<void> {
    const summary = model.summary;
    const state = current.value;
    if (!summary || !state || state.running) return;
    const input = toRunInput(choice(state.setup));
    if ('problem' in input) {
      state.problem = input.problem;
      return;
    }
    const preprocess = toPreprocess(state.setup.preprocess);
    if ('problem' in preprocess) {
      state.problem = preprocess.problem;
      return;
    }
    const top = Number(state.setup.top);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
      state.problem = `top-k is a whole number from 1 to ${MAX_TOP}`;
      return;
    }
    state.problem = null;
    model.dismissError();
    const labels = state.setup.labels.trim();
    const request: Request<'runModel'> = {
      id: summary.id,
      input: input.input,
      preprocess: preprocess.preprocess,
      engine: state.setup.engine,
      ordering: ordering.layout.ordering,
      flipKernels: ordering.layout.flipKernels,
      top,
      ...(labels ? { labels } : {}),
    };
    const what = `Running ${summary.name || baseName(summary.prototxt)} on ${input.input.sample ?? baseName(input.input.file ?? '')}`;
    state.running = true;
    try {
      const done = await activity.run(what, (signal, onProgress) => api().call('runModel', request, { signal, onProgress }));
      state.info = markRaw(done);
    } catch (e) {
      if (!isAbortError(e)) model.showError(toSerializedError(e));
    } finally {
      state.running = false;
    }
  }

  function cancel(): void {
    if (current.value?.running) activity.cancel();
  }

  /** The selected layer as the run knows it (a layer the run did not compute, a loss say, has none). */
  const runLayer = computed(() => info.value?.layers.find((l) => l.layer === model.selectedName) ?? null);
  const runTop = computed(() => runLayer.value?.tops[topIndex.value] ?? runLayer.value?.tops[0] ?? null);
  const kind = computed(() => (runTop.value ? activationKind(runTop.value.shape) : null));

  watch(
    () => model.selectedName,
    () => {
      mapOffset.value = 0;
      topIndex.value = 0;
    },
  );

  function fail(e: unknown): void {
    if (!isAbortError(e)) model.showError(toSerializedError(e));
  }

  async function fetchActivation(state: ModelRun, id: string, ask: ActivationAsk, call: ReturnType<typeof latest>): Promise<ActivationInfo | null> {
    const key = activationKey(ask);
    const cached = state.activations.get(key);
    if (cached) {
      call.cancel();
      return cached;
    }
    const own = call.start();
    try {
      const got = await api().call('activation', { id, ...ask, bins: ACTIVATION_BINS }, { signal: own.signal });
      state.activations.set(key, markRaw(got));
      return call.current(own) ? got : null;
    } catch (e) {
      if (call.current(own)) fail(e);
      return null;
    } finally {
      call.done(own);
    }
  }

  /** What the view asks of the activation shown: maps for a 4-D top, the values themselves for a vector. */
  const ask = computed<ActivationAsk | null>(() => {
    const r = info.value;
    const l = runLayer.value;
    if (!r || !l || !runTop.value) return null;
    const top = l.tops.indexOf(runTop.value);
    if (kind.value === 'maps') return { runId: r.runId, layer: l.layer, top, tiles: { offset: mapOffset.value, limit: MAPS_PER_PAGE, normalise: normalise.value, colormap: colormap.value }, raw: false };
    return { runId: r.runId, layer: l.layer, top, raw: kind.value === 'vector' };
  });

  watch(
    [shown, ask],
    async ([isShown, wanted]) => {
      const state = current.value;
      const id = model.summary?.id;
      if (!isShown || !wanted || !state || !id) {
        activationCall.cancel();
        activationLoading.value = false;
        if (!wanted) activation.value = null;
        return;
      }
      activationLoading.value = true;
      const got = await fetchActivation(state, id, wanted, activationCall);
      if (ask.value !== wanted) return;
      activationLoading.value = false;
      if (got) activation.value = got;
      if (got?.raw) raw.value = { key: rawKeyOf(wanted), values: got.raw };
    },
    { immediate: true },
  );

  /** Raw values depend on the run, layer and top only, whatever the maps' options. */
  const rawKeyOf = (a: ActivationAsk): string => activationKey({ runId: a.runId, layer: a.layer, top: a.top, raw: true });

  /** The activation shown, once it is the one asked for (not the previous layer's while the next one comes). */
  const shownActivation = computed(() => {
    const a = activation.value;
    const wanted = ask.value;
    return a && wanted && a.layer === wanted.layer && a.top === wanted.top ? a : null;
  });
  const shownRaw = computed(() => (raw.value && ask.value && raw.value.key === rawKeyOf(ask.value) ? raw.value.values : null));

  /** Asks once for sample 0's values of the top shown, to read out the value under the pointer. */
  async function loadRaw(): Promise<void> {
    const state = current.value;
    const id = model.summary?.id;
    const wanted = ask.value;
    if (!state || !id || !wanted || shownRaw.value || rawLoading.value) return;
    rawLoading.value = true;
    const rawAsk: ActivationAsk = { runId: wanted.runId, layer: wanted.layer, top: wanted.top, raw: true };
    const got = await fetchActivation(state, id, rawAsk, rawCall);
    rawLoading.value = false;
    if (got?.raw) raw.value = { key: rawKeyOf(rawAsk), values: got.raw };
  }

  return {
    current,
    info,
    demo,
    isDemo,
    samples,
    normalise,
    colormap,
    mapOffset,
    topIndex,
    runLayer,
    runTop,
    kind,
    activation: shownActivation,
    activationLoading,
    raw: shownRaw,
    rawLoading,
    chosenInput,
    chooseSample,
    choosePath,
    run,
    cancel,
    loadRaw,
  };
});
