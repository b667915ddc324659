// The policy's deterministic, sampling-free forward pass as an ONNX graph: observation normalization (when
// the agent normalizes), the actor MLP (logits, or Gaussian means), the deterministic action predict() takes
// (argmax per branch after masks; the mean; loc + scale tanh(mean) for tanh_normal) and the critic's value.
// Operations mirror the wasm forward pass: Gemm with [out, in] weights (transB), normalization in float64 as
// src/normalize.ts computes it, so outputs match predict() and the critic to float32 rounding.
// A recurrent cell is ONNX's LSTM or GRU operator run for one step: the agents' states come in as `state_in`
// and the states after the step go out as `state_out`, both [batch, stateSize] in CpuPolicy's state layout,
// so one model call is one act() step.
import type { RunningStats } from '../../normalize.js';
import type { MemoryEntry, NetworkLayout, PolicySpec } from '../../policy/network.js';
import { logitCount } from '../../spaces.js';
import type { Graph, Initializer, Node, ValueInfo } from './graph.js';

/** What the graph is built from: the policy, its flat parameters, and the observation statistics if any. */
export interface PolicyGraphSource {
  policy: PolicySpec;
  layout: NetworkLayout;
  parameters: Float32Array;
  /** Whether the agent takes action masks (an `action_mask` input then masks the argmax). */
  masks: boolean;
  observationStats?: RunningStats;
}

const STATE_IN_DOC = 'recurrent state of each agent before this step: each cell\'s h, then c for an LSTM (a shared trunk\'s cell, or the actor\'s then the critic\'s); zeros at an episode start';
const STATE_OUT_DOC = 'recurrent state after this step, same layout as state_in: feed it back as state_in next step';

/** Same constants as src/normalize.ts. */
const NORM_EPSILON = 1e-8;
const NORM_CLIP = 10;

export function policyGraph(source: PolicyGraphSource): Graph {
  const { policy, layout, parameters } = source;
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  const size = policy.observationSize;
  const space = policy.actionSpace;
  const node = (opType: string, inputs: string[], output: string, attributes?: Record<string, number>) => {
    nodes.push({ opType, inputs, outputs: [output], attributes });
    return output;
  };
  const constant = (name: string, type: Initializer['type'], dims: number[], data: Initializer['data']) => {
    initializers.push({ name, type, dims, data });
    return name;
  };
  const param = (name: string) => {
    const entry = layout.parameters.find((p) => p.name === name);
    if (!entry) throw new Error(`exportOnnx: internal error, no parameter ${name} in the layout`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    return constant(name, 'FLOAT', [...entry.shape], parameters.slice(entry.offset, entry.offset + count));
  };

  const inputs: ValueInfo[] = [{ name: 'observation', type: 'FLOAT', shape: ['batch', size], doc: 'raw observations, one row per agent (flattened)' }];
  let x = 'observation';
  if (source.observationStats) {
    const { mean, var: variance } = source.observationStats;
    constant('obs_rms.mean', 'DOUBLE', [size], Float64Array.from(mean));
    constant('obs_rms.std', 'DOUBLE', [size], Float64Array.from(variance, (v) => Math.sqrt(v + NORM_EPSILON)));
    constant('obs_clip.low', 'DOUBLE', [], Float64Array.of(-NORM_CLIP));
    constant('obs_clip.high', 'DOUBLE', [], Float64Array.of(NORM_CLIP));
    x = node('Cast', [x], 'observation_f64', { to: 11 });
    x = node('Sub', [x, 'obs_rms.mean'], 'observation_centered');
    x = node('Div', [x, 'obs_rms.std'], 'observation_scaled');
    x = node('Max', [x, 'obs_clip.low'], 'observation_clipped_low');
    x = node('Min', [x, 'obs_clip.high'], 'observation_clipped');
    x = node('Cast', [x], 'normalized_observation', { to: 1 });
  }

  const stateSize = layout.stateSize;
  if (stateSize > 0) {
    inputs.push({ name: 'state_in', type: 'FLOAT', shape: ['batch', stateSize], doc: STATE_IN_DOC });
    constant('axis_0', 'INT64', [1], BigInt64Array.of(0n));
    constant('axis_1', 'INT64', [1], BigInt64Array.of(1n));
  }
  /** Floats [from, from + count) of every row of state_in. */
  const stateSlice = (from: number, count: number, output: string) => {
    const starts = constant(`${output}.start`, 'INT64', [1], BigInt64Array.of(BigInt(from)));
    const ends = constant(`${output}.end`, 'INT64', [1], BigInt64Array.of(BigInt(from + count)));
    return node('Slice', ['state_in', starts, ends, 'axis_1'], output);
  };
  /** [state offset, tensor [batch, n]] of every h and c the cells put out. */
  const stateParts: [number, string][] = [];
  /** One step of a cell on x [batch, inputs]: its h [batch, size]; the new h (and c) join state_out. */
  const recurrent = (entry: MemoryEntry, input: string): string => {
    const { name, size, inputs: width, gates } = entry;
    const lstm = entry.cell === 'lstm';
    // ONNX orders the gates i, o, f, c (LSTM) and z, r, h (GRU); PyTorch, and webppo, i, f, g, o and r, z, n.
    const order = lstm ? [0, 3, 1, 2] : [1, 0, 2];
    const rows = (offset: number, columns: number) => {
      const out = new Float32Array(gates * size * columns);
      order.forEach((from, to) => out.set(parameters.subarray(offset + from * size * columns, offset + (from + 1) * size * columns), to * size * columns));
      return out;
    };
    const W = constant(`${name}.W`, 'FLOAT', [1, gates * size, width], rows(entry.weightIhOffset, width));
    const R = constant(`${name}.R`, 'FLOAT', [1, gates * size, size], rows(entry.weightHhOffset, size));
    const bias = new Float32Array(2 * gates * size);
    bias.set(rows(entry.biasIhOffset, 1));
    bias.set(rows(entry.biasHhOffset, 1), gates * size);
    const B = constant(`${name}.B`, 'FLOAT', [1, 2 * gates * size], bias);
    const X = node('Unsqueeze', [input, 'axis_0'], `${name}.X`);
    const h0 = node('Unsqueeze', [stateSlice(entry.stateOffset, size, `${name}.h_in`), 'axis_0'], `${name}.initial_h`);
    const cellInputs = [X, W, R, B, '', h0];
    const outputs = ['', `${name}.Y_h`];
    if (lstm) {
      cellInputs.push(node('Unsqueeze', [stateSlice(entry.stateOffset + size, size, `${name}.c_in`), 'axis_0'], `${name}.initial_c`));
      outputs.push(`${name}.Y_c`);
    }
    // linear_before_reset = 1 is PyTorch's GRU: n = tanh(W_in x + b_in + r (W_hn h + b_hn)).
    nodes.push({ opType: lstm ? 'LSTM' : 'GRU', inputs: cellInputs, outputs, attributes: lstm ? { hidden_size: size } : { hidden_size: size, linear_before_reset: 1 } });
    const h = node('Squeeze', [`${name}.Y_h`, 'axis_0'], `${name}.h_out`);
    stateParts.push([entry.stateOffset, h]);
    if (lstm) stateParts.push([entry.stateOffset + size, node('Squeeze', [`${name}.Y_c`, 'axis_0'], `${name}.c_out`)]);
    return h;
  };

  const activation = policy.network.activation === 'tanh' ? 'Tanh' : 'Relu';
  const stack = (role: 'trunk' | 'actor' | 'critic', input: string): string => {
    let h = input;
    const entry = layout.memories.find((m) => m.role === role);
    // The cell sits after the hidden layers: before the head, or last in a shared trunk (as in the wasm network).
    let cellPending = entry !== undefined;
    for (const layer of layout.layers.filter((l) => l.role === role)) {
      if (cellPending && !layer.activated) {
        h = recurrent(entry!, h);
        cellPending = false;
      }
      h = node('Gemm', [h, param(`${layer.name}.weight`), param(`${layer.name}.bias`)], `${layer.name}.out`, { transB: 1 });
      if (layer.activated) h = node(activation, [h], `${layer.name}.act`);
    }
    return cellPending ? recurrent(entry!, h) : h;
  };
  const features = policy.network.shared ? stack('trunk', x) : x;
  const actorOut = stack('actor', features);
  const criticOut = stack('critic', features);

  const outputs: ValueInfo[] = [];
  const batchRows = (count: number) => ['batch', count] as const;
  if (space.kind === 'box') {
    node('Identity', [actorOut], 'action_mean');
    node('Identity', [param('log_std')], 'action_log_std');
    outputs.push({ name: 'action_mean', type: 'FLOAT', shape: batchRows(space.size), doc: 'mean of the Gaussian (pre-squash u for tanh_normal)' });
    outputs.push({ name: 'action_log_std', type: 'FLOAT', shape: [space.size], doc: 'log standard deviation, shared by all rows' });
    if (policy.network.distribution === 'tanh_normal') {
      const loc = Float32Array.from(space.low, (low, d) => (space.high[d] + low) / 2);
      const scale = Float32Array.from(space.low, (low, d) => (space.high[d] - low) / 2);
      constant('action_loc', 'FLOAT', [space.size], loc);
      constant('action_scale', 'FLOAT', [space.size], scale);
      node('Add', ['action_loc', node('Mul', ['action_scale', node('Tanh', ['action_mean'], 'action_tanh')], 'action_scaled')], 'action');
    } else {
      node('Identity', ['action_mean'], 'action');
    }
    outputs.push({ name: 'action', type: 'FLOAT', shape: batchRows(space.size), doc: 'the deterministic action predict() returns' });
  } else {
    const nvec = space.kind === 'discrete' ? [space.n] : [...space.nvec];
    const count = logitCount(space);
    node('Identity', [actorOut], 'logits');
    outputs.push({ name: 'logits', type: 'FLOAT', shape: batchRows(count), doc: 'unmasked action logits, branches side by side' });
    let scores = 'logits';
    if (source.masks) {
      inputs.push({ name: 'action_mask', type: 'UINT8', shape: ['batch', count], doc: '1 = allowed, 0 = masked, per logit' });
      constant('masked_logit', 'FLOAT', [], Float32Array.of(-Infinity));
      const allowed = node('Cast', ['action_mask'], 'action_mask_bool', { to: 9 });
      scores = node('Where', [allowed, 'logits', 'masked_logit'], 'masked_logits');
    }
    // ArgMax takes the first maximum, as the wasm argmax does.
    if (nvec.length === 1) {
      node('ArgMax', [scores], 'action', { axis: 1, keepdims: 1 });
    } else {
      constant('branch_sizes', 'INT64', [nvec.length], BigInt64Array.from(nvec, BigInt));
      const branches = nvec.map((_, b) => `branch_${b}.logits`);
      nodes.push({ opType: 'Split', inputs: [scores, 'branch_sizes'], outputs: branches, attributes: { axis: 1 } });
      node('Concat', branches.map((name, b) => node('ArgMax', [name], `branch_${b}.action`, { axis: 1, keepdims: 1 })), 'action', { axis: 1 });
    }
    outputs.push({ name: 'action', type: 'INT64', shape: batchRows(nvec.length), doc: 'the deterministic action predict() returns: argmax per branch' });
  }
  constant('value_axes', 'INT64', [1], BigInt64Array.of(1n));
  node('Squeeze', [criticOut, 'value_axes'], 'value');
  outputs.push({ name: 'value', type: 'FLOAT', shape: ['batch'], doc: "the critic's value estimate" });
  if (stateSize > 0) {
    node('Concat', stateParts.sort((a, b) => a[0] - b[0]).map(([, name]) => name), 'state_out', { axis: 1 });
    outputs.push({ name: 'state_out', type: 'FLOAT', shape: ['batch', stateSize], doc: STATE_OUT_DOC });
  }

  return { name: 'webppo_policy', nodes, initializers, inputs, outputs };
}
