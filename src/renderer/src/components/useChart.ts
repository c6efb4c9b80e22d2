/**
 * An ECharts chart in a host element, for the components that draw one: made once mounted, redrawn when
 * its option's sources change or the colour scheme flips, resized with its host, disposed on unmount.
 * `drawn` fires once per redraw with new data, when ECharts has finished painting it ('finished'
 * follows every render, hover effects included).
 */
import { init, type ECharts, type EChartsCoreOption } from 'echarts/core';
import { onBeforeUnmount, onMounted, watch, type Ref, type WatchSource } from 'vue';
import { chartColours } from './chartColours.js';
import type { ChartColours } from '../lib/histogram.js';

export function useChart(
  host: Ref<HTMLElement | null>,
  option: (colours: ChartColours) => EChartsCoreOption,
  sources: WatchSource | WatchSource[],
  hooks: { drawn: () => void; init?: (chart: ECharts) => void },
): void {
  let chart: ECharts | undefined;
  let resize: ResizeObserver | undefined;
  let pending = false;
  const dark = window.matchMedia('(prefers-color-scheme: dark)');

  function render(): void {
    pending = true;
    chart?.setOption(option(chartColours()), { notMerge: true });
  }

  // The chart is made after the page has painted what came with it: ECharts' first render takes a
  // few hundred milliseconds, which the filter tiles beside a histogram would otherwise wait for.
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  onMounted(() => {
    frame = requestAnimationFrame(() => (timer = setTimeout(make, 0)));
  });

  function make(): void {
    if (!host.value) return;
    chart = init(host.value, undefined, { renderer: 'canvas' });
    chart.on('finished', () => {
      if (!pending) return;
      pending = false;
      hooks.drawn();
    });
    hooks.init?.(chart);
    render();
    resize = new ResizeObserver(() => chart?.resize());
    resize.observe(host.value);
    dark.addEventListener('change', render);
  }

  onBeforeUnmount(() => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    dark.removeEventListener('change', render);
    resize?.disconnect();
    chart?.dispose();
    chart = undefined;
  });

  watch(sources, render);
}
