/**
 * The Weights view's data: the selected layer's blob statistics and histograms (weightStats), its
 * filters as tiles (filterTiles) when it is a convolution, and the whole model's weight
 * distribution (weightOverview). Fetched only while the Weights view shows them, kept per model so
 * moving back to a layer (or to the whole-model view) shows them at once.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { FilterTiles, WeightOverview, WeightStats } from '../../../shared/api.js';
import { api } from '../api/instance.js';
import { isAbortError, toSerializedError } from '../api/types.js';
import { latest } from '../lib/latest.js';
import { useModelStore } from './model.js';
import { useViewsStore } from './views.js';

export const HISTOGRAM_BINS = 64;
/** Tiles per page: conv1 of AlexNet (96) or VGG (64) fits on one, a 512-filter layer takes two. */
export const TILES_PER_PAGE = 256;

export type WeightsScope = 'layer' | 'model';
export type TileMode = 'auto' | 'rgb' | 'channel' | 'mean';

export const useWeightsStore = defineStore('weights', () => {
  const model = useModelStore();
  const views = useViewsStore();

  const scope = ref<WeightsScope>('layer');
  const tileMode = ref<TileMode>('auto');
  const tileChannel = ref(0);
  const tileOffset = ref(0);

  const stats = shallowRef<WeightStats[]>([]);
  const statsLoading = ref(false);
  const tiles = shallowRef<FilterTiles | null>(null);
  const tilesLoading = ref(false);
  const overview = shallowRef<WeightOverview | null>(null);
  const overviewLoading = ref(false);

  let statsCache = new Map<string, WeightStats[]>();
  let tilesCache = new Map<string, FilterTiles>();
  let overviewFor: string | null = null;
  const statsCall = latest();
  const tilesCall = latest();
  const overviewCall = latest();

  const shown = computed(() => views.view === 'weights');
  /** Statistics need the weights themselves, not only the shapes the prototxt implies. */
  const hasWeights = computed(() => model.summary?.caffemodel !== undefined);
  const layer = computed(() => model.selectedLayer);
  /** A 4-D first blob (out, in, kh, kw): a convolution's filters, drawable as tiles. */
  const hasFilters = computed(() => layer.value?.blob_shapes[0]?.length === 4);
  const inputChannels = computed(() => (hasFilters.value ? (layer.value?.blob_shapes[0][1] ?? 0) : 0));

  function fail(e: unknown): void {
    if (!isAbortError(e)) model.showError(toSerializedError(e));
  }

  async function loadStats(id: string, name: string, blobs: number): Promise<void> {
    const key = `${id}\u0000${name}`;
    const cached = statsCache.get(key);
    if (cached) {
      statsCall.cancel();
      stats.value = cached;
      statsLoading.value = false;
      return;
    }
    const own = statsCall.start();
    stats.value = [];
    statsLoading.value = true;
    try {
      const got = await Promise.all(
        Array.from({ length: blobs }, (_, blob) => api().call('weightStats', { id, layer: name, blob, bins: HISTOGRAM_BINS }, { signal: own.signal })),
      );
      statsCache.set(key, got);
      if (statsCall.current(own)) stats.value = got;
    } catch (e) {
      if (statsCall.current(own)) fail(e);
    } finally {
      if (statsCall.current(own)) statsLoading.value = false;
      statsCall.done(own);
    }
  }

  async function loadTiles(id: string, name: string, mode: TileMode, channel: number, offset: number): Promise<void> {
    const key = `${id}\u0000${name}\u0000${mode}\u0000${mode === 'channel' ? channel : 0}\u0000${offset}`;
    const cached = tilesCache.get(key);
    if (cached) {
      tilesCall.cancel();
      tiles.value = cached;
      tilesLoading.value = false;
      return;
    }
    const own = tilesCall.start();
    tilesLoading.value = true;
    try {
      const got = await api().call('filterTiles', { id, layer: name, blob: 0, mode, channel, offset, limit: TILES_PER_PAGE }, { signal: own.signal });
      tilesCache.set(key, got);
      if (tilesCall.current(own)) tiles.value = got;
    } catch (e) {
      if (tilesCall.current(own)) {
        tiles.value = null;
        fail(e);
      }
    } finally {
      if (tilesCall.current(own)) tilesLoading.value = false;
      tilesCall.done(own);
    }
  }

  async function loadOverview(id: string): Promise<void> {
    if (overviewFor === id && overview.value) return;
    const own = overviewCall.start();
    overview.value = null;
    overviewLoading.value = true;
    try {
      const got = await api().call('weightOverview', { id }, { signal: own.signal });
      if (overviewCall.current(own)) {
        overview.value = got;
        overviewFor = id;
      }
    } catch (e) {
      if (overviewCall.current(own)) fail(e);
    } finally {
      if (overviewCall.current(own)) overviewLoading.value = false;
      overviewCall.done(own);
    }
  }

  // Another model: nothing fetched for the last one applies.
  watch(
    () => model.summary?.id,
    () => {
      statsCache = new Map();
      tilesCache = new Map();
      overviewFor = null;
      overview.value = null;
      stats.value = [];
      tiles.value = null;
    },
  );

  // Another layer starts at its first filters, in the mode that suits it.
  watch(
    () => layer.value?.name,
    () => {
      tileOffset.value = 0;
      if (tileChannel.value >= inputChannels.value) tileChannel.value = 0;
      if (tileMode.value === 'rgb' && inputChannels.value !== 3) tileMode.value = 'auto';
    },
  );

  // Tiles first: they are small and drawn at once, the histograms wait for their statistics and ECharts.
  watch(
    [shown, scope, () => model.summary?.id, layer, hasWeights, hasFilters, tileMode, tileChannel, tileOffset],
    ([isShown, which, id, l, weights, filters, mode, channel, offset]) => {
      if (!isShown || which !== 'layer' || !id || !l || !weights || !filters) {
        tilesCall.cancel();
        tilesLoading.value = false;
        if (!filters || !weights) tiles.value = null;
        return;
      }
      void loadTiles(id, l.name, mode, channel, offset);
    },
    { immediate: true },
  );

  watch(
    [shown, scope, () => model.summary?.id, layer, hasWeights],
    ([isShown, which, id, l, weights]) => {
      if (!isShown || which !== 'layer' || !id || !l || !weights || l.blob_shapes.length === 0) {
        statsCall.cancel();
        statsLoading.value = false;
        if (!l || l.blob_shapes.length === 0 || !weights) stats.value = [];
        return;
      }
      void loadStats(id, l.name, l.blob_shapes.length);
    },
    { immediate: true },
  );

  watch(
    [shown, scope, () => model.summary?.id, hasWeights],
    ([isShown, which, id, weights]) => {
      if (isShown && which === 'model' && id && weights) void loadOverview(id);
    },
    { immediate: true },
  );

  /** Tiles of the layer shown, not of the one before it while the new ones come. */
  const layerTiles = computed(() => (tiles.value && tiles.value.layer === layer.value?.name ? tiles.value : null));
  const layerStats = computed(() => stats.value.filter((s) => s.layer === layer.value?.name));

  return {
    scope,
    tileMode,
    tileChannel,
    tileOffset,
    stats: layerStats,
    statsLoading,
    tiles: layerTiles,
    tilesLoading,
    overview,
    overviewLoading,
    hasWeights,
    hasFilters,
    inputChannels,
  };
});
