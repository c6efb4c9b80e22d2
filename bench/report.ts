/**
 * report_vgg_cnn_s: the throughput of an equivalence report (src/main/report/) on VGG_CNN_S with its
 * seeded weights (bench/vgg-cnn-s.ts), over a handful of seeded 256×256 PNGs: each decoded, resized
 * to 224×224 and mean-subtracted, run through the converted Keras model on the best TF.js backend and
 * through the Caffe-semantics reference with every layer captured, and compared layer by layer; then
 * the HTML written. Inputs per second counts that per-input work; building the engines is timed apart.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Benchmark } from './types.js';
import { buildModel } from './vgg-cnn-s.js';
import { writeEquivalenceReport } from '../src/main/report/index.js';
import { mulberry32 } from '../test/helpers/prng.js';

const IMAGES = 4;

export const reportVggCnnS: Benchmark = {
  name: 'report_vgg_cnn_s',
  title: `equivalence report throughput on VGG_CNN_S over ${IMAGES} images (converted model and reference, every layer compared)`,
  async run(log) {
    const { model } = await buildModel();
    const dir = mkdtempSync(join(tmpdir(), 'portafilter-bench-report-'));
    try {
      const images = join(dir, 'images');
      mkdirSync(images);
      const random = mulberry32(2024);
      for (let i = 0; i < IMAGES; i++) {
        const pixels = Buffer.alloc(256 * 256 * 3);
        for (let p = 0; p < pixels.length; p++) pixels[p] = Math.floor(random() * 256);
        await sharp(pixels, { raw: { width: 256, height: 256, channels: 3 } }).png().toFile(join(images, `image_${i}.png`));
      }
      const started = performance.now();
      const { summary } = await writeEquivalenceReport(model, {
        images,
        out: join(dir, 'report.html'),
        preprocess: { meanValues: [104, 117, 123] },
        engine: 'tfjs',
        onProgress: (stage) => log(`  ${stage}`),
      });
      const wall = (performance.now() - started) / 1000;
      const metrics = {
        engine: summary.engine,
        engine_detail: summary.engineDetail,
        images: summary.images,
        images_per_second: summary.imagesPerSecond,
        seconds_per_image: summary.seconds / summary.images,
        engine_setup_s: summary.setupSeconds,
        wall_s: wall,
      };
      return {
        metrics,
        rows: [
          ['engine', `${summary.engine} (${summary.engineDetail}) against the reference`],
          ['throughput', `${summary.imagesPerSecond.toPrecision(3)} images/s (${(summary.seconds / summary.images).toFixed(2)} s per image: decode, both runs with every layer, the comparison)`],
          ['building the engines (once)', `${summary.setupSeconds.toFixed(2)} s`],
          ['whole report, wall', `${wall.toFixed(2)} s for ${summary.images} images, the hashing and the HTML included`],
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
