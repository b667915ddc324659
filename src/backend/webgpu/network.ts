// How the flat parameter layout's layers connect: which layer feeds which, and which layers pass gradient
// back into which (a shared trunk gets none from the critic head under separateLosses).
import type { LayerEntry, NetworkLayout, PolicySpec } from '../../policy/network.js';

export interface LayerNode {
  readonly entry: LayerEntry;
  /** The layer whose output this one reads, or -1 for the observations. */
  readonly input: number;
  /** Layers that send gradient into this one's output, in the order the backward pass reaches them. */
  readonly backwardFrom: readonly number[];
}

export interface NetworkGraph {
  readonly nodes: readonly LayerNode[];
  readonly actorHead: number;
  readonly criticHead: number;
}

export function networkGraph(policy: PolicySpec, layout: NetworkLayout, separateLosses: boolean): NetworkGraph {
  const layers = layout.layers;
  const inputs: number[] = [];
  const lastOfRole = new Map<string, number>();
  layers.forEach((layer, index) => {
    const head = !layer.activated;
    const feed = policy.network.shared && head ? lastOfRole.get('trunk') : lastOfRole.get(layer.role);
    inputs.push(feed ?? -1);
    lastOfRole.set(layer.role, index);
  });
  const actorHead = layers.findIndex((l) => l.role === 'actor' && !l.activated);
  const criticHead = layers.findIndex((l) => l.role === 'critic' && !l.activated);
  const nodes = layers.map((entry, index) => {
    const backwardFrom: number[] = [];
    for (let k = layers.length - 1; k >= 0; k--) {
      if (inputs[k] !== index) continue;
      if (policy.network.shared && separateLosses && k === criticHead) continue;
      backwardFrom.push(k);
    }
    return { entry, input: inputs[index], backwardFrom };
  });
  return { nodes, actorHead, criticHead };
}
