// The Trainer contract (DESIGN.md): both backends implement it, and the TF.js oracle in test/oracle/
// computes the same quantities independently. The math below is the definition the three agree on.
//
// Rows. A batch holds `numSteps x numEnvs` rows, time-major: row = t * numEnvs + e. Env column e is a
// "segment" of numSteps consecutive steps.
//
// Policy. Categorical spaces: the actor outputs logits (sum of branch sizes); masked logits (mask 0) get
// probability 0 and no gradient; log-prob and entropy of a MultiDiscrete row are sums over branches.
// Box + 'normal': the actor outputs the mean mu, sigma = exp(log_std) (a parameter, not an output),
//   logp(u) = sum_d [ -0.5 ((u - mu) / sigma)^2 - log sigma - 0.5 log(2 pi) ],
//   H = sum_d [ 0.5 + 0.5 log(2 pi) + log sigma ].
// Box + 'tanh_normal': the game gets a = loc + scale * tanh(u) with loc = (high + low) / 2 and
//   scale = (high - low) / 2; the batch stores u (pre-squash), and
//   logp(u) = logp_normal(u) - sum_d [ 2 (log 2 - u - softplus(-2u)) + log scale_d ].
//   Its entropy has no closed form: H = -(1/K) sum_k logp(mu + sigma * eps_k), K = samplesMcEntropy,
//   reparameterized (gradients flow through mu and sigma; eps is fixed noise).
//
// Advantages of a minibatch (rows M, |M| = m):
//   ratio r = exp(logp_new - logp_old)                          (not clamped in the loss)
//   A = batch.advantages[M]; when the minibatch is made of whole segments and the batch carries rewards,
//     A is recomputed on those segments with V-trace (DESIGN.md): rho = min(rhoClip, r'), c = min(cClip, r'),
//     r' = exp(clamp(logp_new - logp_old, -10, 10)) treated as a constant (no gradient through A);
//     next = terminated ? 0 : truncated ? bootstrapValues : (t < T-1 ? values[t+1] : lastValues[e]).
//   normalizeAdvantage true | 'minibatch': A = (A - mean(A)) / (std(A) + 1e-8), std unbiased (n - 1; 0 if m = 1).
//   normalizeAdvantage 'batch': batch.advantages are normalized once over all rows before any minibatch
//     (update); a minibatch that keeps them uses them as they are. A minibatch that recomputes its advantages
//     with V-trace normalizes the recomputed ones over its own rows, as 'minibatch' does: the loss always sees
//     normalized advantages (Metta's ppo.py normalizes after the recomputation), and recomputed advantages for
//     the whole batch never exist at once (each minibatch recomputes with the parameters of its own step).
//   A = A * w, w = importance weights (plan.weights in update, batch.weights in computeGradients; default 1).
//
// Loss (reduce = mean over the m rows, or sum when reduction = 'sum'):
//   loss_objective = -reduce(min(r A, clamp(r, 1 - clipLow, 1 + clipHigh) A))
//   loss_critic    = criticCoef * reduce(Lc), Lc = L(V, R) or, with value clip c > 0,
//                    max(L(V, R), L(V_old + clamp(V - V_old, -c, c), R)); V = new value, V_old = batch.values,
//                    R = batch.returns; L: l1 |d|, l2 d^2, smooth_l1 (|d| < 1 ? 0.5 d^2 : |d| - 0.5), d = V - R
//   loss_entropy   = entropyBonus ? -entropyCoef * reduce(H) : 0
//   total = loss_objective + loss_critic + loss_entropy. separateLosses: a shared trunk's parameters get the
//   gradient of loss_objective + loss_entropy only (the critic head still gets loss_critic's).
//
// Stats (plain means over the m rows, whatever the reduction):
//   entropy = mean(H); clip_fraction = mean(r < 1 - clipLow or r > 1 + clipHigh);
//   kl_approx = mean(logp_old - logp_new); approx_kl = mean((r - 1) - log r);
//   ess = (sum r)^2 / (sum r^2) / m; explained_variance = 1 - var(R - V) / var(R) (0 when var(R) = 0);
//   grad_norm = L2 norm of the gradient of total over all parameters, before clipping.
//
// Recurrent networks (network.memory): minibatches are whole env segments (plan unit 'segments'; the default
//   plan shuffles segments). Each segment of T steps is cut into sequences of L = min(T, sequenceLength ?? T)
//   steps starting at t = 0, L, 2L, ... (the last may be shorter). A sequence starts from the state
//   batch.hiddenStates holds for it (a constant: no gradient flows into stored states or across a sequence
//   start); within it the state carried out of a step where terminated or truncated is 1 is zero (no value and
//   no gradient crosses an episode end). The loss and everything after it are the same as for a feed-forward
//   network, over the same rows.
//
// Slicing (CPU, startUpdate): a minibatch's forward and backward passes may run in row chunks; each parameter
// gradient is one running f32 sum over the minibatch's rows in order, so chunks give the unsliced bits.
// A recurrent network's passes couple rows through time, so they run whole (a slice holds at least one pass).
//
// Optimizer (one step per minibatch): g = grad; if maxGradNorm is finite and > 0, g *= min(1, maxGradNorm /
// (||g|| + 1e-6)); step += 1; theta *= 1 - lr * weightDecay; m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g^2;
// theta -= lr * (m / (1 - 0.9^step)) / (sqrt(v / (1 - 0.999^step)) + adamEps).
// targetKl: after each epoch, when the mean approx_kl of that epoch's minibatches exceeds it, the update stops.
// Imitation (behaviour cloning, imitate / computeImitationGradients) of a DemoBatch: rows are independent
// demonstrated steps (no time structure), a minibatch M of m rows:
//   loss_bc     = -mean(w_i logp(a_i | s_i)), always a mean whatever `reduction` says; w = plan.weights (default 1)
//   loss_critic = criticCoef * mean((V - R)^2), R = the demonstration's returns; criticCoef 0 (default): actor only
//   total = loss_bc + loss_critic: no ratio, advantage, clip or entropy term. separateLosses as in PPO.
//   So dL/dlogp_i = -w_i / m, dL/dV_i = 2 criticCoef (V_i - R_i) / m, dL/dH_i = 0; the heads' backward passes
//   are the PPO ones. Box actions of a demonstration are what the game got: 'normal' uses them as they are (u = a);
//   'tanh_normal' inverts the squash, u = atanh(clamp((a - loc) / scale, -(1 - 1e-6), 1 - 1e-6)) in float64, so
//   an action on (or beyond) the box's edge is read as the nearest one a tanh can reach (|u| <= 7.25).
//   Stats: loss_bc, loss_critic, log_likelihood = mean(logp) (unweighted); accuracy (categorical only) = mean over
//   rows and branches of [argmax of the branch's allowed logits == a] (ties: the first index), and branchAccuracy
//   the same per branch; grad_norm as PPO.
//   The optimizer step is PPO's (same Adam moments and step count), with lr = options.learningRate, default the
//   current learning rate.
// Imitation with a recurrent network (network.memory): the rows are replayed in time order per recorded agent.
//   A stream is the rows with one `streams` id, in row order; streams are numbered by their first row. Each
//   starts from a zero state, and the state carried out of a row whose episodeEnds is 1 is zero. A stream is
//   cut into sequences of L = min(longest stream, memory.sequenceLength ?? longest stream) rows at stream
//   positions 0, L, 2L, ...; sequences are numbered stream by stream, then by position, and a plan's
//   'segments' index them. A sequence at position 0 starts from zero; one that starts inside a stream starts
//   from the state the forward pass reaches there, computed once at the start of each imitate /
//   computeImitationGradients call with the parameters of that moment, and held constant (no gradient crosses a
//   sequence start). A minibatch of k sequences runs as the L x k recurrent batch of PPO (row t * k + j is step
//   t of its j-th sequence); rows past the end of a stream pad a short last sequence and count nowhere:
//   loss_bc = -sum(w_i logp_i) / n over the minibatch's n demonstrated rows, and likewise the critic term and
//   the stats. So computeImitationGradients (every sequence, current parameters) is the gradient of the stream
//   unrolled whole, with the state's gradient stopped at each sequence start.
import type { PPOConfig } from '../config.js';
import type { ParameterEntry, PolicySpec } from '../policy/network.js';

/** A backend that actually trains: the WebAssembly CPU backend or WebGPU. */
export type BackendName = 'webgpu' | 'cpu';

/**
 * One rollout for a trainer: `numSteps x numEnvs` rows, time-major (row = t * numEnvs + e). Per-row vectors are
 * row-major (`observations[row * observationSize + k]`).
 */
export interface Batch {
  /** Time steps per env (T). */
  numSteps: number;
  /** Envs (agents) per time step (N); env column e is one segment of T steps. */
  numEnvs: number;
  /** rows x observationSize */
  observations: Float32Array;
  /** rows x branches (Int32Array, categorical) or rows x dims (Float32Array, Box; pre-squash u for tanh_normal) */
  actions: Int32Array | Float32Array;
  /** Log-probs under the policy that acted. */
  logProbs: Float32Array;
  /** Values predicted when acting. */
  values: Float32Array;
  /** First-pass advantages (ratio = 1). */
  advantages: Float32Array;
  /** Value targets: advantages + values (computed with ratio 1). */
  returns: Float32Array;
  /** rows x logits, 1 = allowed (categorical spaces only). */
  masks?: Uint8Array;
  /** Importance weights per row, for computeGradients; update takes them from the plan. */
  weights?: Float32Array;
  /** Present when minibatches of whole segments should recompute advantages with V-trace. */
  rewards?: Float32Array;
  /** Per row, 1 when the episode terminated at this step (bootstrap from 0). */
  terminated?: Uint8Array;
  /** Per row, 1 when the episode was truncated at this step (bootstrap from `bootstrapValues`). */
  truncated?: Uint8Array;
  /** Per row, the value of the final observation of a truncated episode (0 elsewhere). */
  bootstrapValues?: Float32Array;
  /** numEnvs: the value of the observation after each segment's last step. */
  lastValues?: Float32Array;
  /**
   * Recurrent networks only (required there): the state entering each sequence, `numSequences x numEnvs x
   * stateSize` floats with numSequences = ceil(numSteps / L), L = min(numSteps, memory.sequenceLength ??
   * numSteps); entry `(s * numEnvs + e) * stateSize + k` belongs to step t = s * L of env e. The state vector
   * is the cells' states in layout order (`layout.memories`: one shared, or actor's then critic's), each h
   * [size] then, for an LSTM, c [size]. terminated and truncated are required with it (they reset the state).
   */
  hiddenStates?: Float32Array;
  /** samplesMcEntropy x rows x dims standard normals for the tanh_normal entropy; drawn by the trainer if absent. */
  entropyNoise?: Float32Array;
}

/** Which rows (or env segments) each minibatch of each epoch uses. */
export interface MinibatchPlan {
  /** Whether indices name rows (`t * numEnvs + e`) or whole env segments (`e`). */
  unit: 'rows' | 'segments';
  /** Epochs (passes over the batch). */
  numEpochs: number;
  /** Minibatches per epoch; each is one optimizer step. */
  numMinibatches: number;
  /** Rows, or segments, per minibatch. */
  unitsPerMinibatch: number;
  /** numEpochs x numMinibatches x unitsPerMinibatch indices: rows (t * numEnvs + e) or segments (e). */
  indices: Int32Array;
  /** Importance weights, same shape as indices (a segment's weight applies to all its rows); absent = 1. */
  weights?: Float32Array;
}

/**
 * The statistics of one minibatch's loss (an update reports their means). Names follow torchrl / CleanRL / Metta;
 * the definitions are in `src/backend/trainer.ts`.
 */
export interface LossStats {
  /** Clipped policy loss: `-mean(min(r A, clip(r, 1 - low, 1 + high) A))`. */
  loss_objective: number;
  /** Value loss times `criticCoef` (l1, l2 or smooth_l1, optionally value-clipped). */
  loss_critic: number;
  /** Entropy term: `-entropyCoef * mean(H)`, 0 with `entropyBonus: false`. */
  loss_entropy: number;
  /** Mean policy entropy (Monte Carlo estimate for tanh_normal). */
  entropy: number;
  /** Fraction of rows whose ratio fell outside the clip range. */
  clip_fraction: number;
  /** KL estimate `mean(logp_old - logp_new)` (the naive estimator). */
  kl_approx: number;
  /** KL estimate `mean((r - 1) - log r)` (the low-variance one; `targetKl` uses it). */
  approx_kl: number;
  /** Normalized effective sample size of the ratios, `(sum r)^2 / (sum r^2) / m`, 1 on-policy. */
  ess: number;
  /** How much of the returns the critic explains: `1 - var(R - V) / var(R)` (0 when var(R) = 0). */
  explained_variance: number;
  /** Global L2 norm of the gradient, before clipping. */
  grad_norm: number;
}

/** Means over the minibatches an update ran, and how many ran. */
export interface UpdateStats extends LossStats {
  /** Epochs run (fewer than numEpochs when `targetKl` stopped the update early). */
  epochs: number;
  /** Minibatches (optimizer steps) run. */
  minibatches: number;
  /** Updates an Agent ran in frame-budget slices (CPU, game loop): how many slices (1 when run whole). */
  slices?: number;
  /** ... and the longest of them, in ms. */
  longestSliceMs?: number;
}

/**
 * One update cut into slices of bounded time (startUpdate). Slicing changes timing, never results: the same
 * batch and plan give the bits of update() however the slices fall.
 */
export interface UpdateJob {
  /** Runs the update for about `budgetMs` (Infinity: to the end); true once it has finished. */
  run(budgetMs: number): boolean;
  readonly done: boolean;
  /** The update's stats, once done (the same as update() gives). */
  readonly stats: UpdateStats | undefined;
  /** Slices run so far, and the longest of them (ms). */
  readonly slices: number;
  readonly longestSliceMs: number;
  /** What stopped the update, when a slice threw (run() threw it too, and the job is done). */
  readonly error: unknown;
}

/** What schedules change between updates. */
export interface Hyperparameters {
  /** Adam step size for the next update. */
  learningRate: number;
  /** Entropy coefficient for the next update. */
  entropyCoef: number;
  /** PPO clip for the next update: symmetric, or `[low, high]`. */
  clipEpsilon: number | readonly [number, number];
}

/**
 * Demonstrated steps for behaviour cloning: `rows` (observation, action) pairs, row-major like a {@link Batch};
 * independent for a feed-forward network, replayed per recorded agent (`streams`, `episodeEnds`) for a recurrent
 * one. The math is in `src/backend/trainer.ts`.
 */
export interface DemoBatch {
  /** Demonstrated steps. */
  rows: number;
  /** rows x observationSize */
  observations: Float32Array;
  /**
   * rows x branches (Int32Array, categorical) or rows x dims (Float32Array, Box): the action the game got; for
   * 'tanh_normal' a point of the box (the trainer inverts the squash).
   */
  actions: Int32Array | Float32Array;
  /** rows x logits, 1 = allowed (categorical spaces only). */
  masks?: Uint8Array;
  /** Value targets (discounted returns of the demonstration); needed when `criticCoef > 0`. */
  returns?: Float32Array;
  /**
   * Recurrent networks only (required there): per row, the recorded agent it belongs to (any integer id); the
   * rows of one id are that agent's steps in time order. Feed-forward networks ignore it.
   */
  streams?: Int32Array;
  /**
   * Recurrent networks only (required there): per row, 1 when the episode ended at this step (terminated or
   * truncated), so the agent's next row starts from a zero state. Feed-forward networks ignore it.
   */
  episodeEnds?: Uint8Array;
}

/** How imitate / computeImitationGradients weigh the terms and step. */
export interface ImitationOptions {
  /**
   * Weight of the critic's `mean((V - R)^2)` on the demonstration's returns; 0 trains the actor only.
   * @default 0
   */
  criticCoef?: number;
  /**
   * Adam step size of these steps (imitate only).
   * @default the trainer's current learning rate
   */
  learningRate?: number;
}

/** The statistics of behaviour cloning on one minibatch (imitate reports their means). */
export interface ImitationStats {
  /** `-mean(logp(a_demo | s))`. */
  loss_bc: number;
  /** `criticCoef * mean((V - R)^2)` (0 without a critic term). */
  loss_critic: number;
  /** `mean(logp(a_demo | s))`: the demonstrated actions' mean log-likelihood. */
  log_likelihood: number;
  /** Categorical only: how often the policy's most likely action is the demonstrated one (mean over branches). */
  accuracy?: number;
  /** Categorical only: the accuracy of each branch (one entry for Discrete). */
  branchAccuracy?: number[];
  /** Global L2 norm of the gradient, before clipping. */
  grad_norm: number;
}

/** Means over the minibatches imitate ran, and how many ran. */
export interface ImitationUpdateStats extends ImitationStats {
  /** Epochs run. */
  epochs: number;
  /** Minibatches (optimizer steps) run. */
  minibatches: number;
}

/** Adam's state, in the parameter layout: what a checkpoint keeps so training resumes exactly. */
export interface OptimizerState {
  /** Adam first and second moments, in the parameter layout. */
  m: Float32Array;
  /** Adam second moments. */
  v: Float32Array;
  /** Optimizer steps taken (for the bias corrections). */
  step: number;
}

/** What a trainer is built from. */
export interface TrainerOptions {
  /** Observation size, action space and network. */
  policy: PolicySpec;
  /** The full PPO config (use {@link resolvePPOConfig} to fill defaults). */
  ppo: PPOConfig;
  /** Seeds the initial parameters, default minibatch plans and entropy noise. */
  seed: number;
  /**
   * Initial parameters (flat, in the network layout).
   * @default seeded orthogonal init ({@link initialParameters})
   */
  parameters?: Float32Array;
}

/**
 * The contract every backend implements (the CPU, WebGPU and worker trainers): gradients and whole PPO
 * updates over a {@link Batch}, with parameters and optimizer state in the backend's own memory.
 */
export interface Trainer {
  /** Which backend trains. */
  readonly backend: BackendName;
  /** Name, shape and offset of each parameter in the flat buffer (PyTorch names). */
  readonly parameterLayout: readonly ParameterEntry[];
  /** A copy of the parameters (flat, in `parameterLayout` order). */
  getParameters(): Promise<Float32Array>;
  /** Replaces the parameters (flat, in `parameterLayout` order). */
  setParameters(flat: Float32Array): void;
  /**
   * Gradient of the total loss with the batch as one minibatch; no optimizer step.
   * @property grads The gradient, flat, in `parameterLayout` order.
   * @property stats The loss statistics of the batch.
   */
  computeGradients(batch: Batch): Promise<{ grads: Float32Array; stats: LossStats }>;
  /** All epochs and minibatches of one PPO update; default plan: shuffled rows from the config. */
  update(batch: Batch, plan?: MinibatchPlan): Promise<UpdateStats>;
  /**
   * The same update, run by the caller in slices (trainers that compute on the calling thread). The batch is
   * copied before it returns; the trainer takes no other update until the job is done.
   */
  startUpdate?(batch: Batch, plan?: MinibatchPlan): UpdateJob;
  /**
   * Gradient of the behaviour-cloning loss with the demonstrations as one minibatch; no optimizer step.
   * @property grads The gradient, flat, in `parameterLayout` order.
   * @property stats The cloning statistics of the rows.
   */
  computeImitationGradients(demo: DemoBatch, options?: ImitationOptions): Promise<{ grads: Float32Array; stats: ImitationStats }>;
  /**
   * Behaviour-cloning steps: every epoch and minibatch of `plan` (indices are demonstration rows, unit 'rows';
   * for a recurrent network, sequences numbered as `demoSequences` numbers them, unit 'segments'; default: one epoch of
   * shuffled rows or sequences in the config's numMinibatches), one Adam step each.
   */
  imitate(demo: DemoBatch, plan?: MinibatchPlan, options?: ImitationOptions): Promise<ImitationUpdateStats>;
  /** Changes the learning rate, entropy coefficient or clip for the next calls. */
  setHyperparameters(values: Partial<Hyperparameters>): void;
  /** A copy of Adam's moments and step. */
  getOptimizerState(): Promise<OptimizerState>;
  /** Restores Adam's moments and step (from `getOptimizerState` or a checkpoint). */
  setOptimizerState(state: OptimizerState): void;
  /** Frees the trainer's memory (wasm blocks, GPU buffers, its worker). */
  dispose(): void;
}

/**
 * Whether a minibatch normalizes its advantages over its own rows: always for `true` and 'minibatch'; for
 * 'batch' only when it recomputed them with V-trace (the batch-wide normalization was of the first pass).
 */
export function normalizesMinibatch(mode: PPOConfig['normalizeAdvantage'], recomputed: boolean): boolean {
  return mode === true || mode === 'minibatch' || (mode === 'batch' && recomputed);
}

export const STAT_NAMES = [
  'loss_objective', 'loss_critic', 'loss_entropy', 'entropy', 'clip_fraction',
  'kl_approx', 'approx_kl', 'ess', 'explained_variance', 'grad_norm',
] as const satisfies readonly (keyof LossStats)[];
