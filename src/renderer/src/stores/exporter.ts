/**
 * The export panel: the choices for exporting the open model (format, ordering, kernel flip, output
 * path, mean file), the export itself through the activity store, and what it wrote. The rules
 * (default paths, which options apply) live in lib/export.ts.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { ConvertResult } from '../../../shared/api.js';
import { api } from '../api/instance.js';
import { isAbortError, toSerializedError } from '../api/types.js';
import { baseName } from '../lib/format.js';
import {
  customLayerModules,
  defaultOutputPath,
  exportBlocker,
  flipApplies,
  flipHint,
  formatInfo,
  formatName,
  groupWrittenFiles,
  meanApplies,
  orderingApplies,
  orderingHint,
  retargetOutputPath,
  toConvertRequest,
  type ExportFormat,
  type Ordering,
} from '../lib/export.js';
import { useActivityStore } from './activity.js';
import { useModelStore } from './model.js';
import { useOrderingStore } from './ordering.js';
import { useRunnerStore } from './runner.js';

export const useExporterStore = defineStore('exporter', () => {
  const model = useModelStore();
  const activity = useActivityStore();
  const workbench = useOrderingStore();
  const runner = useRunnerStore();

  const visible = ref(false);
  const format = ref<ExportFormat>('keras');
  /** Starts as the workbench's ordering (the toolbar switch) and follows it; the panel can still choose another for one export. */
  const ordering = ref<Ordering>(workbench.ordering);
  /** The user's wish; it only reaches the request where the flip applies (see `flipKernels`). */
  const flipWanted = ref(workbench.flipKernels);
  const out = ref('');
  const mean = ref('');
  /** Load the written files back and compare them with the reference (export/verify.ts), on the Run view's input. */
  const verify = ref(true);
  const problem = ref<string | null>(null);
  /** The path last chosen in the native save dialog (Electron), which the main process lets the export write. */
  const chosenOut = ref<string | null>(null);
  /** The export found something at its target that only a replace would overwrite: the user decides. */
  const confirmReplace = ref<{ target: string; reason: string } | null>(null);
  // shallowRef: a result is replaced whole and can list thousands of files.
  const result = shallowRef<ConvertResult | null>(null);

  const info = computed(() => formatInfo(format.value));
  const orderingEnabled = computed(() => orderingApplies(format.value));
  const flipEnabled = computed(() => flipApplies(format.value, ordering.value));
  const meanEnabled = computed(() => meanApplies(format.value));
  const orderingTitle = computed(() => orderingHint(format.value));
  const flipTitle = computed(() => flipHint(format.value, ordering.value));
  const blocker = computed(() => exportBlocker(model.summary));
  /** Shown checked only where it applies, so a disabled box never claims a flip that will not happen. */
  const flipKernels = computed({
    get: () => flipEnabled.value && flipWanted.value,
    set: (on: boolean) => (flipWanted.value = on),
  });

  const written = computed(() => (result.value ? groupWrittenFiles(result.value.files) : null));
  const modules = computed(() => (result.value ? customLayerModules(result.value) : []));
  const resultFormat = computed(() => (result.value ? formatName(result.value.format) : ''));
  /** What the verification will run on: the Run view's input when it has a usable one, else a seeded random input. */
  const verifyInput = computed(() => {
    const chosen = runner.chosenInput();
    if ('problem' in chosen) return { label: 'a seeded random input (the Run view has no input chosen)', request: {} };
    const name = chosen.input.sample ?? baseName(chosen.input.file ?? '');
    return { label: `${name}, the Run view's input`, request: { input: chosen.input, preprocess: chosen.preprocess } };
  });

  // A newly opened model starts from its own default path and no result.
  watch(
    () => model.summary,
    (summary, previous) => {
      if (summary?.id === previous?.id) return;
      out.value = summary ? defaultOutputPath(summary, format.value) : '';
      result.value = null;
      problem.value = null;
    },
    { immediate: true },
  );

  // Another format: the default ending follows it (`LeNet.onnx` -> `LeNet_npy`); a path of the user's own stays.
  watch(format, (to) => {
    if (out.value.trim()) out.value = retargetOutputPath(out.value, to);
    else if (model.summary) out.value = defaultOutputPath(model.summary, to);
    problem.value = null;
  });
  // The model the workbench shows is the one exported unless the panel says otherwise.
  watch(
    () => workbench.layout,
    (layout) => {
      ordering.value = layout.ordering;
      flipWanted.value = layout.flipKernels;
    },
  );
  // A question about one target does not carry over to another.
  watch([out, format], () => (confirmReplace.value = null));

  function show(): void {
    visible.value = true;
  }

  function hide(): void {
    visible.value = false;
  }

  function toggle(): void {
    visible.value = !visible.value;
  }

  /** Exports; `replace` is the user's yes to replacing what is at the target (never sent unasked). */
  async function run(replace = false): Promise<void> {
    const summary = model.summary;
    if (!summary) return;
    confirmReplace.value = null;
    // In the app, the main process writes only where the user chose in its save dialog: ask there first.
    if (api().pickSavePath && out.value.trim() !== chosenOut.value) {
      await browseOut();
      if (out.value.trim() !== chosenOut.value) return;
    }
    const checked = toConvertRequest(summary, {
      format: format.value,
      ordering: ordering.value,
      flipKernels: flipKernels.value,
      out: out.value,
      mean: mean.value,
    });
    if ('problem' in checked) {
      problem.value = checked.problem;
      return;
    }
    problem.value = null;
    result.value = null;
    model.dismissError();
    const request = { ...checked.request, ...(replace ? { force: true } : {}), ...(verify.value ? { verify: { preprocess: {}, ...verifyInput.value.request } } : {}) };
    const what = `Exporting ${summary.name || baseName(summary.prototxt)} to ${info.value.short}`;
    try {
      const done = await activity.run(what, (signal, onProgress) => api().call('convertModel', request, { signal, onProgress }));
      // Opening another model meanwhile cancels the export; this guards the answer of one already sent.
      if (model.summary?.id === summary.id) result.value = done;
    } catch (e) {
      if (isAbortError(e)) return;
      const error = toSerializedError(e);
      const kind = (error.details as { kind?: unknown } | undefined)?.kind;
      if (kind === 'exists' && !replace) confirmReplace.value = { target: error.location?.file ?? request.out, reason: error.message };
      else model.showError(error);
    }
  }

  function keepExisting(): void {
    confirmReplace.value = null;
  }

  /** The native save dialog (Electron only), starting at the current path. */
  async function browseOut(): Promise<void> {
    const pick = api().pickSavePath;
    if (!pick) return;
    try {
      const path = await pick(format.value, out.value.trim());
      if (path !== null) {
        out.value = path;
        chosenOut.value = path;
      }
    } catch (e) {
      model.showError(toSerializedError(e));
    }
  }

  /** The native open dialog for the mean image (Electron only). */
  async function browseMean(): Promise<void> {
    const pick = api().pickFile;
    if (!pick) return;
    try {
      const path = await pick('binaryproto');
      if (path !== null) mean.value = path;
    } catch (e) {
      model.showError(toSerializedError(e));
    }
  }

  return {
    visible,
    format,
    ordering,
    flipKernels,
    out,
    mean,
    verify,
    verifyInput,
    problem,
    confirmReplace,
    keepExisting,
    result,
    info,
    orderingEnabled,
    flipEnabled,
    meanEnabled,
    orderingTitle,
    flipTitle,
    blocker,
    written,
    modules,
    resultFormat,
    show,
    hide,
    toggle,
    run,
    browseOut,
    browseMean,
  };
});
