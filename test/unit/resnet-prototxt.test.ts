/**
 * The ResNet generator the graph benchmarks use for ResNet-152: at [3, 4, 6, 3] it must write the
 * published ResNet-50 deploy file (test/fixtures), so at [3, 8, 36, 3] it writes ResNet-152 as
 * Kaiming He published it (670 layers, the count issue 9 gives).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import { RESNET_50_BLOCKS, resnet152Prototxt, resnetPrototxt } from '../helpers/resnet-prototxt.js';

/** name, type, bottoms and tops of each layer block, read with a regex (not the project's parser). */
function layerList(text: string): string[] {
  return [...text.matchAll(/layer \{([\s\S]*?)\n\}/g)].map(([, body]) => {
    const all = (key: string): string[] => [...body.matchAll(new RegExp(`^\\t${key}: "([^"]*)"`, 'gm'))].map((m) => m[1]);
    return `${all('name')[0]} ${all('type')[0]} ${all('bottom').join(',')} -> ${all('top').join(',')}`;
  });
}

describe('the ResNet prototxt generator', () => {
  const published = readFileSync(fixture('prototxts', 'ResNet-50-deploy.prototxt'), 'utf8');

  it('writes the published ResNet-50 deploy file layer for layer', () => {
    const written = resnetPrototxt(RESNET_50_BLOCKS);
    expect(layerList(written)).toEqual(layerList(published));
    expect(layerList(published)).toHaveLength(228);
  });

  it('writes it byte for byte, parameters and layout included', () => {
    expect(resnetPrototxt(RESNET_50_BLOCKS)).toBe(published);
  });

  it('writes ResNet-152 as 670 layers, naming the blocks of its long stages a, b1, b2 … as the published file does', () => {
    const layers = layerList(resnet152Prototxt());
    expect(layers).toHaveLength(670);
    expect(layers.filter((l) => / Eltwise /.test(l)).map((l) => l.split(' ')[0])).toHaveLength(3 + 8 + 36 + 3);
    expect(layers).toContain('res3b7 Eltwise res3b6,res3b7_branch2c -> res3b7');
    expect(layers).toContain('res4b35_branch2a Convolution res4b34 -> res4b35_branch2a');
    expect(layers).toContain('res5a_branch1 Convolution res4b35 -> res5a_branch1');
    expect(layers.at(-1)).toBe('prob Softmax fc1000 -> prob');
  });
});
