/**
 * The equivalence report as ONE self-contained HTML file, for a reviewer to read offline: styles
 * inline, plots as inline SVG, no script, and a Content-Security-Policy that forbids loading
 * anything at all. The generator mark (REPORT_GENERATOR) is how a later `--force` knows the file is a
 * report Portafilter wrote and may be replaced.
 */
import { overallAgreement, PERCENTILE, type Equivalence, type LayerSummary } from './equivalence.js';
import { escapeXml as esc, histogramSvg, logHistogram } from './svg-plots.js';

export const REPORT_GENERATOR = 'portafilter report';
export const GENERATOR_META = `<meta name="generator" content="${REPORT_GENERATOR}">`;

const sci = (v: number | undefined): string => (v === undefined ? '—' : Number.isNaN(v) ? 'NaN' : v === 0 ? '0' : !Number.isFinite(v) ? String(v) : v.toExponential(2));
const ratioText = (v: number | undefined): string => (v === undefined ? '—' : v === 0 ? '0' : !Number.isFinite(v) ? '∞' : v < 0.01 && v > 0 ? v.toExponential(1) : v.toPrecision(3));
const percent = (agreed: number, compared: number): string => (compared === 0 ? '—' : `${((100 * agreed) / compared).toFixed(agreed === compared ? 0 : 1)} % (${agreed} of ${compared})`);
const dims = (s: readonly number[] | undefined): string => (s === undefined ? '' : s.join('×'));
const STATUS: Record<LayerSummary['status'], string> = { ok: 'ok', diverged: 'DIVERGED', shape: 'SHAPE', missing: 'not compared' };

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b; margin: 24px auto; max-width: 1200px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #d4d9e0; padding-bottom: 4px; }
.muted { color: #5d6775; } .mono, td.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.verdict { padding: 10px 14px; border-radius: 6px; margin: 12px 0; } .verdict.ok { background: #e4f4e8; border: 1px solid #7cc08d; } .verdict.bad { background: #fbe7e6; border: 1px solid #d9837d; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; } th, td { padding: 3px 9px; border-bottom: 1px solid #e1e5ea; text-align: left; vertical-align: top; }
th { background: #f1f3f6; } table.layers th { position: sticky; top: 0; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.first td { background: #fbe1df; font-weight: 600; } tr.diverged td.status, tr.shape td.status { color: #b3261e; font-weight: 600; } tr.missing td { color: #7b8491; }
td.cause { color: #b3261e; font-weight: normal; } .kv th { background: none; position: static; font-weight: 600; width: 220px; }
svg.plot { display: block; max-width: 100%; height: auto; margin: 8px 0; } svg .frame { fill: #fbfcfd; stroke: #c9d0d8; } svg .grid { stroke: #e3e7ec; }
svg .bar { fill: #4a78b5; } svg .bar.zero { fill: #7aa66b; } svg .axis { stroke: #5d6775; } svg .tick { font-size: 11px; fill: #3b4450; }
svg .axis-label { font-size: 12px; fill: #3b4450; } svg .marker { stroke: #b3261e; stroke-dasharray: 4 3; } svg .marker-label { font-size: 11px; fill: #b3261e; }
`;

function kv(rows: [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

function preprocessText(p: Equivalence['preprocess']): string {
  const parts = [
    p.mean !== undefined ? `mean file ${p.mean}` : p.meanValues ? `mean values ${p.meanValues.join(', ')}` : 'no mean',
    `raw scale ${p.rawScale ?? 255}`,
    `input scale ${p.scale ?? 1}`,
    p.rgb ? 'RGB kept' : 'RGB swapped to BGR',
  ];
  return `${parts.join(', ')} (pycaffe Transformer steps, for images; a .npy is fed as it is)`;
}

const predictionText = (p: { index: number; label?: string; score: number } | undefined): string =>
  p === undefined ? '—' : `${p.index}${p.label !== undefined ? ` ${p.label}` : ''} <span class="muted">(${p.score.toPrecision(4)})</span>`;

export function renderReport(eq: Equivalence): string {
  const overall = overallAgreement(eq);
  const first = eq.first !== undefined ? eq.layers[eq.first] : undefined;
  const compared = eq.layers.filter((l) => l.status !== 'missing').length;
  const againstText = eq.against === 'reference' ? "Portafilter's Caffe-semantics reference (the same inputs)" : `real Caffe's dumps in ${esc(eq.against)}/&lt;input stem&gt;/${eq.naming ? ` (named by ${eq.naming === 'layers' ? 'layer' : 'blob'})` : ''}`;
  const verdict = first
    ? `<div class="verdict bad"><strong>First divergence: layer ${esc(first.layer)}${first.top > 0 ? ` [top ${first.top}]` : ''} (${esc(first.type)})</strong>, on ${first.diverged} of ${eq.images.length} input${eq.images.length === 1 ? '' : 's'} (first on ${esc(first.firstImage ?? '')}); worst error over tolerance ${ratioText(first.ratio)}.${first.cause ? `<br>Likely cause: ${esc(first.cause)}` : ''}</div>`
    : eq.ok
      ? `<div class="verdict ok"><strong>Every compared layer within tolerance on all ${eq.images.length} input${eq.images.length === 1 ? '' : 's'}</strong> (${compared} layer outputs compared).</div>`
      : `<div class="verdict bad"><strong>Nothing was compared</strong>: no dump file matched a layer or blob name.</div>`;
  const agreementLine = overall
    ? `Top-1 agreement ${percent(overall.top1.agreed, overall.top1.compared)}; top-5 agreement ${percent(overall.top5.agreed, overall.top5.compared)}.`
    : 'The net has no output that reads as class scores ((N, K) or (N, K, 1, 1)): no top-k agreement to give.';

  const layerRows = eq.layers
    .map((l, i) => {
      const cls = [i === eq.first ? 'first' : '', l.status].filter(Boolean).join(' ');
      const row = `<tr class="${cls}" data-layer="${esc(l.layer)}" data-status="${l.status}"><td class="mono">${esc(l.layer)}${l.top > 0 ? ` [${l.top}]` : ''}</td><td>${esc(l.type)}</td><td class="mono">${esc(l.blob)}</td><td class="mono">${dims(l.caffeShape)}</td><td class="num">${l.compared}</td><td class="num">${sci(l.maxAbs)}</td><td class="num">${sci(l.p99)}</td><td class="num">${ratioText(l.ratio)}</td><td class="status">${STATUS[l.status]}${i === eq.first ? ' (first)' : ''}${l.final ? ' · output' : ''}</td><td class="num">${l.diverged > 0 ? `${l.diverged}` : ''}</td></tr>`;
      return i === eq.first && l.cause ? `${row}<tr class="first"><td></td><td colspan="9" class="cause">Likely cause: ${esc(l.cause)}</td></tr>` : row;
    })
    .join('\n');

  const agreementTable = eq.agreement.length
    ? `<table><tr><th>output</th><th>classes</th><th>samples compared</th><th>top-1 agreement</th><th>top-${Math.min(...eq.agreement.map((a) => a.k))} agreement</th></tr>${eq.agreement
        .map((a) => `<tr><td class="mono">${esc(a.blob)}</td><td class="num">${a.classes}</td><td class="num">${a.compared}</td><td class="num">${percent(a.top1, a.compared)}</td><td class="num">${percent(a.top5, a.compared)}</td></tr>`)
        .join('')}</table><p class="muted">Top-1 agrees when both give the same highest class; top-5 when both give the same set of five highest classes (order aside), or of all the classes where there are fewer.</p>`
    : '';

  const histogram = logHistogram(eq.finals, 4, [1e-5]);
  const f = eq.finals;
  const histogramSection = f.count
    ? `${histogramSvg(histogram, { title: `|out − ref| of the net outputs over ${eq.images.length} inputs (${f.count.toLocaleString('en')} values)`, markers: [{ at: 1e-5, label: '1e-5: the outputs\u2019 absolute tolerance' }] })}
<p class="muted">${f.count.toLocaleString('en')} values: ${f.zeros.toLocaleString('en')} exactly equal, ${f.above.toLocaleString('en')} above the reference, ${f.below.toLocaleString('en')} below${f.nan ? `, ${f.nan.toLocaleString('en')} NaN` : ''}${histogram.infinite ? `, ${histogram.infinite.toLocaleString('en')} infinite` : ''}; largest ${sci(f.max)}. Tolerance of an output element: 1e-5 + 1e-4·|ref|.</p>`
    : '<p class="muted">No net output was compared.</p>';

  const imageRows = eq.images
    .map((im) => {
      const o = im.outputs[0];
      const s = o?.samples[0];
      const samples = o && o.samples.length > 1 ? ` <span class="muted">(${o.samples.length} samples; sample 0 shown)</span>` : '';
      return `<tr class="${im.first ? 'diverged' : ''}"><td class="mono">${esc(im.name)}</td><td class="mono">${dims(im.shape)}</td><td>${predictionText(s?.candidate[0])}</td><td>${predictionText(s?.reference[0])}</td><td>${s ? (s.top1 ? 'yes' : '<strong>no</strong>') : '—'}${samples}</td><td>${s ? (s.top5 ? 'yes' : '<strong>no</strong>') : '—'}</td><td class="num">${ratioText(im.ratio)}</td><td class="mono">${im.first ? esc(im.first.layer) : ''}</td><td class="mono">${im.sha256}</td></tr>`;
    })
    .join('\n');

  const fileRows = eq.files.map((h) => `<tr><td>${h.role}</td><td class="mono">${esc(h.path)}</td><td class="num">${h.bytes.toLocaleString('en')}</td><td class="mono">${h.sha256}</td></tr>`).join('\n');
  const versions = [`Portafilter ${esc(eq.versions.portafilter)}`, `Node.js ${esc(eq.versions.node)}`, eq.versions.tfjs ? `TF.js ${esc(eq.versions.tfjs)}` : '', eq.versions.onnxruntime ? `onnxruntime-node ${esc(eq.versions.onnxruntime)}` : '']
    .filter(Boolean)
    .join(', ');
  const throughput = `${eq.imagesPerSecond.toPrecision(3)} inputs per second: ${eq.images.length} input${eq.images.length === 1 ? '' : 's'} in ${eq.seconds.toFixed(2)} s (reading, both runs with every layer, comparing), after ${eq.setupSeconds.toFixed(2)} s building the engines`;
  const title = `Equivalence report: ${eq.name}`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
${GENERATOR_META}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="muted">The converted model against ${againstText}, over ${eq.images.length} input${eq.images.length === 1 ? '' : 's'} of ${esc(eq.imagesFolder)}; ${esc(eq.date)}.</p>
${verdict}
<p>${agreementLine}</p>
${eq.warnings.map((w) => `<p class="verdict bad">Warning: ${esc(w)}</p>`).join('\n')}

<h2>What ran</h2>
${kv([
  ['Converted model', esc(eq.engine.ran)],
  ['Engine', `${esc(eq.engine.name)}: ${esc(eq.engine.detail)}`],
  ['Ordering', esc(eq.engine.ordering ?? "Caffe's own (N,C,H,W)")],
  ['Kernel flip', eq.engine.flipKernels ? 'yes: kernels flipped 180° (true convolution)' : 'no'],
  ['Compared against', againstText],
  ['Preprocessing', esc(preprocessText(eq.preprocess))],
  ['Tolerance', 'diff.ts: outputs within 1e-5 + 1e-4·|ref|, other layers within 1e-5·max(1, peak |ref|) + 1e-4·|ref|, element by element'],
  ['Tools', versions],
  ['Date', esc(eq.date)],
  ['Throughput', esc(throughput)],
  ...(eq.engine.skipped.length ? ([['Engines passed over', esc(eq.engine.skipped.map((s) => `${s.name}: ${s.reason}`).join('; '))]] as [string, string][]) : []),
  ...(eq.skippedFiles.length ? ([['Files in the folder left out (not inputs)', esc(eq.skippedFiles.join(', '))]] as [string, string][]) : []),
])}

<h2>Agreement of the predictions</h2>
<p>${agreementLine}</p>
${agreementTable}

<h2>Every layer over all inputs</h2>
<p class="muted">Per Caffe layer and top: the largest |out − ref| of any input, the ${Math.round(PERCENTILE * 100)}th percentile of |out − ref| over every element of every input (read from bins 0.4 % wide), and the worst element's error over its tolerance (below 1 is within tolerance).</p>
<table class="layers">
<tr><th>layer</th><th>type</th><th>blob</th><th>Caffe shape</th><th>inputs compared</th><th>max |out − ref|</th><th>p${Math.round(PERCENTILE * 100)} |out − ref|</th><th>worst error / tol.</th><th>status</th><th>inputs diverged</th></tr>
${layerRows}
</table>

<h2>Differences of the net outputs</h2>
${histogramSection}

<h2>Inputs</h2>
<table>
<tr><th>input</th><th>shape fed</th><th>converted top-1</th><th>reference top-1</th><th>top-1 agrees</th><th>top-5 agrees</th><th>worst error / tol.</th><th>first divergence</th><th>sha256</th></tr>
${imageRows}
</table>

<h2>Files</h2>
<table>
<tr><th>role</th><th>path</th><th>bytes</th><th>sha256</th></tr>
${fileRows}
</table>
<p class="muted">Written by Portafilter ${esc(eq.versions.portafilter)}.</p>
</body>
</html>
`;
}
