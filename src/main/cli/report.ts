/** `portafilter report`: the equivalence report over a folder of inputs, written as one self-contained HTML file. */
import { PortafilterError } from '../../shared/errors.js';
import { checkFlipOrdering, parseEngineChoice, parseOrdering } from '../engine/index.js';
import { loadCaffeNet } from '../net/model.js';
import { writeEquivalenceReport, type ReportSummary } from '../report/index.js';
import { netOptions, type NetFlags } from './inspect.js';

export interface ReportFlags extends NetFlags {
  images: string;
  out: string;
  force?: boolean;
  against?: string;
  naming?: string;
  labels?: string;
  mean?: string;
  meanValues?: number[];
  scale?: number;
  rawScale?: number;
  rgb?: boolean;
  engine?: string;
  ordering?: string;
  flipKernels?: boolean;
  json?: boolean;
}

export async function report(prototxt: string, caffemodel: string, flags: ReportFlags, log: (line: string) => void, signal?: AbortSignal): Promise<ReportSummary> {
  const naming = flags.naming ?? 'auto';
  if (naming !== 'auto' && naming !== 'layers' && naming !== 'blobs') throw new PortafilterError(`--naming expects auto, layers or blobs, got '${naming}'`);
  if (flags.mean !== undefined && flags.meanValues !== undefined) throw new PortafilterError('give either --mean FILE or --mean-values, not both');
  const engine = parseEngineChoice(flags.engine ?? 'tfjs');
  const ordering = parseOrdering(flags.ordering);
  checkFlipOrdering(ordering, flags.flipKernels);
  const model = await loadCaffeNet({ prototxt, caffemodel, ...netOptions(flags) });
  let last = '';
  const { summary } = await writeEquivalenceReport(model, {
    images: flags.images,
    out: flags.out,
    force: flags.force === true,
    against: flags.against ?? 'reference',
    naming,
    labels: flags.labels,
    preprocess: {
      ...(flags.mean !== undefined ? { mean: flags.mean } : {}),
      ...(flags.meanValues !== undefined ? { meanValues: flags.meanValues } : {}),
      ...(flags.scale !== undefined ? { scale: flags.scale } : {}),
      ...(flags.rawScale !== undefined ? { rawScale: flags.rawScale } : {}),
      ...(flags.rgb ? { rgb: true } : {}),
      names: { scale: '--scale', rawScale: '--raw-scale', mean: '--mean', meanValues: '--mean-values', inputShape: '--input-shape' },
    },
    engine,
    ordering,
    flipKernels: flags.flipKernels,
    signal,
    onProgress: (stage) => {
      if (stage !== last) log(`${stage}…`);
      last = stage;
    },
  });
  return summary;
}

const share = (a: { agreed: number; compared: number }): string => `${((100 * a.agreed) / a.compared).toFixed(a.agreed === a.compared ? 0 : 1)} % (${a.agreed} of ${a.compared})`;

export function reportText(s: ReportSummary): string {
  const lines = [
    `engine: ${s.engine} — ${s.engineDetail}`,
    `against: ${s.against === 'reference' ? 'the Caffe-semantics reference' : s.against}`,
    s.top1 && s.top5 ? `top-1 agreement ${share(s.top1)}, top-5 agreement ${share(s.top5)}` : 'no class-score output: no top-k agreement',
    s.first
      ? `first divergence: layer '${s.first.layer}' (${s.first.type}) on ${s.first.images} of ${s.images} input${s.images === 1 ? '' : 's'}${s.first.cause ? ` — ${s.first.cause}` : ''}`
      : s.ok
        ? `every compared layer within tolerance on all ${s.images} input${s.images === 1 ? '' : 's'}`
        : 'nothing was compared',
    `throughput: ${s.imagesPerSecond.toPrecision(3)} inputs/s (${s.images} in ${s.seconds.toFixed(2)} s, after ${s.setupSeconds.toFixed(2)} s building the engines)`,
    ...s.warnings.map((w) => `warning: ${w}`),
    `wrote ${s.out}`,
  ];
  return lines.join('\n');
}
