/**
 * The open form in the app, where paths are chosen rather than typed: where a dropped file or folder
 * goes, and what the form says when no prototxt was chosen.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { dropTarget, useOpenFormStore } from '../../../src/renderer/src/stores/openForm.js';

beforeEach(() => setActivePinia(createPinia()));

describe('a drop on the window', () => {
  it('goes to the field its extension belongs to, as the open dialog filters them', () => {
    expect(dropTarget('/m/deploy.prototxt', false)).toBe('prototxt');
    expect(dropTarget('C:\\m\\train_val.PT', false)).toBe('prototxt');
    expect(dropTarget('/m/solver.txt', false)).toBe('prototxt');
    expect(dropTarget('/m/bvlc.caffemodel', false)).toBe('caffemodel');
    expect(dropTarget('/m/lenet_npy', true)).toBe('caffemodel');
    expect(dropTarget('/m/mean.binaryproto', false)).toBe('mean');
    expect(dropTarget('ilsvrc_2012_mean.BINARYPROTO', false)).toBe('mean');
    expect(dropTarget('/m/cat.jpg', false)).toBeNull();
    expect(dropTarget('/m/.prototxt', false)).toBeNull();
    expect(dropTarget('/m.prototxt/weights', false)).toBeNull();
  });

  it('fills the form, and names a file that fits nowhere', () => {
    const form = useOpenFormStore();
    expect(form.place('/m/deploy.prototxt', false)).toEqual({ field: 'prototxt' });
    expect(form.place('/m/lenet_npy', true)).toEqual({ field: 'caffemodel' });
    expect(form.place('/m/cat.jpg', false)).toEqual({ problem: '/m/cat.jpg is neither a .prototxt nor a .caffemodel (nor a folder of .npy weights)' });
    expect(form.place('/m/mean.binaryproto', false)).toEqual({ problem: "/m/mean.binaryproto is a mean image: it belongs to the Export panel's mean file, not to this form" });
    expect([form.prototxt, form.caffemodel]).toEqual(['/m/deploy.prototxt', '/m/lenet_npy']);
    expect(form.toRequest(false)).toEqual({ request: { prototxt: '/m/deploy.prototxt', caffemodel: '/m/lenet_npy' } });
  });
});

describe('an empty form', () => {
  it('asks for a typed path on the web host and a chosen one in the app', () => {
    const form = useOpenFormStore();
    expect(form.toRequest()).toEqual({ problem: 'enter the path of a .prototxt' });
    expect(form.toRequest(false)).toEqual({ problem: 'choose a .prototxt with … or drop it on the window' });
  });
});
