import type { LayerDef } from './types.js';

const defs = new Map<string, LayerDef>();

/** Called once by each layer file. */
export function registerLayer(def: LayerDef): LayerDef {
  if (defs.has(def.type)) throw new Error(`layer type ${def.type} registered twice`);
  defs.set(def.type, def);
  return def;
}

export const layerDef = (type: string): LayerDef | undefined => defs.get(type);
export const supportedLayerTypes = (): string[] => [...defs.keys()].sort();
