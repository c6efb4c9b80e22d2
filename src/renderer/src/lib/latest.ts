/**
 * One request at a time per kind: a newer one cancels the older, whose answer is then ignored.
 * The stores that fetch for what is on screen (the Weights view, the Run view's activations) use it,
 * so a fast walk through the layers never paints a stale answer over a fresh one.
 */
export interface Latest {
  start(): AbortController;
  current(c: AbortController): boolean;
  done(c: AbortController): void;
  cancel(): void;
}

export function latest(): Latest {
  let controller: AbortController | null = null;
  return {
    start(): AbortController {
      controller?.abort();
      controller = new AbortController();
      return controller;
    },
    current: (c: AbortController): boolean => controller === c,
    done(c: AbortController): void {
      if (controller === c) controller = null;
    },
    cancel(): void {
      controller?.abort();
      controller = null;
    },
  };
}
