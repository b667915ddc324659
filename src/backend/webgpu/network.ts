// How the flat parameter layout's layers connect: which layer feeds which, where a recurrent cell sits between a
// stack's hidden layers and the head(s) reading it, and which layers pass gradient back into which (a shared
// trunk gets none from the critic head under separateLosses).
import type { LayerEntry, MemoryEntry, NetworkLayout, PolicySpec } from '../../policy/network.js';

export interface LayerNode {
  readonly entry: LayerEntry;
  /** The layer whose output this one (or the cell it reads) reads, or -1 for the observations. */
  readonly input: number;
  /** The recurrent cell this layer reads instead of `input` (-1: none); the cell reads `input`. */
  readonly cell: number;
  /** Layers that send gradient into this one's output, in the order the backward pass reaches them. */
  readonly backwardFrom: readonly number[];
}

/** A recurrent cell: it reads `input` (a layer, or -1 for the observations); heads read it. */
export interface CellNode {
  readonly entry: MemoryEntry;
  readonly input: number;
  /** The layers that send gradient into the cell's output, in the order the backward pass reaches them. */
  readonly backwardFrom: readonly number[];
}

export interface NetworkGraph {
  readonly nodes: readonly LayerNode[];
  readonly cells: readonly CellNode[];
  readonly actorHead: number;
  readonly criticHead: number;
}

export function networkGraph(policy: PolicySpec, layout: NetworkLayout, separateLosses: boolean): NetworkGraph {
  const layers = layout.layers;
  const shared = policy.network.shared;
  const inputs: number[] = [];
  const lastOfRole = new Map<string, number>();
  layers.forEach((layer, index) => {
    const head = !layer.activated;
    const feed = shared && head ? lastOfRole.get('trunk') : lastOfRole.get(layer.role);
    inputs.push(feed ?? -1);
    lastOfRole.set(layer.role, index);
  });
  const actorHead = layers.findIndex((l) => l.role === 'actor' && !l.activated);
  const criticHead = layers.findIndex((l) => l.role === 'critic' && !l.activated);
  // A stack's cell sits before its head (a shared trunk's before both heads).
  const cellOf = (index: number) => {
    const layer = layers[index];
    if (layer.activated) return -1;
    return layout.memories.findIndex((m) => m.role === (shared ? 'trunk' : layer.role));
  };
  const sends = (k: number) => !(shared && separateLosses && k === criticHead);
  const nodes = layers.map((entry, index) => {
    const backwardFrom: number[] = [];
    for (let k = layers.length - 1; k >= 0; k--) {
      if (inputs[k] !== index || cellOf(k) >= 0 || !sends(k)) continue;
      backwardFrom.push(k);
    }
    return { entry, input: inputs[index], cell: cellOf(index), backwardFrom };
  });
  const cells = layout.memories.map((entry, c) => {
    const readers = nodes.map((n, k) => (n.cell === c ? k : -1)).filter((k) => k >= 0);
    return {
      entry,
      input: nodes[readers[0]].input,
      backwardFrom: readers.filter(sends).reverse(),
    };
  });
  return { nodes, cells, actorHead, criticHead };
}
