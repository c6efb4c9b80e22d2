/**
 * The Compare view's equivalence report (reportModel): a folder of inputs run as Compare runs one, with
 * Compare's engine and dumps and the Run view's preprocessing and labels, written as one HTML file.
 * Replacing an earlier report is asked first, as the export panel asks.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { ReportInfo, Request } from '../../../shared/api.js';
import { api } from '../api/instance.js';
import { isAbortError, toSerializedError } from '../api/types.js';
import { baseName } from '../lib/format.js';
import { toPreprocess } from '../lib/run.js';
import { useActivityStore } from './activity.js';
import { useDifferStore } from './differ.js';
import { useModelStore } from './model.js';
import { useOrderingStore } from './ordering.js';
import { useRunnerStore } from './runner.js';

/** '100 % (3 of 3)'. */
export const agreementText = (a: { agreed: number; compared: number }): string =>
  `${a.compared === 0 ? '—' : `${((100 * a.agreed) / a.compared).toFixed(a.agreed === a.compared ? 0 : 1)} %`} (${a.agreed} of ${a.compared})`;

/** What a written report found, in one line. */
export function reportLine(r: ReportInfo): string {
  const agreement = r.top1 && r.top5 ? `top-1 agreement ${agreementText(r.top1)}, top-5 ${agreementText(r.top5)}` : 'no class-score output';
  const verdict = r.first ? `first divergence at ${r.first.layer} (${r.first.images} of ${r.images} inputs)` : r.ok ? 'every layer within tolerance' : 'nothing compared';
  return `${r.images} input${r.images === 1 ? '' : 's'}: ${verdict}; ${agreement}; ${r.imagesPerSecond.toPrecision(3)} inputs/s`;
}

export const useReporterStore = defineStore('reporter', () => {
  const model = useModelStore();
  const runner = useRunnerStore();
  const differ = useDifferStore();
  const ordering = useOrderingStore();
  const activity = useActivityStore();

  const visible = ref(false);
  /** The folder of inputs (images and .npy). */
  const images = ref('');
  /** The .html file to write. */
  const out = ref('');
  const running = ref(false);
  const problem = ref<string | null>(null);
  /** An earlier report is at the target: the user decides. */
  const confirmReplace = ref<string | null>(null);
  const result = shallowRef<ReportInfo | null>(null);
  /** The path last chosen in the native save dialog (Electron), which the main process lets the report write. */
  const chosenOut = ref<string | null>(null);

  /** The native save dialog (Electron only), starting at the current path. */
  async function browseOut(): Promise<void> {
    const pick = api().pickSavePath;
    if (!pick) return;
    try {
      const path = await pick('report', out.value.trim());
      if (path !== null) out.value = chosenOut.value = path;
    } catch (e) {
      model.showError(toSerializedError(e));
    }
  }

  watch(
    () => model.summary?.id,
    () => {
      result.value = null;
      problem.value = null;
      confirmReplace.value = null;
    },
  );
  watch(out, () => (confirmReplace.value = null));

  /** Writes the report; `replace` is the user's yes to replacing an earlier report there (never sent unasked). */
  async function write(replace = false): Promise<void> {
    const summary = model.summary;
    if (!summary || running.value) return;
    confirmReplace.value = null;
    if (!images.value.trim()) return void (problem.value = 'choose the folder of inputs (images or .npy) to report on');
    // In the app, the main process writes only where the user chose in its save dialog: ask there first.
    if (api().pickSavePath && out.value.trim() !== chosenOut.value) {
      await browseOut();
      if (out.value.trim() !== chosenOut.value) return;
    }
    if (!out.value.trim()) return void (problem.value = 'name the .html file to write the report to');
    const setup = runner.current?.setup;
    const preprocess = setup ? toPreprocess(setup.preprocess) : { preprocess: {} };
    if ('problem' in preprocess) return void (problem.value = `${preprocess.problem} (in the Run view)`);
    const labels = setup?.labels.trim() || runner.current?.info?.labels;
    problem.value = null;
    model.dismissError();
    const request: Request<'reportModel'> = {
      id: summary.id,
      images: images.value.trim(),
      preprocess: preprocess.preprocess,
      engine: differ.engine,
      ordering: ordering.layout.ordering,
      flipKernels: ordering.layout.flipKernels,
      naming: differ.naming,
      ...(differ.dumps.trim() ? { against: differ.dumps.trim() } : {}),
      ...(labels ? { labels } : {}),
      out: out.value.trim(),
      ...(replace ? { force: true } : {}),
    };
    running.value = true;
    result.value = null;
    try {
      const got = await activity.run(`Reporting on ${baseName(request.images)} with ${summary.name || baseName(summary.prototxt)}`, (signal, onProgress) =>
        api().call('reportModel', request, { signal, onProgress }),
      );
      if (model.summary?.id === summary.id) result.value = got;
    } catch (e) {
      if (isAbortError(e)) return;
      const error = toSerializedError(e);
      const kind = (error.details as { kind?: unknown } | undefined)?.kind;
      if (kind === 'exists' && !replace) confirmReplace.value = error.location?.file ?? request.out;
      else model.showError(error);
    } finally {
      running.value = false;
    }
  }

  return {
    visible,
    images,
    out,
    running,
    problem,
    confirmReplace,
    result,
    write,
    browseOut,
    keepExisting: () => void (confirmReplace.value = null),
    cancel: () => activity.cancel(),
    toggle: () => void (visible.value = !visible.value),
  };
});
