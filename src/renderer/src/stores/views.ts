/**
 * Which workbench view the main pane shows (views/*.vue), and the page marks the benchmarks and the
 * end-to-end tests read to know when a view has painted what it was asked for.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export type MainView = 'graph' | 'table' | 'shapes' | 'weights' | 'run' | 'compare';

export const MAIN_VIEWS: readonly { id: MainView; label: string; title: string }[] = [
  { id: 'graph', label: 'Graph', title: 'The network as a graph: blobs flowing from layer to layer' },
  { id: 'table', label: 'Table', title: 'Every layer as a row: filter, sort, compare shapes' },
  { id: 'shapes', label: 'Shapes', title: "Caffe's output shape of every layer beside the Keras layers it becomes" },
  { id: 'weights', label: 'Weights', title: 'Histograms and filters of the selected layer, and every layer’s weight distribution' },
  { id: 'run', label: 'Run', title: 'Run the converted model on an image or a .npy: its predictions, and what the selected layer computed' },
  { id: 'compare', label: 'Compare', title: "The converted model against Caffe's semantics or real Caffe's dumps, layer by layer: where the numbers first diverge, and why" },
];

/** Set after the inspector and the Shapes view show a newly fetched Keras view (an ordering switch). */
export const KERAS_VIEW_SHOWN_MARK = 'portafilter:keras-view-shown';
/** Set once a blob's histogram chart has finished drawing. */
export const HISTOGRAM_DRAWN_MARK = 'portafilter:histogram-drawn';
/** Set once a convolution's filter tiles are on their canvas. */
export const TILES_DRAWN_MARK = 'portafilter:tiles-drawn';
/** Set once the whole-model box plot has finished drawing. */
export const OVERVIEW_DRAWN_MARK = 'portafilter:overview-drawn';

/** Set once a run's predictions and input preview are painted. */
export const RUN_DONE_MARK = 'portafilter:run-done';
/** Set once the selected layer's activation (its maps, or its values' chart) is drawn; detail { layer }. */
export const ACTIVATION_DRAWN_MARK = 'portafilter:activation-drawn';

/**
 * Marks `name` once the frame holding the DOM change just made has been painted: the second
 * animation frame after it starts only after that frame was presented.
 */
export function markAfterPaint(name: string, detail?: unknown): void {
  requestAnimationFrame(() => requestAnimationFrame(() => performance.mark(name, { detail })));
}

export const useViewsStore = defineStore('views', () => {
  /** The graph first: it is what a model looks like (the issue's default after opening one). */
  const view = ref<MainView>('graph');

  function show(which: MainView): void {
    view.value = which;
  }

  return { view, show };
});
