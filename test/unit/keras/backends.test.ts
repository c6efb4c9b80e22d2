/** Choosing the TF.js backend: tfjs-node-gpu > tfjs-node > wasm > cpu, the first that really runs. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectTfjsBackend, TFJS_BACKEND_PREFERENCE, useTfjsBackend } from '../../../src/main/engine/tfjs-backends.js';

// A variable specifier: the optional package is absent from a fresh install here, and TypeScript must not resolve it.
const TFJS_NODE = '@tensorflow/tfjs-node';

const nodeAddonLoads = async (): Promise<boolean> => {
  try {
    await import(TFJS_NODE);
    return true;
  } catch {
    return false;
  }
};

describe('TF.js backend selection', () => {
  it('prefers tfjs-node-gpu, then tfjs-node, then wasm, then cpu', () => {
    expect(TFJS_BACKEND_PREFERENCE).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
  });

  it('falls back past a tfjs-node whose native addon does not load, and says why', async () => {
    const chosen = await selectTfjsBackend();
    if (await nodeAddonLoads()) {
      expect(chosen.name).toMatch(/^tfjs-node/);
      return;
    }
    expect(chosen.name).toBe('wasm');
    expect(chosen.detail).toMatch(/^tfjs wasm \((SIMD|no SIMD), \d+ threads?\)$/);
    expect(tf.getBackend()).toBe('wasm');
    const failed = chosen.attempts.map((a) => a.name);
    expect(failed).toEqual(['tfjs-node-gpu', 'tfjs-node']);
    expect(chosen.attempts.every((a) => a.error.length > 0)).toBe(true);
  });

  it('reports a forced backend that cannot load instead of silently using another', async () => {
    if (await nodeAddonLoads()) return;
    await expect(useTfjsBackend('tfjs-node')).rejects.toThrow(/the tfjs-node backend is not available/);
  });

  it('switches to a forced backend and back', async () => {
    const cpu = await selectTfjsBackend('cpu');
    expect(cpu).toMatchObject({ name: 'cpu', tfName: 'cpu', detail: 'tfjs cpu (plain JavaScript)', attempts: [] });
    expect(tf.getBackend()).toBe('cpu');
    await useTfjsBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('refuses an unknown backend name', async () => {
    await expect(useTfjsBackend('webgpu' as never)).rejects.toThrow(/unknown TF.js backend 'webgpu'/);
  });
});
