/** An equivalence report from start to end, as the CLI's `report` and the service's reportModel make it: the target checked, the numbers gathered, the HTML written. */
import type { CaffeNet } from '../net/model.js';
import { gatherEquivalence, overallAgreement, type Equivalence, type EquivalenceOptions } from './equivalence.js';
import { checkReportTarget, writeReportFile } from './report-file.js';
import { renderReport } from './report-html.js';
import type { ReportInfo } from '../../shared/api.js';

export { overallAgreement, type Equivalence } from './equivalence.js';

export interface ReportOptions extends EquivalenceOptions {
  /** The .html file to write. */
  out: string;
  /** Replace an earlier report there (never another file). */
  force?: boolean;
}

/** What the callers say about a written report: the API's ReportInfo, which the CLI prints too. */
export type ReportSummary = ReportInfo;

export function summarizeReport(eq: Equivalence, out: string): ReportSummary {
  const agreement = overallAgreement(eq);
  const first = eq.first !== undefined ? eq.layers[eq.first] : undefined;
  return {
    out,
    images: eq.images.length,
    seconds: eq.seconds,
    imagesPerSecond: eq.imagesPerSecond,
    setupSeconds: eq.setupSeconds,
    ...(agreement ? { top1: agreement.top1, top5: agreement.top5 } : {}),
    ...(first ? { first: { layer: first.layer, type: first.type, top: first.top, images: first.diverged, ...(first.cause !== undefined ? { cause: first.cause } : {}) } } : {}),
    ok: eq.ok,
    engine: eq.engine.name,
    engineDetail: eq.engine.detail,
    against: eq.against,
    warnings: eq.warnings,
  };
}

/** Checks `out` first (a bad target fails in a moment, not after every image), then gathers and writes. */
export async function writeEquivalenceReport(model: CaffeNet, options: ReportOptions): Promise<{ equivalence: Equivalence; summary: ReportSummary }> {
  checkReportTarget(options.out, options.force === true);
  const equivalence = await gatherEquivalence(model, options);
  options.signal?.throwIfAborted();
  options.onProgress?.('writing the report', 1);
  const out = writeReportFile(options.out, renderReport(equivalence), options.force === true);
  return { equivalence, summary: summarizeReport(equivalence, out) };
}
