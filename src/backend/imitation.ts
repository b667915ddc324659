// Behaviour cloning, shared by every backend: a DemoBatch is checked once (fields named as the caller wrote
// them) and turned into the Batch the PPO machinery already consumes (one segment of `rows` steps, or for a
// recurrent network one segment per sequence of a recorded agent; the PPO columns zero); each backend then runs
// its own forward and backward passes with the loss in imitation mode.
// The math is in src/backend/trainer.ts.
import { checkArray, checkInteger, checkNumber, checkOptions, fail, ValidationError } from '../errors.js';
import { networkLayout, sequenceLength, type MemorySpec, type PolicySpec } from '../policy/network.js';
import { createMinibatchPlan } from '../storage/plan.js';
import { actionSize } from '../spaces.js';
import type { Batch, DemoBatch, ImitationOptions, ImitationStats, LossStats, MinibatchPlan } from './trainer.js';
import { validateBatch, validatePlan } from './validate.js';

/** How far inside (-1, 1) a demonstrated tanh_normal action is clamped before atanh (|u| <= 7.25). */
export const SQUASH_EDGE = 1e-6;

/** What a backend's loss needs to run in imitation mode. */
export interface ImitationMode {
  criticCoef: number;
  learningRate: number;
  /**
   * Recurrent networks: how the batch's L x count rows are the demonstration's sequences, and which of them
   * are demonstrated rows (1) rather than padding past a stream's end (0). The batch's hiddenStates are zeros:
   * the backend fills the states of sequences that start inside a stream before any minibatch.
   */
  sequences?: DemoSequences & { valid: Uint8Array };
}

/**
 * A recurrent demonstration cut into sequences (the rule is in src/backend/trainer.ts): streams in order of
 * their first row, each cut at positions 0, L, 2L, ...; sequences numbered stream by stream, then by position.
 */
export interface DemoSequences {
  /** L: steps per sequence. */
  length: number;
  /** Sequences in all. */
  count: number;
  /** Streams (recorded agents) in all. */
  streams: number;
  /** [streams + 1]: each stream's first sequence, then `count`; stream j's sequences are firstSequence[j] .. firstSequence[j + 1] - 1. */
  firstSequence: Int32Array;
  /** [length x count], time-major: the demonstration row at step t of sequence s is rows[t * count + s], -1 past its stream's end. */
  rows: Int32Array;
}

/**
 * How `streams` (a stream id per row, see DemoBatch) cut into sequences of `memory.sequenceLength` (default:
 * the longest stream) rows. Use it to size a plan of whole sequences for imitate.
 */
export function demoSequences(streams: Int32Array, memory: MemorySpec): DemoSequences {
  const order = new Map<number, number[]>();
  for (let row = 0; row < streams.length; row++) {
    const id = streams[row];
    let list = order.get(id);
    if (list === undefined) order.set(id, (list = []));
    list.push(row);
  }
  const lists = [...order.values()];
  const longest = lists.reduce((n, l) => Math.max(n, l.length), 0);
  const length = sequenceLength(longest, memory);
  const firstSequence = new Int32Array(lists.length + 1);
  lists.forEach((l, j) => { firstSequence[j + 1] = firstSequence[j] + Math.ceil(l.length / length); });
  const count = firstSequence[lists.length];
  const rows = new Int32Array(length * count).fill(-1);
  lists.forEach((l, j) => {
    for (let i = 0; i < l.length; i++) {
      const s = firstSequence[j] + Math.floor(i / length);
      rows[(i % length) * count + s] = l[i];
    }
  });
  return { length, count, streams: lists.length, firstSequence, rows };
}

/**
 * Checks a demonstration batch and its options and returns the Batch the backends run (numSteps = rows,
 * numEnvs = 1; tanh_normal actions mapped back to u) and the resolved mode. Throws naming `demo.*` fields.
 */
export function imitationInputs(
  demo: DemoBatch, policy: PolicySpec, options: ImitationOptions | undefined, learningRate: number,
): { batch: Batch; mode: ImitationMode } {
  const opts = checkOptions('options', options, ['criticCoef', 'learningRate']);
  const criticCoef = opts.criticCoef === undefined ? 0 : checkNumber('options.criticCoef', opts.criticCoef, 0);
  const lr = opts.learningRate === undefined ? learningRate : checkNumber('options.learningRate', opts.learningRate, 0);
  if (typeof demo !== 'object' || demo === null) fail('demo', 'a DemoBatch', demo);
  const rows = checkInteger('demo.rows', demo.rows, 1);
  const space = policy.actionSpace;
  const perRow = actionSize(space);
  checkArray('demo.observations', demo.observations, Float32Array, rows * policy.observationSize, policy.observationSize);
  let actions: Int32Array | Float32Array;
  if (space.kind === 'box') {
    const given = checkArray('demo.actions', demo.actions, Float32Array, rows * perRow, perRow);
    actions = policy.network.distribution === 'tanh_normal' ? unsquash(given, space.low, space.high) : given;
  } else {
    actions = checkArray('demo.actions', demo.actions, Int32Array, rows * perRow, perRow);
  }
  if (criticCoef > 0 && demo.returns === undefined) fail('demo.returns', 'returns per row when options.criticCoef > 0', undefined);
  const returns = demo.returns === undefined ? new Float32Array(rows) : checkArray('demo.returns', demo.returns, Float32Array, rows);
  const zeros = new Float32Array(rows);
  const batch: Batch = {
    numSteps: rows, numEnvs: 1, observations: demo.observations, actions, logProbs: zeros, values: zeros,
    advantages: zeros, returns, ...(demo.masks === undefined ? {} : { masks: demo.masks }),
  };
  const memory = policy.network.memory;
  // The rows as given are checked as independent rows; a recurrent network then gathers them into sequences.
  checkDemoBatch(batch, { ...policy, network: { ...policy.network, memory: undefined } });
  const mode = { criticCoef, learningRate: lr };
  return memory === undefined ? { batch, mode } : recurrentInputs(demo, batch, policy, memory, mode);
}

/** The same checks as a PPO batch (actions in range, masks), reported against the caller's names. */
function checkDemoBatch(batch: Batch, policy: PolicySpec): void {
  try {
    validateBatch(batch, policy);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(error.field.replace(/^batch\./, 'demo.'), error.expected, error.actual);
    throw error;
  }
}

/**
 * A recurrent network's demonstration batch: the checked rows gathered into sequences (numSteps = L, numEnvs =
 * the sequence count), episode ends as `terminated`, zero stored states; padding rows (zero observation, action
 * 0, every action allowed) count nowhere.
 */
function recurrentInputs(demo: DemoBatch, rowsBatch: Batch, policy: PolicySpec, memory: MemorySpec, mode: ImitationMode): { batch: Batch; mode: ImitationMode } {
  const rows = demo.rows;
  const need = 'for a recurrent network (network.memory)';
  if (demo.streams === undefined) fail('demo.streams', `an Int32Array of ${rows} (which recorded agent each row belongs to) ${need}`, undefined);
  if (demo.episodeEnds === undefined) fail('demo.episodeEnds', `a Uint8Array of ${rows} (1 where an episode ended) ${need}`, undefined);
  const streams = checkArray('demo.streams', demo.streams, Int32Array, rows);
  const ends = checkArray('demo.episodeEnds', demo.episodeEnds, Uint8Array, rows);
  for (let i = 0; i < rows; i++) if (ends[i] > 1) fail(`demo.episodeEnds[${i}]`, '0 or 1', ends[i]);
  const seq = demoSequences(streams, memory);
  const n = seq.length * seq.count;
  const pick = <A extends Float32Array | Int32Array | Uint8Array>(source: A, pad: number): A => {
    const width = source.length / rows;
    const out = new (source.constructor as { new (size: number): A })(n * width);
    for (let r = 0; r < n; r++) {
      const d = seq.rows[r];
      if (d >= 0) out.set(source.subarray(d * width, (d + 1) * width), r * width);
      else if (pad !== 0) out.fill(pad, r * width, (r + 1) * width);
    }
    return out;
  };
  const zeros = new Float32Array(n);
  const batch: Batch = {
    numSteps: seq.length, numEnvs: seq.count, observations: pick(rowsBatch.observations, 0), actions: pick(rowsBatch.actions, 0),
    logProbs: zeros, values: zeros, advantages: zeros, returns: pick(rowsBatch.returns, 0),
    ...(rowsBatch.masks === undefined ? {} : { masks: pick(rowsBatch.masks, 1) }), // padding: every action allowed
    terminated: pick(ends, 0), truncated: new Uint8Array(n),
    hiddenStates: new Float32Array(seq.count * networkLayout(policy).stateSize),
  };
  const valid = Uint8Array.from(seq.rows, (d) => (d >= 0 ? 1 : 0));
  return { batch, mode: { ...mode, sequences: { ...seq, valid } } };
}

/** Game actions in [low, high] -> pre-squash u = atanh((a - loc) / scale), clamped inside the open interval. */
export function unsquash(actions: Float32Array, low: ArrayLike<number>, high: ArrayLike<number>): Float32Array {
  const dims = low.length;
  const out = new Float32Array(actions.length);
  for (let i = 0; i < actions.length; i++) {
    const d = i % dims;
    const a = actions[i];
    if (!Number.isFinite(a)) fail(`demo.actions[${i}]`, 'a finite number', a);
    const loc = (high[d] + low[d]) / 2;
    const scale = (high[d] - low[d]) / 2;
    const y = Math.min(1 - SQUASH_EDGE, Math.max(-(1 - SQUASH_EDGE), (a - loc) / scale));
    out[i] = Math.atanh(y);
  }
  return out;
}

/**
 * The plan imitate runs without one: `numEpochs` of shuffled rows in `numMinibatches` (at most rows); for a
 * recurrent network (`recurrent`), of shuffled whole sequences (at most one minibatch per sequence).
 */
export function imitationPlan(batch: Batch, numEpochs: number, numMinibatches: number, seed: number, recurrent = false): MinibatchPlan {
  if (recurrent) {
    // Whole sequences (the batch's segments).
    return createMinibatchPlan({
      numSteps: batch.numSteps, numEnvs: batch.numEnvs, numEpochs, numMinibatches: Math.min(numMinibatches, batch.numEnvs),
      unit: 'segments', mode: 'shuffled', seed,
    });
  }
  return createMinibatchPlan({
    numSteps: batch.numSteps, numEnvs: 1, numEpochs, numMinibatches: Math.min(numMinibatches, batch.numSteps),
    unit: 'rows', mode: 'shuffled', seed,
  });
}

/** A caller's plan for a demonstration batch: rows, or for a recurrent network (`recurrent`) whole sequences. */
export function validateImitationPlan(plan: MinibatchPlan, batch: Batch, recurrent = false): void {
  validatePlan(plan, batch, recurrent);
  if (!recurrent && plan.unit !== 'rows') fail('plan.unit', "'rows' (demonstration rows are independent)", plan.unit);
}

/**
 * Behaviour cloning of a recurrent network (`memory`) runs on the CPU backend only: on any other `backend` it
 * is refused, naming network.memory.
 */
export function refuseRecurrentImitation(memory: MemorySpec | undefined, backend: string): void {
  if (memory !== undefined && backend !== 'cpu') {
    fail('network.memory', `a feed-forward network for behaviour cloning on the ${backend} backend (a recurrent one clones on backend 'cpu')`, memory);
  }
}

/**
 * The backends run the cloning loss through the PPO stat slots: loss_objective holds loss_bc, loss_critic the
 * critic term, clip_fraction the accuracy. This names them.
 */
export function imitationStats(stats: LossStats, categorical: boolean, branchAccuracy: readonly number[]): ImitationStats {
  return {
    loss_bc: stats.loss_objective,
    loss_critic: stats.loss_critic,
    log_likelihood: stats.kl_approx,
    ...(categorical ? { accuracy: stats.clip_fraction, branchAccuracy: [...branchAccuracy] } : {}),
    grad_norm: stats.grad_norm,
  };
}
