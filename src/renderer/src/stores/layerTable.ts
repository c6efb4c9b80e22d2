/** The layer table's view state: filter and sort, and the rows they leave. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { viewLayers, type SortDir, type SortKey } from '../lib/layers.js';
import { useModelStore } from './model.js';

export const useLayerTableStore = defineStore('layerTable', () => {
  const model = useModelStore();
  const filter = ref('');
  const sortKey = ref<SortKey>('index');
  const sortDir = ref<SortDir>('asc');

  const rows = computed(() => viewLayers(model.summary?.layers ?? [], filter.value, sortKey.value, sortDir.value));

  /** A second click on the same column reverses it; a new column starts ascending (params: largest first). */
  function sortBy(key: SortKey): void {
    if (sortKey.value === key) sortDir.value = sortDir.value === 'asc' ? 'desc' : 'asc';
    else {
      sortKey.value = key;
      sortDir.value = key === 'params' || key === 'output' ? 'desc' : 'asc';
    }
  }

  /** Moves the selection through the visible rows (arrow keys). */
  function step(delta: number): void {
    const list = rows.value;
    if (list.length === 0) return;
    const at = list.findIndex((r) => r.layer.name === model.selectedName);
    const next = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + delta));
    model.select(list[next].layer.name);
  }

  return { filter, sortKey, sortDir, rows, sortBy, step };
});
