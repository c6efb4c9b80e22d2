/** The open model, the selected layer, and the last error. */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { LayerInfo, ModelSummary, OpenModelRequest } from '../../../shared/api.js';
import type { SerializedError } from '../../../shared/errors.js';
import type { LaunchTarget } from '../../../shared/launch.js';
import { api } from '../api/instance.js';
import { isAbortError, toSerializedError } from '../api/types.js';
import { baseName } from '../lib/format.js';
import { bottomShapes } from '../lib/layers.js';
import { useActivityStore } from './activity.js';
import { useOpenFormStore } from './openForm.js';

export const useModelStore = defineStore('model', () => {
  const activity = useActivityStore();
  const form = useOpenFormStore();

  // shallowRef: a summary is replaced whole, never edited, and can hold thousands of layers.
  const summary = shallowRef<ModelSummary | null>(null);
  /** The open model's folder, where the host browser starts for its inputs, mean files and dumps. */
  const folder = computed(() => {
    const p = summary.value?.prototxt ?? '';
    const cut = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
    return cut > 0 ? p.slice(0, cut) : undefined;
  });
  const title = ref<string | null>(null);
  const selectedName = ref<string | null>(null);
  const error = ref<SerializedError | null>(null);

  const selectedIndex = computed(() => summary.value?.layers.findIndex((l) => l.name === selectedName.value) ?? -1);
  const selectedLayer = computed<LayerInfo | null>(() => summary.value?.layers[selectedIndex.value] ?? null);
  const bottoms = computed(() => (summary.value ? bottomShapes(summary.value) : []));
  const selectedBottomShapes = computed(() => (selectedIndex.value >= 0 ? bottoms.value[selectedIndex.value] : []));

  /** Opens a model; on failure the previous model stays and the error is shown above it. */
  async function open(request: OpenModelRequest, label?: string): Promise<void> {
    error.value = null;
    // The form shows what is being opened (also when it came from the URL), so a failed path can be fixed in place.
    form.fill(request);
    try {
      const opened = await activity.run(`Opening ${baseName(request.prototxt)}`, (signal, onProgress) =>
        api().call('openModel', request, { signal, onProgress }),
      );
      const previous = summary.value;
      summary.value = opened;
      title.value = label ?? null;
      selectedName.value = opened.layers[0]?.name ?? null;
      // The service keeps every opened model in memory until told otherwise.
      if (previous) void api().call('closeModel', { id: previous.id }).catch(() => undefined);
    } catch (e) {
      if (!isAbortError(e)) error.value = toSerializedError(e);
    }
  }

  async function openDemo(): Promise<void> {
    error.value = null;
    try {
      const demo = await api().call('demoModel', {});
      const { title: demoTitle, ...request } = demo;
      await open(request, demoTitle);
    } catch (e) {
      if (!isAbortError(e)) error.value = toSerializedError(e);
    }
  }

  async function openTarget(target: LaunchTarget): Promise<void> {
    if (target.kind === 'demo') await openDemo();
    if (target.kind === 'model') {
      await open(target.caffemodel !== undefined ? { prototxt: target.prototxt, caffemodel: target.caffemodel } : { prototxt: target.prototxt });
    }
  }

  function select(name: string | null): void {
    selectedName.value = name;
  }

  function showError(e: SerializedError): void {
    error.value = e;
  }

  function dismissError(): void {
    error.value = null;
  }

  return {
    folder,
    summary,
    title,
    selectedName,
    selectedIndex,
    selectedLayer,
    selectedBottomShapes,
    error,
    open,
    openDemo,
    openTarget,
    select,
    showError,
    dismissError,
  };
});
