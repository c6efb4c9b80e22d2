/**
 * The long call in progress (opening a model, later converting or running one): what it is doing,
 * how far it is, and its cancel. One at a time, because each replaces what the workbench shows.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { Progress } from '../../../shared/api.js';

export type Work<T> = (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<T>;

export const useActivityStore = defineStore('activity', () => {
  const label = ref<string | null>(null);
  const progress = ref<Progress | null>(null);
  const controller = shallowRef<AbortController | null>(null);
  const busy = computed(() => controller.value !== null);

  /** Runs `work`, cancelling whatever ran before it (the newer request wins). */
  async function run<T>(what: string, work: Work<T>): Promise<T> {
    controller.value?.abort();
    const own = new AbortController();
    controller.value = own;
    label.value = what;
    progress.value = null;
    try {
      return await work(own.signal, (p) => {
        if (controller.value === own) progress.value = p;
      });
    } finally {
      if (controller.value === own) {
        controller.value = null;
        label.value = null;
        progress.value = null;
      }
    }
  }

  function cancel(): void {
    controller.value?.abort();
  }

  return { label, progress, busy, run, cancel };
});
