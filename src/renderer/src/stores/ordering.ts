/**
 * The ordering the workbench shows the converted model in: TensorFlow's channels_last or Theano's
 * channels_first, with the 180° kernel flip that only true-convolution backends (Theano) need. One
 * setting for every view (graph edge shapes, inspector, Shapes, Weights) and the export defaults,
 * remembered across sessions.
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { Ordering } from '../lib/export.js';

const STORAGE_KEY = 'portafilter.ordering';

function load(): { ordering: Ordering; flipKernels: boolean } {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const ordering: Ordering = r.ordering === 'channels_first' ? 'channels_first' : 'channels_last';
    return { ordering, flipKernels: ordering === 'channels_first' && r.flipKernels === true };
  } catch {
    return { ordering: 'channels_last', flipKernels: false };
  }
}

export const useOrderingStore = defineStore('ordering', () => {
  const saved = load();
  const ordering = ref<Ordering>(saved.ordering);
  const flip = ref(saved.flipKernels);
  /** The flip exists for channels_first only: switching to channels_last turns it off (and says so in the switch). */
  const flipKernels = computed({
    get: () => ordering.value === 'channels_first' && flip.value,
    set: (on: boolean) => {
      flip.value = on && ordering.value === 'channels_first';
    },
  });
  /** What the API's LayoutRequest takes. */
  const layout = computed(() => ({ ordering: ordering.value, flipKernels: flipKernels.value }));

  function set(next: Ordering, flipNext = false): void {
    ordering.value = next;
    flip.value = next === 'channels_first' && flipNext;
  }

  watch(layout, (l) => {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(l));
    } catch {
      // Storage refused (private mode, quota): the setting lasts for this session only.
    }
  });

  return { ordering, flipKernels, layout, set };
});
