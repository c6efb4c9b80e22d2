/**
 * reportModel: the equivalence report of an open model over a folder of inputs (src/main/report/),
 * with the job's progress (one step per input) and its cancel, as runModel and diffModel report theirs.
 * Nothing is kept with the session: the report is the file written.
 */
import type { CallOptions, ReportInfo, Request } from '../../shared/api.js';
import type { CaffeNet } from '../net/model.js';
import { writeEquivalenceReport } from '../report/index.js';

export async function reportModel(model: CaffeNet, req: Request<'reportModel'>, options: CallOptions): Promise<ReportInfo> {
  const reference = req.engine === 'reference';
  const { summary } = await writeEquivalenceReport(model, {
    images: req.images,
    out: req.out,
    force: req.force === true,
    against: req.against ?? 'reference',
    naming: req.naming,
    ...(req.labels !== undefined ? { labels: req.labels } : {}),
    preprocess: req.preprocess,
    engine: req.engine,
    // The reference computes Caffe's layout: the ordering and the flip belong to the converted model.
    ordering: reference ? undefined : req.ordering,
    flipKernels: reference ? undefined : req.flipKernels,
    onProgress: (stage, fraction) => options.onProgress?.({ stage, ...(fraction !== undefined ? { fraction } : {}) }),
    signal: options.signal,
  });
  return summary;
}
