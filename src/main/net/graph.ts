/**
 * The network as Caffe's Net::Init builds it (src/caffe/net.cpp): layers filtered by the net state's
 * include/exclude rules, run in file order, bottoms resolved against the blobs produced so far, and
 * in-place layers (top i == bottom i) writing a new version of their blob. Every produced value is a
 * separate tensor, so each layer's own output stays addressable even when it overwrites its input.
 */
import { NetGraphError } from '../../shared/errors.js';
import { fieldSourceOf, has, repeated, sourceOf, type Message, type SourcePos } from '../caffe/message.js';

export interface NetState {
  phase: 'TRAIN' | 'TEST';
  level: number;
  stages: string[];
}

/** Inference: Caffe's TEST phase, level 0, no stages. */
export const TEST_STATE: NetState = { phase: 'TEST', level: 0, stages: [] };

export interface Tensor {
  id: number;
  /** The Caffe blob name it is a value of. */
  blob: string;
  /** Index of the producing layer in `NetGraph.layers`. */
  producer: number;
  /** Which top of the producer. */
  topIndex: number;
  /** Indices of the layers that read this value. */
  consumers: number[];
}

export interface NetLayer {
  /** Position in execution order (file order after filtering). */
  index: number;
  name: string;
  type: string;
  /** The V2 LayerParameter as written (no defaults filled in). */
  param: Message;
  bottoms: string[];
  tops: string[];
  /** Tensor ids read, one per bottom. */
  inputs: number[];
  /** Tensor ids written, one per top. */
  outputs: number[];
  /** Per top: it overwrites the bottom at the same position (Caffe's in-place rule). */
  inPlace: boolean[];
  source?: SourcePos;
}

export interface NetGraph {
  file: string;
  name: string;
  state: NetState;
  layers: NetLayer[];
  tensors: Tensor[];
  /** Tensors no later layer reads: the net's outputs (Caffe's net_output_blobs), in production order. */
  outputs: number[];
  /** Layers left out by include/exclude rules for this state. */
  excluded: { name: string; type: string; source?: SourcePos }[];
  notes: string[];
}

/** NetStateRule matching (Net::StateMeetsRule). */
function meetsRule(state: NetState, rule: Message): boolean {
  if (has(rule, 'phase') && rule.phase !== state.phase) return false;
  if (has(rule, 'min_level') && state.level < (rule.min_level as number)) return false;
  if (has(rule, 'max_level') && state.level > (rule.max_level as number)) return false;
  if (repeated<string>(rule, 'stage').some((s) => !state.stages.includes(s))) return false;
  if (repeated<string>(rule, 'not_stage').some((s) => state.stages.includes(s))) return false;
  return true;
}

function where(layer: Message, file: string, field?: string) {
  const pos = field ? fieldSourceOf(layer, field) : sourceOf(layer);
  return { file: pos?.file ?? file, line: pos?.line, column: pos?.column, layer: String(layer.name ?? ''), field };
}

/** Net::FilterNet: is the layer part of the net in this state? */
function included(layer: Message, state: NetState, file: string): boolean {
  const include = repeated<Message>(layer, 'include');
  const exclude = repeated<Message>(layer, 'exclude');
  if (include.length > 0 && exclude.length > 0)
    throw new NetGraphError('specify either include rules or exclude rules, not both', where(layer, file, 'include'));
  if (include.length > 0) return include.some((r) => meetsRule(state, r));
  return !exclude.some((r) => meetsRule(state, r));
}

/** Builds the graph of a V2 NetParameter (see caffe/upgrade.ts). */
export function buildNetGraph(net: Message, file: string, state: NetState = TEST_STATE): NetGraph {
  const graph: NetGraph = { file, name: String(net.name ?? ''), state, layers: [], tensors: [], outputs: [], excluded: [], notes: [] };
  const all = repeated<Message>(net, 'layer');
  const kept: Message[] = [];
  for (const layer of all) {
    if (included(layer, state, file)) kept.push(layer);
    else graph.excluded.push({ name: String(layer.name ?? ''), type: String(layer.type ?? ''), source: sourceOf(layer) });
  }

  if (kept.length === 0 && all.length > 0)
    throw new NetGraphError(
      `none of its ${all.length} layer(s) is part of the net in the ${state.phase} phase (their include/exclude rules leave them all out)`,
      { file },
    );

  // Which kept layer writes each blob first, to explain references to blobs produced too late.
  const firstWriter = new Map<string, number>();
  kept.forEach((l, i) => repeated<string>(l, 'top').forEach((t) => firstWriter.has(t) || firstWriter.set(t, i)));

  // A set, not kept.includes: that scan per layer made graph building quadratic (200k layers: 18 s).
  const keptSet = new Set(kept);
  const excludedTops = new Map<string, string>();
  for (const layer of all) {
    if (!keptSet.has(layer)) for (const t of repeated<string>(layer, 'top')) excludedTops.set(t, String(layer.name ?? ''));
  }
  const current = new Map<string, number>(); // blob -> tensor id of its latest value
  const available = new Set<number>(); // tensor ids not read yet
  const names = new Map<string, number>();

  kept.forEach((layer, index) => {
    const name = String(layer.name ?? '');
    const type = String(layer.type ?? '');
    if (!has(layer, 'type')) throw new NetGraphError('layer has no type', where(layer, file));
    const prior = names.get(name);
    if (prior !== undefined)
      graph.notes.push(`two layers are named '${name}' (#${prior + 1} and #${index + 1}); Caffe loads weights into the last one`);
    names.set(name, index);

    const bottoms = repeated<string>(layer, 'bottom');
    const tops = repeated<string>(layer, 'top');
    const inputs = bottoms.map((blob, b) => {
      const id = current.get(blob);
      if (id !== undefined) {
        available.delete(id);
        graph.tensors[id].consumers.push(index);
        return id;
      }
      const later = firstWriter.get(blob);
      let reason = `unknown bottom blob '${blob}' (bottom ${b}): no earlier layer produces it`;
      if (later === index) reason += '; the layer would read its own output (a cycle)';
      else if (later !== undefined) {
        const producer = kept[later];
        const cycle = repeated<string>(producer, 'bottom').some((pb) => tops.includes(pb));
        reason +=
          `; it is produced later by layer '${String(producer.name)}'` +
          (sourceOf(producer)?.line !== undefined ? ` (line ${sourceOf(producer)?.line})` : '') +
          (cycle ? `, which itself reads '${name}' — a cycle` : '; Caffe runs layers in file order');
      } else if (excludedTops.has(blob)) {
        reason += `; layer '${excludedTops.get(blob)}', which produces it, is excluded in the ${state.phase} phase`;
      }
      throw new NetGraphError(reason, where(layer, file, 'bottom'));
    });

    const inPlace = tops.map((t, i) => i < bottoms.length && bottoms[i] === t);
    const outputs = tops.map((blob, topIndex) => {
      if (!inPlace[topIndex] && current.has(blob))
        throw new NetGraphError(
          `top blob '${blob}' produced by multiple sources (only an in-place layer, with top ${topIndex} equal to bottom ${topIndex}, may write an existing blob)`,
          where(layer, file, 'top'),
        );
      const id = graph.tensors.length;
      graph.tensors.push({ id, blob, producer: index, topIndex, consumers: [] });
      current.set(blob, id);
      available.add(id);
      return id;
    });

    graph.layers.push({ index, name, type, param: layer, bottoms, tops, inputs, outputs, inPlace, source: sourceOf(layer) });
  });

  graph.outputs = [...available].sort((a, b) => a - b);
  return graph;
}

