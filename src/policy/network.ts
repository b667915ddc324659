// The actor-critic network: its spec, and the flat parameter layout every backend, checkpoint and test
// shares. Names and shapes follow PyTorch (`[out, in]` row-major weights, nn.Sequential indices), so a
// checkpoint opens as a state_dict.
import { checkBoolean, checkInteger, checkKeys, checkOneOf, fail } from '../errors.js';
import { type ActionSpace, logitCount } from '../spaces.js';

export type Activation = 'tanh' | 'relu';
/** How a Box action is drawn: a Gaussian, or a Gaussian squashed by tanh into the box's bounds. */
export type ContinuousDistribution = 'normal' | 'tanh_normal';
/** The recurrent cell: PyTorch's nn.LSTM (gates i, f, g, o) or nn.GRU (gates r, z, n). */
export type MemoryCell = 'lstm' | 'gru';

/**
 * A recurrent cell after the hidden layers (actor and critic each have one; a shared network shares one).
 * @property cell `'lstm'` or `'gru'`.
 * @property size Hidden units of the cell (its state is h, plus c for an LSTM).
 * @property sequenceLength Steps gradients flow back through (truncated BPTT); default: the whole segment.
 */
export interface MemorySpec {
  cell: MemoryCell;
  size: number;
  sequenceLength?: number;
}

/** The actor-critic network: MLPs for the actor and the critic (or one shared trunk). */
export interface NetworkSpec {
  /**
   * Hidden layer sizes (an empty array: linear heads on the observation).
   * @default [64, 64]
   */
  hidden: readonly number[];
  /**
   * Activation after each hidden layer.
   * @default 'tanh'
   */
  activation: Activation;
  /**
   * One trunk shared by actor and critic (true), or two separate networks (false).
   * @default false
   */
  shared: boolean;
  /**
   * Box actions only: `'normal'` (a Gaussian with a learned state-independent `log_std`) or `'tanh_normal'`
   * (that Gaussian squashed by tanh into the box's bounds).
   * @default 'normal'
   */
  distribution: ContinuousDistribution;
  /**
   * A recurrent cell after the hidden layers; absent: a feed-forward network.
   * @default undefined
   */
  memory?: MemorySpec;
}

export type NetworkSpecInput = Partial<NetworkSpec>;

/** The default network: two hidden layers of 64, tanh, separate actor and critic, Gaussian Box actions. */
export const DEFAULT_NETWORK: Readonly<NetworkSpec> = Object.freeze({
  hidden: Object.freeze([64, 64]),
  activation: 'tanh',
  shared: false,
  distribution: 'normal',
});

/** What a trainer needs to know about the policy. */
export interface PolicySpec {
  /** Floats per observation row. */
  observationSize: number;
  /** The action space the actor outputs for. */
  actionSpace: ActionSpace;
  /** The network, with every field set (see {@link resolveNetworkSpec}). */
  network: NetworkSpec;
}

/** One parameter tensor in the flat parameter buffer. */
export interface ParameterEntry {
  /** PyTorch name: `actor.0.weight`, `critic.2.bias`, `trunk.0.weight`, `log_std`. */
  readonly name: string;
  /** PyTorch shape: `[out, in]` for weights (row-major), `[out]` for biases. */
  readonly shape: readonly number[];
  /** Index of its first float in the flat buffer. */
  readonly offset: number;
}

/** Fills the defaults of a partial network spec and validates it; errors name `network.<field>`. */
export function resolveNetworkSpec(input: NetworkSpecInput = {}, field = 'network'): NetworkSpec {
  checkKeys(field, input, [...Object.keys(DEFAULT_NETWORK), 'memory']);
  const spec = { ...DEFAULT_NETWORK, ...input };
  if (spec.memory === undefined) delete spec.memory;
  else spec.memory = resolveMemorySpec(spec.memory, `${field}.memory`);
  if (!Array.isArray(spec.hidden)) fail(`${field}.hidden`, 'an array of layer sizes', spec.hidden);
  spec.hidden.forEach((h, i) => checkInteger(`${field}.hidden[${i}]`, h, 1, 65536));
  checkOneOf(`${field}.activation`, spec.activation, ['tanh', 'relu'] as const);
  checkBoolean(`${field}.shared`, spec.shared);
  checkOneOf(`${field}.distribution`, spec.distribution, ['normal', 'tanh_normal'] as const);
  if (spec.shared && spec.hidden.length === 0) fail(`${field}.hidden`, 'at least one layer when shared is true', spec.hidden);
  return { ...spec, hidden: Object.freeze([...spec.hidden]) };
}

/** Validates a memory spec; errors name `network.memory.<field>`. */
function resolveMemorySpec(input: MemorySpec, field: string): MemorySpec {
  checkKeys(field, input, ['cell', 'size', 'sequenceLength']);
  const cell = checkOneOf(`${field}.cell`, input.cell, ['lstm', 'gru'] as const);
  const size = checkInteger(`${field}.size`, input.size, 1, 65536);
  if (input.sequenceLength === undefined) return Object.freeze({ cell, size });
  return Object.freeze({ cell, size, sequenceLength: checkInteger(`${field}.sequenceLength`, input.sequenceLength, 1) });
}

/**
 * Sequences per env segment of `numSteps` steps: the segment is cut at t = 0, L, 2L, ... with
 * L = `memory.sequenceLength` (default: the whole segment, one sequence).
 */
export function sequenceCount(numSteps: number, memory: MemorySpec): number {
  return Math.ceil(numSteps / sequenceLength(numSteps, memory));
}

/** The backpropagation length of a segment of `numSteps` steps: `memory.sequenceLength`, at most numSteps. */
export function sequenceLength(numSteps: number, memory: MemorySpec): number {
  return Math.min(numSteps, memory.sequenceLength ?? numSteps);
}

/** Outputs of the actor head: logits for categorical spaces, means for boxes. */
export function actorOutputSize(space: ActionSpace): number {
  return space.kind === 'box' ? space.size : logitCount(space);
}

/** Which layer a parameter belongs to, for init and for backends that walk the network. */
export interface LayerEntry {
  /** Prefix, e.g. `actor.2`, `trunk.0`, `critic`. */
  readonly name: string;
  readonly role: 'trunk' | 'actor' | 'critic';
  readonly inputs: number;
  readonly outputs: number;
  /** Orthogonal init gain: sqrt(2) hidden, 0.01 policy head, 1 value head. */
  readonly gain: number;
  /** Whether the activation follows this layer (hidden layers) or not (heads). */
  readonly activated: boolean;
  readonly weightOffset: number;
  readonly biasOffset: number;
}

/**
 * A recurrent cell in the layout: PyTorch's `weight_ih_l0 [G*size, inputs]`, `weight_hh_l0 [G*size, size]`,
 * `bias_ih_l0 [G*size]`, `bias_hh_l0 [G*size]`, G = 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n).
 */
export interface MemoryEntry {
  /** Prefix: `actor.memory`, `critic.memory`, or `trunk.memory` for a shared network. */
  readonly name: string;
  readonly role: 'trunk' | 'actor' | 'critic';
  readonly cell: MemoryCell;
  readonly inputs: number;
  readonly size: number;
  /** Gates: 4 (LSTM) or 3 (GRU). */
  readonly gates: number;
  readonly weightIhOffset: number;
  readonly weightHhOffset: number;
  readonly biasIhOffset: number;
  readonly biasHhOffset: number;
  /** Where this cell's state starts in a recurrent state vector: h [size], then c [size] for an LSTM. */
  readonly stateOffset: number;
  /** Floats of this cell's state: 2 size (LSTM: h, c) or size (GRU: h). */
  readonly stateSize: number;
}

export interface NetworkLayout {
  readonly parameters: readonly ParameterEntry[];
  readonly layers: readonly LayerEntry[];
  /** The recurrent cells in layout order (none, one shared, or actor's then critic's). */
  readonly memories: readonly MemoryEntry[];
  /** Floats of the whole recurrent state of one agent: the cells' states concatenated (0 without memory). */
  readonly stateSize: number;
  /** Offset of `log_std` (Box actions), or -1. */
  readonly logStdOffset: number;
  readonly size: number;
}

/**
 * Separate networks: `actor.0, actor.2, ..., actor.{2L}` then `critic.0, ..., critic.{2L}`, then `log_std`.
 * Shared trunk: `trunk.0, ..., trunk.{2(L-1)}`, then the heads `actor.0` and `critic.0`, then `log_std`.
 * With memory, each stack's cell follows its hidden layers and precedes its head: `actor.memory.weight_ih_l0`,
 * `actor.memory.weight_hh_l0`, `actor.memory.bias_ih_l0`, `actor.memory.bias_hh_l0` (then `critic.memory.*`),
 * or one `trunk.memory.*` after the shared trunk.
 */
export function networkLayout(policy: PolicySpec): NetworkLayout {
  const { observationSize, actionSpace, network } = policy;
  const parameters: ParameterEntry[] = [];
  const layers: LayerEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): number => {
    parameters.push(Object.freeze({ name, shape: Object.freeze(shape), offset }));
    const at = offset;
    offset += shape.reduce((a, b) => a * b, 1);
    return at;
  };
  const layer = (name: string, role: LayerEntry['role'], inputs: number, outputs: number, gain: number, activated: boolean) => {
    const weightOffset = add(`${name}.weight`, [outputs, inputs]);
    const biasOffset = add(`${name}.bias`, [outputs]);
    layers.push(Object.freeze({ name, role, inputs, outputs, gain, activated, weightOffset, biasOffset }));
  };
  const memories: MemoryEntry[] = [];
  let stateSize = 0;
  const memory = network.memory;
  const cell = (role: MemoryEntry['role'], inputs: number): number => {
    if (!memory) return inputs;
    const { size } = memory;
    const gates = memory.cell === 'lstm' ? 4 : 3;
    const name = `${role}.memory`;
    const weightIhOffset = add(`${name}.weight_ih_l0`, [gates * size, inputs]);
    const weightHhOffset = add(`${name}.weight_hh_l0`, [gates * size, size]);
    const biasIhOffset = add(`${name}.bias_ih_l0`, [gates * size]);
    const biasHhOffset = add(`${name}.bias_hh_l0`, [gates * size]);
    const cellState = memory.cell === 'lstm' ? 2 * size : size;
    memories.push(Object.freeze({
      name, role, cell: memory.cell, inputs, size, gates, weightIhOffset, weightHhOffset, biasIhOffset, biasHhOffset,
      stateOffset: stateSize, stateSize: cellState,
    }));
    stateSize += cellState;
    return size;
  };
  const stack = (role: 'actor' | 'critic' | 'trunk', inputs: number): number => {
    network.hidden.forEach((h, i) => {
      layer(`${role}.${2 * i}`, role, i === 0 ? inputs : network.hidden[i - 1], h, Math.SQRT2, true);
    });
    return cell(role, network.hidden.length === 0 ? inputs : network.hidden[network.hidden.length - 1]);
  };
  const outputs = actorOutputSize(actionSpace);
  if (network.shared) {
    const features = stack('trunk', observationSize);
    layer('actor.0', 'actor', features, outputs, 0.01, false);
    layer('critic.0', 'critic', features, 1, 1, false);
  } else {
    const depth = 2 * network.hidden.length;
    layer(`actor.${depth}`, 'actor', stack('actor', observationSize), outputs, 0.01, false);
    layer(`critic.${depth}`, 'critic', stack('critic', observationSize), 1, 1, false);
  }
  const logStdOffset = actionSpace.kind === 'box' ? add('log_std', [actionSpace.size]) : -1;
  return Object.freeze({
    parameters: Object.freeze(parameters), layers: Object.freeze(layers), memories: Object.freeze(memories), stateSize,
    logStdOffset, size: offset,
  });
}
