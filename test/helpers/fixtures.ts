import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The shared fixtures (real Caffe models and their independent expected outputs) live beside the
 * repository, not in it. PORTAFILTER_FIXTURES overrides the place.
 */
export const fixturesDir: string = process.env.PORTAFILTER_FIXTURES ?? resolve(here, '../../../shared/fixtures');

if (!existsSync(join(fixturesDir, 'README.md'))) {
  throw new Error(`Caffe fixtures not found at ${fixturesDir}; set PORTAFILTER_FIXTURES`);
}

export const fixture = (...parts: string[]): string => join(fixturesDir, ...parts);

export const FIXTURE_MODELS = [
  'lenet_mnist',
  'cifar10_quick',
  'mtcnn_pnet',
  'mtcnn_rnet',
  'mtcnn_onet',
  'ultraface_slim320',
  'ultraface_rfb320',
  'features_b',
] as const;

export const FIXTURE_PROTOTXTS = [
  'bvlc_alexnet',
  'bvlc_reference_caffenet',
  'bvlc_googlenet',
  'ResNet-50-deploy',
  'SqueezeNet_v1.0',
  'SqueezeNet_v1.1',
  'MobileNet-SSD_deploy',
  'VGG_ILSVRC_19_layers_deploy',
] as const;
