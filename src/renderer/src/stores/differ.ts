/**
 * The Compare view's data, per open model: the layer-by-layer diff (diffModel) of the Run view's input
 * and preprocessing, against the built-in reference or a folder of real Caffe's dumps, and what the
 * graph's error heat map reads from it. A newly opened model starts with no diff (its runs went with
 * the old model's session).
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import type { ActivationInfo, DiffInfo, Request } from '../../../shared/api.js';
import { api } from '../api/instance.js';
import { isAbortError, toSerializedError } from '../api/types.js';
import { heatByLayer, type LayerHeat } from '../lib/compare.js';
import { baseName } from '../lib/format.js';
import type { EngineChoice } from '../lib/run.js';
import { useActivityStore } from './activity.js';
import { useModelStore } from './model.js';
import { useOrderingStore } from './ordering.js';
import { useRunnerStore } from './runner.js';

export const COMPARE_BINS = 64;

/** One layer's three pictures: the converted model's output, the reference's, and their difference. */
export interface SideBySide {
  layer: string;
  converted: ActivationInfo;
  reference?: ActivationInfo;
  difference?: ActivationInfo;
}

export const useDifferStore = defineStore('differ', () => {
  const model = useModelStore();
  const runner = useRunnerStore();
  const ordering = useOrderingStore();
  const activity = useActivityStore();

  const diff = shallowRef<DiffInfo | null>(null);
  const forModel = ref<string | null>(null);
  const running = ref(false);
  const problem = ref<string | null>(null);
  /** A folder of .npy dumps; empty compares with the built-in reference. */
  const dumps = ref('');
  const naming = ref<'auto' | 'layers' | 'blobs'>('auto');
  const engine = ref<EngineChoice>('tfjs');
  /** The graph colours its boxes by error over tolerance. */
  const heatOn = ref(true);
  const sides = shallowRef<SideBySide | null>(null);
  const sidesLoading = ref(false);

  watch(
    () => model.summary?.id,
    (id) => {
      if (id !== forModel.value) {
        diff.value = null;
        sides.value = null;
        forModel.value = id ?? null;
      }
    },
  );

  const heat = computed<ReadonlyMap<string, LayerHeat> | null>(() => (diff.value && heatOn.value ? heatByLayer(diff.value) : null));
  const firstRow = computed(() => (diff.value && diff.value.first !== undefined ? diff.value.rows[diff.value.first] : null));

  async function compare(): Promise<void> {
    const summary = model.summary;
    if (!summary || !runner.current || running.value) return;
    const chosen = runner.chosenInput();
    if ('problem' in chosen) return void (problem.value = `${chosen.problem} (in the Run view)`);
    problem.value = null;
    model.dismissError();
    const request: Request<'diffModel'> = {
      id: summary.id,
      input: chosen.input,
      preprocess: chosen.preprocess,
      engine: engine.value,
      ordering: ordering.layout.ordering,
      flipKernels: ordering.layout.flipKernels,
      naming: naming.value,
      ...(dumps.value.trim() ? { dumps: dumps.value.trim() } : {}),
    };
    running.value = true;
    try {
      const against = request.dumps ? baseName(request.dumps) : 'the reference';
      const got = await activity.run(`Comparing ${summary.name || baseName(summary.prototxt)} with ${against}`, (signal, onProgress) => api().call('diffModel', request, { signal, onProgress }));
      if (model.summary?.id !== summary.id) return;
      diff.value = markRaw(got);
      sides.value = null;
      // The first divergence is what the user came for: select it, as a click on its row would.
      const first = got.first !== undefined ? got.rows[got.first] : undefined;
      if (first) model.select(first.layer);
    } catch (e) {
      if (!isAbortError(e)) model.showError(toSerializedError(e));
    } finally {
      running.value = false;
    }
  }

  /** The selected layer's output on both sides and their difference, as channel maps where it has them. */
  async function loadSides(layer: string, top = 0, shape?: number[]): Promise<void> {
    const d = diff.value;
    const id = model.summary?.id;
    if (!d || !id) return;
    const tiles = shape?.length === 4 ? { offset: 0, limit: 64, normalise: 'shared' as const, colormap: 'viridis' as const } : undefined;
    const ask = { id, layer, top, bins: COMPARE_BINS, ...(tiles ? { tiles } : {}), raw: !tiles };
    sidesLoading.value = true;
    try {
      const converted = await api().call('activation', { ...ask, runId: d.runId });
      const reference = d.referenceRunId ? await api().call('activation', { ...ask, runId: d.referenceRunId }) : undefined;
      const difference = d.referenceRunId
        ? await api().call('activation', { ...ask, runId: d.runId, minus: d.referenceRunId, ...(tiles ? { tiles: { ...tiles, colormap: 'magma' as const } } : {}) })
        : undefined;
      if (diff.value === d) sides.value = markRaw({ layer, converted, reference, difference });
    } catch (e) {
      if (!isAbortError(e)) model.showError(toSerializedError(e));
    } finally {
      sidesLoading.value = false;
    }
  }

  return { diff, running, problem, dumps, naming, engine, heatOn, heat, firstRow, sides, sidesLoading, compare, loadSides, cancel: () => activity.cancel() };
});
