/**
 * The Keras side of the open model (kerasLayers) in the workbench's ordering (stores/ordering.ts):
 * fetched once per model and layout whenever a model is open, because the graph's edge shapes, the
 * inspector and the Shapes view all read it. Switching back to a layout seen before is instant.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { KerasLayersView, KerasSideInfo } from '../../../shared/api.js';
import { api } from '../api/instance.js';
import { isAbortError, toSerializedError } from '../api/types.js';
import { useModelStore } from './model.js';
import { useOrderingStore } from './ordering.js';

export const useKerasViewStore = defineStore('kerasView', () => {
  const model = useModelStore();
  const ordering = useOrderingStore();

  const view = shallowRef<KerasLayersView | null>(null);
  const loading = ref(false);
  /** Views fetched for the open model, by layout (a failure is shown once, not on every switch). */
  let cache = new Map<string, KerasLayersView | null>();
  let cachedFor: string | undefined;
  let controller: AbortController | null = null;

  /** The Keras side of the selected Caffe layer. */
  const selected = computed<KerasSideInfo | null>(() => (model.selectedName && view.value ? (view.value.byCaffeLayer[model.selectedName] ?? null) : null));
  const sideOf = (layer: string): KerasSideInfo | null => view.value?.byCaffeLayer[layer] ?? null;

  async function load(id: string, layout: { ordering: KerasLayersView['ordering']; flipKernels: boolean }): Promise<void> {
    const key = `${layout.ordering}/${layout.flipKernels}`;
    controller?.abort();
    controller = null;
    if (cache.has(key)) {
      view.value = cache.get(key) ?? null;
      loading.value = false;
      return;
    }
    const own = new AbortController();
    controller = own;
    loading.value = true;
    try {
      const got = await api().call('kerasLayers', { id, ...layout }, { signal: own.signal });
      cache.set(key, got);
      if (controller === own) view.value = got;
    } catch (e) {
      if (controller === own && !isAbortError(e)) {
        cache.set(key, null);
        view.value = null;
        model.showError(toSerializedError(e));
      }
    } finally {
      if (controller === own) {
        loading.value = false;
        controller = null;
      }
    }
  }

  watch(
    [() => model.summary?.id, () => ordering.layout],
    ([id, layout]) => {
      if (id !== cachedFor) {
        cache = new Map();
        cachedFor = id;
        view.value = null;
      }
      if (!id) return;
      void load(id, layout);
    },
    { immediate: true },
  );

  return { view, loading, selected, sideOf };
});
