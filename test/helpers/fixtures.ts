import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The copy that travels with the repository: byte copies of ../shared/fixtures (test/fixtures.sha256 lists them). */
export const repositoryFixtures: string = resolve(here, '../fixtures');

/**
 * The fixtures the tests read (real Caffe models and their independent expected outputs): the copy in
 * test/fixtures, or the folder PORTAFILTER_FIXTURES names.
 */
export const fixturesDir: string = process.env.PORTAFILTER_FIXTURES ? resolve(process.env.PORTAFILTER_FIXTURES) : repositoryFixtures;

if (!existsSync(join(fixturesDir, 'README.md'))) {
  throw new Error(
    process.env.PORTAFILTER_FIXTURES
      ? `PORTAFILTER_FIXTURES=${process.env.PORTAFILTER_FIXTURES} holds no fixtures (no README.md there)`
      : `the fixtures are missing from ${fixturesDir}: they are part of the repository; restore them with git checkout -- test/fixtures`,
  );
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
