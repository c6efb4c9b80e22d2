/**
 * The selected layer's parameters with Caffe's defaults filled in (layerParams), for the inspector:
 * fetched when the selection changes, kept per model so walking back through layers is instant.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { LayerParamsInfo } from '../../../shared/api.js';
import { api } from '../api/instance.js';
import { isAbortError, toSerializedError } from '../api/types.js';
import { useModelStore } from './model.js';

export const useLayerParamsStore = defineStore('layerParams', () => {
  const model = useModelStore();
  const info = shallowRef<LayerParamsInfo | null>(null);
  const loading = ref(false);
  let cache = new Map<string, LayerParamsInfo>();
  let controller: AbortController | null = null;

  watch(
    () => model.summary?.id,
    () => (cache = new Map()),
  );

  watch(
    [() => model.summary?.id, () => model.selectedName],
    async ([id, layer]) => {
      controller?.abort();
      controller = null;
      if (!id || !layer) {
        info.value = null;
        loading.value = false;
        return;
      }
      const cached = cache.get(`${id}\u0000${layer}`);
      if (cached) {
        info.value = cached;
        loading.value = false;
        return;
      }
      const own = new AbortController();
      controller = own;
      loading.value = true;
      try {
        const got = await api().call('layerParams', { id, layer }, { signal: own.signal });
        cache.set(`${id}\u0000${layer}`, got);
        if (controller === own) info.value = got;
      } catch (e) {
        if (controller === own && !isAbortError(e)) model.showError(toSerializedError(e));
      } finally {
        if (controller === own) {
          loading.value = false;
          controller = null;
        }
      }
    },
    { immediate: true },
  );

  /** The fields of the selected layer, not of the one before it while the new ones come. */
  const fields = computed(() => (info.value && info.value.layer === model.selectedName ? info.value.fields : null));

  return { fields, loading };
});
