/**
 * What the workbench opens when it starts, carried in the page's query string. The Electron window
 * and `portafilter serve` both write it; the renderer reads it. A URL keeps it visible and makes a
 * reload reopen the same model.
 */
export type LaunchTarget =
  | { kind: 'none' }
  | { kind: 'demo' }
  | { kind: 'model'; prototxt: string; caffemodel?: string };

const OPEN = 'open';
const PROTOTXT = 'prototxt';
const CAFFEMODEL = 'caffemodel';

/** Adds the launch target to `params` (which may already hold the token). */
export function writeLaunchQuery(target: LaunchTarget, params: URLSearchParams = new URLSearchParams()): URLSearchParams {
  if (target.kind === 'demo') params.set(OPEN, 'demo');
  if (target.kind === 'model') {
    params.set(PROTOTXT, target.prototxt);
    if (target.caffemodel !== undefined) params.set(CAFFEMODEL, target.caffemodel);
  }
  return params;
}

export function readLaunchQuery(search: string): LaunchTarget {
  const params = new URLSearchParams(search);
  const prototxt = params.get(PROTOTXT);
  if (prototxt) {
    const caffemodel = params.get(CAFFEMODEL);
    return caffemodel ? { kind: 'model', prototxt, caffemodel } : { kind: 'model', prototxt };
  }
  return params.get(OPEN) === 'demo' ? { kind: 'demo' } : { kind: 'none' };
}

/**
 * `portafilter [prototxt] [caffemodel]`: the positional arguments, flags skipped (Electron and
 * Chromium add their own, e.g. --no-sandbox). No positional argument means the demo model.
 */
export function launchTargetFromArgs(args: readonly string[], resolvePath: (p: string) => string): LaunchTarget {
  const positional = args.filter((a) => a.length > 0 && !a.startsWith('-'));
  if (positional.length === 0) return { kind: 'demo' };
  const [prototxt, caffemodel] = positional;
  return caffemodel !== undefined
    ? { kind: 'model', prototxt: resolvePath(prototxt), caffemodel: resolvePath(caffemodel) }
    : { kind: 'model', prototxt: resolvePath(prototxt) };
}
