// The WebGPU Trainer: parameters, gradients and Adam moments live in flat GPU buffers (the networkLayout()
// order); a whole update (every epoch and minibatch) is recorded into one compute pass, submitted once and
// read back once (stats + parameters). The math is src/backend/trainer.ts's.
import { clipRange, resolvePPOConfig, valueClipRange, type PPOConfig } from '../../config.js';
import { checkArray, checkInteger, fail } from '../../errors.js';
import { initialParameters } from '../../policy/init.js';
import { networkLayout, sequenceLength, type NetworkLayout, type PolicySpec } from '../../policy/network.js';
import { PCG32 } from '../../rng.js';
import { actionSize, logitCount, type ActionSpace } from '../../spaces.js';
import {
  normalizesMinibatch, STAT_NAMES, type Batch, type DemoBatch, type Hyperparameters, type ImitationOptions, type ImitationStats,
  type ImitationUpdateStats, type LossStats, type MinibatchPlan, type OptimizerState,
  type Trainer, type TrainerOptions, type UpdateStats,
} from '../trainer.js';
import { createMinibatchPlan } from '../../storage/plan.js';
import { viewsSurvivingGrowth } from '../../wasm-memory.js';
import { validateBatch, validatePlan, validatePolicy } from '../validate.js';
import { imitationInputs, imitationPlan, imitationStats, refuseRecurrentImitation, validateImitationPlan, type ImitationMode } from '../imitation.js';
import { DeviceLostError, requestDevice } from './device.js';
import type { GPUDeviceLike, KernelVariant } from './gpu-types.js';
import { getKernels, hasSubgroups, type Kernel, type KernelName } from './kernels.js';
import { networkGraph, type NetworkGraph } from './network.js';
import {
  cellGradientBufferFloats, cellGradientFloats, cellOutput, cellRecordFloats, columnCount, recordCellBackward, recordCellForward,
  type Sequencing,
} from './recurrent.js';
import { BindGroupCache, Recorder } from './recorder.js';
import {
  partialFloats, recordAdvantageMoments, recordColumnSum, recordGradNorm, recordLossStats, recordMatmul,
  recordWeightGradient,
} from './variants.js';

const SCRATCH_STRIDE = 16; // per-row scratch columns (heads.wgsl, ppo_loss.wgsl)
const GRAD_VALUE = 6;
const DATA_STRIDE = 8; // packed batch data (advantage.wgsl)
const STAT_SLOT = 12; // reduce.wgsl: 10 stats, ran, pad
const RAN = 10;
const CRITIC_TYPES = { l1: 0, l2: 1, smooth_l1: 2 } as const;
const NOISE_STREAM = 0x5eed;
const PLAN_SEED_STREAM = 0x91a2;

/** Options of {@link createWebGPUTrainer}. */
export interface WebGPUTrainerOptions extends TrainerOptions {
  /** A device to use (not destroyed by dispose); default: one requested from navigator.gpu or the webgpu package. */
  device?: GPUDeviceLike;
  /**
   * Which kernels run the update's matrix products and reductions: 'direct' (barrier-free, fast on software
   * adapters), 'tiled' (workgroup-memory tiles, split-K, multi-workgroup reductions, for hardware GPUs), or
   * 'auto' (default): both timed on this adapter for each minibatch shape, once per process, the faster kept.
   */
  kernels?: 'auto' | KernelVariant;
  /**
   * Whether the whole-minibatch reductions (loss stats, advantage moments, gradient norm) sum with subgroup
   * operations: true (the device must have the 'subgroups' feature), false (workgroup-memory trees), or 'auto'
   * (default): timed both ways alongside `kernels` where the device has the feature, else false.
   */
  subgroups?: 'auto' | boolean;
}

/**
 * What the trainer runs for one adapter and minibatch shape, and what 'auto' measured: milliseconds per
 * minibatch of each candidate it timed, by name ('direct', 'tiled', 'direct+subgroups', 'tiled+subgroups'),
 * NaN for those it did not (not a candidate, or a subgroup twin of a variant already over 2x slower).
 */
export interface VariantChoice {
  variant: KernelVariant;
  /** Whether the reductions sum with subgroup operations. */
  subgroups: boolean;
  ms: Record<KernelVariant, number> & Partial<Record<`${KernelVariant}+subgroups`, number>>;
}

/** One kernel choice: the matrix-product variant and whether the reductions use subgroups. */
interface Candidate { variant: KernelVariant; subgroups: boolean }
const candidateName = (c: Candidate) => (c.subgroups ? `${c.variant}+subgroups` as const : c.variant);

// Measured choices by adapter and minibatch shape, shared by every trainer of the process.
const measuredVariants = new Map<string, VariantChoice>();

/** Submits and readbacks so far, for tests and benchmarks. */
export interface GPUCounters {
  /** Command buffers submitted to the GPU queue. */
  submits: number;
  /** Buffers mapped to read results back to the CPU. */
  readbacks: number;
}

/** One step's view of the buffers a minibatch's dispatches use. */
interface Step {
  base: number;
  m: number;
  vtrace: boolean;
  slot: number;
  /** Adam bias corrections; absent for computeGradients. */
  adam?: { correction1: number; correction2: number };
}

/**
 * A trainer on WebGPU: parameters, gradients and Adam state stay on the GPU; a whole update is one submit
 * and one readback. WebGPU comes from `navigator.gpu` (browsers, Deno) or the optional `webgpu` package in
 * Node; rejects when no adapter is found.
 */
export async function createWebGPUTrainer(options: WebGPUTrainerOptions): Promise<WebGPUTrainer> {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
  const ppo = resolvePPOConfig(options.ppo);
  const policy = validatePolicy(options.policy, 'options.policy');
  const seed = checkInteger('options.seed', options.seed, 0, 0xffffffff);
  const layout = networkLayout(policy);
  const parameters = options.parameters === undefined
    ? initialParameters(layout, seed)
    : checkArray('options.parameters', options.parameters, Float32Array, layout.size).slice();
  const owned = options.device === undefined;
  const variant = options.kernels ?? 'auto';
  if (variant !== 'auto' && variant !== 'direct' && variant !== 'tiled') fail('options.kernels', "'auto', 'direct' or 'tiled'", variant);
  const subgroups = options.subgroups ?? 'auto';
  if (subgroups !== 'auto' && typeof subgroups !== 'boolean') fail('options.subgroups', "'auto', true or false", subgroups);
  if (subgroups === true && options.device !== undefined && !hasSubgroups(options.device as GPUDevice)) {
    fail('options.subgroups', "'auto' or false (the given device was created without the 'subgroups' feature)", subgroups);
  }
  const device = (options.device as GPUDevice | undefined) ?? (await requestDevice());
  try {
    if (subgroups === true && !hasSubgroups(device)) fail('options.subgroups', "'auto' or false (this adapter has no 'subgroups' feature)", subgroups);
    const kernels = await getKernels(device, { tiled: variant === 'tiled', recurrent: policy.network.memory !== undefined });
    return new WebGPUTrainer(device, owned, kernels, policy, ppo, layout, parameters, seed, variant, subgroups === 'auto' ? (hasSubgroups(device) ? 'auto' : false) : subgroups);
  } catch (error) {
    if (owned) device.destroy();
    throw error;
  }
}

/** The WebGPU {@link Trainer} (create it with {@link createWebGPUTrainer}). */
export class WebGPUTrainer implements Trainer {
  /** Always `'webgpu'`. */
  readonly backend = 'webgpu' as const;
  /** Name, shape and offset of each parameter in the flat buffer (PyTorch names). */
  readonly parameterLayout: NetworkLayout['parameters'];
  /** Submits and readbacks so far (for tests and benchmarks). */
  readonly counters: GPUCounters = { submits: 0, readbacks: 0 };
  /** Dispatches recorded by the last update or gradient computation. */
  dispatches = 0;
  /** The variant the last update or gradient computation ran, and what 'auto' measured for its shape. */
  lastVariant?: VariantChoice;
  private readonly hyper: Hyperparameters;
  private readonly graph: NetworkGraph;
  private readonly buffers = new Map<string, GPUBuffer>();
  private readonly arena: { buffer?: GPUBuffer } = {};
  private readonly bindGroups = new BindGroupCache();
  /** The kernel table with the reductions' subgroup twins, compiled when a candidate first needs it. */
  private subgroupKernels?: Record<KernelName, Kernel>;
  private readonly noise: PCG32;
  /** Seeds of the default (shuffled rows) plans. */
  private readonly plans: PCG32;
  /** The parameters as last written or read back: what a new trainer resumes from after a device loss. */
  private lastParameters: Float32Array;
  /** Parameters and Adam state read back with the last update, until something else writes them. */
  private updated?: { parameters: Float32Array; optimizer: OptimizerState };
  /** Whether the network has recurrent cells: minibatches are then whole segments, run as sequences. */
  private get recurrent(): boolean { return this.layout.memories.length > 0; }
  /** The device this trainer runs on (a `GPUDevice` when your project has WebGPU types). */
  get device(): GPUDeviceLike { return this.gpuDevice; }
  private step = 0;
  private lost?: string;
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set while an imitate / computeImitationGradients call records its steps: the loss is behaviour cloning's. */
  private imitation: ImitationMode | undefined;
  /** Cloning's accuracy per branch, as the last imitation call measured it. */
  private branchAccuracy: number[] = [];

  /** @internal Use createWebGPUTrainer(). */
  constructor(
    private readonly gpuDevice: GPUDevice,
    private readonly ownsDevice: boolean,
    private readonly kernels: Record<KernelName, Kernel>,
    private readonly policy: PolicySpec,
    private readonly ppo: PPOConfig,
    private readonly layout: NetworkLayout,
    parameters: Float32Array,
    seed: number,
    private readonly variantOption: 'auto' | KernelVariant = 'auto',
    private readonly subgroupsOption: 'auto' | boolean = false,
  ) {
    this.parameterLayout = layout.parameters;
    this.hyper = { learningRate: ppo.learningRate, entropyCoef: ppo.entropyCoef, clipEpsilon: ppo.clipEpsilon };
    this.graph = networkGraph(policy, layout, ppo.separateLosses);
    this.noise = new PCG32(seed, NOISE_STREAM);
    this.plans = new PCG32(seed, PLAN_SEED_STREAM);
    this.lastParameters = parameters.slice();
    gpuDevice.lost.then((info) => { this.lost = info.message || info.reason || 'unknown'; });
    const bytes = layout.size * 4;
    for (const name of ['params', 'grads', 'adamM', 'adamV']) this.buffer(name, bytes);
    gpuDevice.queue.writeBuffer(this.buffer('params', bytes), 0, parameters);
    this.buffer('scalars', 64);
    this.writeSpace();
  }

  // ---- Trainer ----

  /** Reads the parameters back from the GPU (flat, in `parameterLayout` order). */
  getParameters(): Promise<Float32Array> {
    return this.serial(async () => {
      const [params] = await this.readback(this.gpuDevice.createCommandEncoder(), [[this.get('params'), this.layout.size]]);
      this.lastParameters = params.slice();
      return params;
    });
  }

  /** Uploads new parameters (flat, in `parameterLayout` order). */
  setParameters(flat: Float32Array): void {
    this.checkAlive();
    const params = checkArray('parameters', flat, Float32Array, this.layout.size);
    this.gpuDevice.queue.writeBuffer(this.get('params'), 0, params);
    this.lastParameters = params.slice();
    this.updated = undefined;
  }

  /** Changes the learning rate, entropy coefficient or clip for the next calls. */
  setHyperparameters(values: Partial<Hyperparameters>): void {
    if (typeof values !== 'object' || values === null) fail('hyperparameters', 'an object', values);
    const next = { ...this.hyper, ...values };
    for (const key of Object.keys(values)) {
      if (!(key in this.hyper)) fail(`hyperparameters.${key}`, 'one of learningRate, entropyCoef, clipEpsilon', key);
    }
    resolvePPOConfig({ learningRate: next.learningRate, entropyCoef: next.entropyCoef, clipEpsilon: next.clipEpsilon }, 'hyperparameters');
    Object.assign(this.hyper, next);
  }

  /** Reads Adam's moments and step back from the GPU. */
  getOptimizerState(): Promise<OptimizerState> {
    return this.serial(async () => {
      const n = this.layout.size;
      const [m, v] = await this.readback(this.gpuDevice.createCommandEncoder(), [[this.get('adamM'), n], [this.get('adamV'), n]]);
      return { m, v, step: this.step };
    });
  }

  /** Uploads Adam's moments and step. */
  setOptimizerState(state: OptimizerState): void {
    this.checkAlive();
    if (typeof state !== 'object' || state === null) fail('optimizerState', 'an object', state);
    const m = checkArray('optimizerState.m', state.m, Float32Array, this.layout.size);
    const v = checkArray('optimizerState.v', state.v, Float32Array, this.layout.size);
    const step = checkInteger('optimizerState.step', state.step, 0);
    for (let i = 0; i < v.length; i++) if (v[i] < 0) fail(`optimizerState.v[${i}]`, 'a number >= 0', v[i]);
    this.gpuDevice.queue.writeBuffer(this.get('adamM'), 0, m);
    this.gpuDevice.queue.writeBuffer(this.get('adamV'), 0, v);
    this.step = step;
    this.updated = undefined;
  }

  /**
   * The parameters and Adam state as the last update left them, read back in that update's one readback (so
   * the caller can check them and keep a CPU copy without another round trip); undefined when something
   * wrote them since.
   * @property parameters The parameters, flat, in `parameterLayout` order.
   * @property optimizer Adam's moments and step.
   */
  lastUpdateState(): { parameters: Float32Array; optimizer: OptimizerState } | undefined {
    return this.updated;
  }

  /**
   * Gradient of the total loss with the batch as one minibatch, and its stats; no optimizer step.
   * @property grads The gradient, flat, in `parameterLayout` order.
   * @property stats The loss statistics of the batch.
   */
  computeGradients(batch: Batch): Promise<{ grads: Float32Array; stats: LossStats }> {
    this.checkAlive();
    validateBatch(batch, this.policy, this.ppo.samplesMcEntropy);
    const current = viewsSurvivingGrowth(batch);
    return this.serial(() => this.gradientsNow(current())); // re-viewed if wasm memory grew while earlier work was queued
  }

  /**
   * Gradient of the behaviour-cloning loss with the demonstrations as one minibatch; no optimizer step.
   * @property grads The gradient, flat, in `parameterLayout` order.
   * @property stats The cloning statistics of the rows.
   */
  computeImitationGradients(demo: DemoBatch, options?: ImitationOptions): Promise<{ grads: Float32Array; stats: ImitationStats }> {
    this.checkAlive();
    refuseRecurrentImitation(this.policy.network.memory, 'webgpu');
    const { batch, mode } = imitationInputs(demo, this.policy, options, this.hyper.learningRate);
    return this.serial(async () => {
      this.imitation = mode;
      try {
        const { grads, stats } = await this.gradientsNow(batch);
        return { grads, stats: imitationStats(stats, this.policy.actionSpace.kind !== 'box', this.branchAccuracy) };
      } finally {
        this.imitation = undefined;
      }
    });
  }

  /** Behaviour-cloning steps over the demonstrations in one submit; default plan: one epoch of shuffled rows. */
  imitate(demo: DemoBatch, plan?: MinibatchPlan, options?: ImitationOptions): Promise<ImitationUpdateStats> {
    this.checkAlive();
    refuseRecurrentImitation(this.policy.network.memory, 'webgpu');
    const { batch, mode } = imitationInputs(demo, this.policy, options, this.hyper.learningRate);
    if (plan !== undefined) validateImitationPlan(plan, batch);
    const chosen = plan ?? imitationPlan(batch, 1, this.ppo.numMinibatches, this.plans.nextU32());
    return this.serial(async () => {
      this.imitation = mode;
      try {
        const { epochs, minibatches, ...stats } = await this.updateNow(batch, chosen);
        return { ...imitationStats(stats, this.policy.actionSpace.kind !== 'box', this.branchAccuracy), epochs, minibatches };
      } finally {
        this.imitation = undefined;
      }
    });
  }

  private async gradientsNow(batch: Batch): Promise<{ grads: Float32Array; stats: LossStats }> {
    const T = batch.numSteps;
    const N = batch.numEnvs;
    const rows = T * N;
    const vtrace = batch.rewards !== undefined;
    // One minibatch of all rows; segment order (s * T + t) so that V-trace can scan each env column and
    // recurrent cells run each one through time.
    const segmentOrder = vtrace || this.recurrent;
    const pairs = new Uint32Array(2 * rows);
    const weights = new Float32Array(pairs.buffer);
    for (let i = 0; i < rows; i++) {
      const row = segmentOrder ? (i % T) * N + Math.floor(i / T) : i;
      pairs[2 * i] = row;
      weights[2 * i + 1] = batch.weights ? batch.weights[row] : 1;
    }
    this.upload(batch, pairs, 1);
    const choice = await this.variantFor(batch, { base: 0, m: rows, vtrace, slot: 0 });
    const recorder = new Recorder();
    this.recordStep(recorder, batch, { base: 0, m: rows, vtrace, slot: 0 }, choice);
    this.dispatches = recorder.count;
    const encoder = this.encode(recorder);
    const branches = this.imitation ? categoricalBranches(this.policy.actionSpace) : 0;
    const [stats, grads, hits] = await this.readback(encoder, [[this.get('stats'), STAT_SLOT], [this.get('grads'), this.layout.size], ...this.hitsSource(branches)]);
    this.branchAccuracy = Array.from(hits ?? [], (h) => h / rows);
    return { grads, stats: statsOf(stats, 0) };
  }

  /**
   * Every epoch and minibatch of one PPO update in one submit; default plan: shuffled rows from the config
   * (shuffled whole segments for a recurrent network).
   */
  update(batch: Batch, plan?: MinibatchPlan): Promise<UpdateStats> {
    this.checkAlive();
    validateBatch(batch, this.policy, this.ppo.samplesMcEntropy);
    const current = viewsSurvivingGrowth(batch); // drawing the default plan allocates wasm memory
    const segments = this.recurrent;
    if (plan !== undefined) validatePlan(plan, batch, segments);
    // Default: shuffled rows (segments), a fresh seeded permutation per epoch (needs init(): drawn in wasm).
    else plan = createMinibatchPlan({
      numSteps: batch.numSteps, numEnvs: batch.numEnvs, numEpochs: this.ppo.numEpochs,
      numMinibatches: segments ? Math.min(this.ppo.numMinibatches, batch.numEnvs) : this.ppo.numMinibatches,
      unit: segments ? 'segments' : 'rows', mode: 'shuffled', seed: this.plans.nextU32(),
    });
    const chosen = plan;
    return this.serial(() => this.updateNow(current(), chosen));
  }

  private async updateNow(batch: Batch, plan: MinibatchPlan): Promise<UpdateStats> {
    const T = batch.numSteps;
    const N = batch.numEnvs;
    const segments = plan.unit === 'segments';
    const m = segments ? plan.unitsPerMinibatch * T : plan.unitsPerMinibatch;
    const steps = plan.numEpochs * plan.numMinibatches;
    const pairs = new Uint32Array(2 * steps * m);
    const weights = new Float32Array(pairs.buffer);
    for (let u = 0; u < plan.indices.length; u++) {
      const w = plan.weights ? plan.weights[u] : 1;
      const span = segments ? T : 1;
      for (let t = 0; t < span; t++) {
        const i = u * span + t;
        pairs[2 * i] = segments ? t * N + plan.indices[u] : plan.indices[u];
        weights[2 * i + 1] = w;
      }
    }
    this.upload(batch, pairs, steps);
    // V-trace recomputes segment minibatches' advantages when the batch has rewards (a recurrent plan may not).
    const vtrace = segments && batch.rewards !== undefined;
    const choice = await this.variantFor(batch, { base: 0, m, vtrace, slot: 0 });
    const recorder = new Recorder();
    for (let epoch = 0; epoch < plan.numEpochs; epoch++) {
      for (let b = 0; b < plan.numMinibatches; b++) {
        const slot = epoch * plan.numMinibatches + b;
        const step = this.step + slot + 1; // a step that runs follows every earlier one (target KL only stops)
        this.recordStep(recorder, batch, {
          base: slot * m, m, vtrace, slot,
          adam: { correction1: 1 - 0.9 ** step, correction2: 1 - 0.999 ** step },
        }, choice);
      }
      if (this.ppo.targetKl !== null && !this.imitation) {
        recorder.dispatch(this.kernels.kl_check, [plan.numMinibatches, 0, 0, 0, recorder.count + 1, epoch * plan.numMinibatches, 0, 0, this.ppo.targetKl], {
          1: this.get('grads'), 2: this.get('stats'), 3: this.get('scalars'), 4: () => this.get('indirect'),
        }, 1);
      }
    }
    this.dispatches = recorder.count;
    // With a target KL, dispatches go through indirect arguments that kl_check zeroes once it stops.
    const indirect = this.ppo.targetKl === null || this.imitation ? undefined
      : this.buffer('indirect', 12 * recorder.count, GPUBufferUsage.INDIRECT);
    const encoder = this.encode(recorder, indirect);
    const n = this.layout.size;
    const branches = this.imitation ? categoricalBranches(this.policy.actionSpace) : 0;
    const [stats, params, moment1, moment2, hits] = await this.readback(encoder, [[this.get('stats'), steps * STAT_SLOT], [this.get('params'), n], [this.get('adamM'), n], [this.get('adamV'), n], ...this.hitsSource(steps * branches)]);
    this.branchAccuracy = Array.from({ length: branches }, (_, b) => {
      let sum = 0;
      for (let slot = 0; slot < steps; slot++) sum += hits![slot * branches + b];
      return sum / (steps * m);
    });
    this.lastParameters = params;
    const summary = this.summarize(stats, plan);
    this.updated = { parameters: params, optimizer: { m: moment1, v: moment2, step: this.step } };
    return summary;
  }

  /** Frees the GPU buffers (and the device, when the trainer requested it itself). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const buffer of this.buffers.values()) buffer.destroy();
    this.arena.buffer?.destroy();
    this.buffers.clear();
    if (this.ownsDevice) this.gpuDevice.destroy();
  }

  // ---- recording ----

  /** Records one minibatch: forward, advantages, loss, backward, grad norm, and (update) the Adam step. */
  private recordStep(rec: Recorder, batch: Batch, step: Step, { variant, subgroups }: Candidate): void {
    const { graph, layout, policy, ppo } = this;
    const k = subgroups ? this.subgroupKernels! : this.kernels;
    const { m, base } = step;
    const space = policy.actionSpace;
    const rows = batch.numSteps * batch.numEnvs;
    const params = this.get('params');
    const grads = this.get('grads');
    const scratch = this.get('scratch');
    const scalars = this.get('scalars');
    const stats = this.get('stats');
    const plan = this.get('plan');
    const obsSize = policy.observationSize;
    const acts = graph.nodes.map((_, i) => this.get(`act${i}`));
    const x0 = this.get('x0');
    const groups = (n: number, size = 64) => Math.ceil(n / size);
    const partials = this.get('partials');
    // What a layer or cell reads: the observations (-1) or a layer's output; a head behind a cell, the cell's.
    const layerOutput = (index: number) => (index < 0 ? { buffer: x0, offset: 0, stride: obsSize }
      : { buffer: acts[index], offset: 0, stride: graph.nodes[index].entry.outputs });
    const cellBuffers = graph.cells.map((_, c) => ({
      params, plan, data: this.get('data'), states: this.get('states'), record: this.get(`cell${c}`), gradient: this.get(`dcell${c}`),
    }));
    const source = (i: number) => {
      const node = graph.nodes[i];
      return node.cell >= 0 ? cellOutput(graph.cells[node.cell].entry, cellBuffers[node.cell].record) : layerOutput(node.input);
    };
    const seq = this.sequencing(batch, step);

    const advantageValues = [m, base, batch.numSteps, batch.numEnvs, ppo.gamma, ppo.gaeLambda, ppo.vtrace.rhoClip, ppo.vtrace.cClip];
    rec.dispatch(k.gather_minibatch, [...advantageValues, obsSize, step.vtrace ? 0 : 1],
      { 1: plan, 2: this.get('data'), 4: scratch, 5: this.get('obs'), 6: x0 }, groups(m));
    const cellsRun = new Set<number>();
    for (const [i, node] of graph.nodes.entries()) {
      const { inputs, outputs, activated, weightOffset, biasOffset } = node.entry;
      const c = node.cell;
      if (c >= 0 && !cellsRun.has(c)) { // the cell runs before the first head that reads it
        cellsRun.add(c);
        recordCellForward(rec, k, variant, graph.cells[c].entry, seq, layerOutput(graph.cells[c].input), cellBuffers[c]);
      }
      const x = source(i);
      const act = activated ? (policy.network.activation === 'tanh' ? 2 : 4) : 0;
      recordMatmul(rec, k, variant, [m, outputs, inputs, 1 | act, x.offset, x.stride, 1, 0, weightOffset, 1, inputs, 0, 0, outputs, biasOffset, 0],
        { 1: x.buffer, 2: params, 3: acts[i], 4: params, 5: params });
    }

    const box = space.kind === 'box';
    const width = box ? space.size : logitCount(space);
    const branches = space.kind === 'multi_discrete' ? space.nvec.length : 1;
    const heads = [m, base, rows, width, branches, batch.masks ? 1 : 0, this.policy.network.distribution === 'tanh_normal' ? 1 : 0,
      ppo.samplesMcEntropy, Math.max(0, layout.logStdOffset)];
    const headBuffers = {
      1: plan, 2: acts[graph.actorHead], 3: this.get('actions'), 4: this.get('space'), 5: this.get('masks'), 6: params,
      7: this.get('noise'), 8: scratch, 9: this.get('dHead'), 10: this.get('logStdRows'), 11: this.get('hits'),
    };
    rec.dispatch(box ? k.gaussian_forward : k.categorical_forward, heads, headBuffers, groups(m));

    if (step.vtrace) {
      rec.dispatch(k.vtrace, advantageValues, { 1: plan, 2: this.get('data'), 3: this.get('lastValues'), 4: scratch }, groups(m / batch.numSteps));
    }
    const imitation = this.imitation;
    const normalize = !imitation && normalizesMinibatch(ppo.normalizeAdvantage, step.vtrace);
    const reduceBuffers = (src: GPUBuffer) => ({ src, stats, scalars, partials });
    if (normalize) recordAdvantageMoments(rec, k, variant, m, reduceBuffers(scratch));

    const [clipLow, clipHigh] = clipRange(this.hyper);
    // Behaviour cloning is always a mean, with its own critic weight and no entropy term.
    const scale = imitation || ppo.reduction === 'mean' ? 1 / m : 1;
    const entropyCoef = !imitation && ppo.entropyBonus ? this.hyper.entropyCoef : 0;
    const criticCoef = imitation ? imitation.criticCoef : ppo.criticCoef;
    rec.dispatch(k.loss_rows, [m, base, normalize ? 1 : 0, CRITIC_TYPES[ppo.lossCriticType], clipLow, clipHigh,
      valueClipRange({ clipEpsilon: this.hyper.clipEpsilon, clipValue: ppo.clipValue }), criticCoef, entropyCoef, scale, imitation ? 1 : 0],
    { 1: plan, 2: this.get('data'), 3: acts[graph.criticHead], 4: scalars, 5: scratch }, groups(m));
    recordLossStats(rec, k, variant, m, step.slot, [scale, criticCoef, entropyCoef], reduceBuffers(scratch));
    // Cloning's accuracy per branch: column sums of the rows' hits into this step's slot.
    if (imitation && !box) recordColumnSum(rec, k, variant, m, branches, { buffer: this.get('hits'), offset: 0, stride: branches }, this.get('branchHits'), step.slot * branches, scalars, partials);
    rec.dispatch(box ? k.gaussian_backward : k.categorical_backward, heads, headBuffers, groups(m));

    // Backward, heads first: dW = dY^T X with db = column sums of dY in the same pass, dX = dY W (times act' of
    // the layer below, in the product's epilogue).
    // A cell's backward pass runs once its last reader has added its gradient, and sends dL/dx to the layer below.
    const derivative = policy.network.activation === 'tanh' ? 16 : 32;
    const incoming = graph.nodes.map(() => 0);
    const cellIncoming = graph.cells.map(() => 0);
    for (let i = graph.nodes.length - 1; i >= 0; i--) {
      const node = graph.nodes[i];
      const { inputs, outputs, weightOffset, biasOffset } = node.entry;
      const dy = i === graph.actorHead ? { buffer: this.get('dHead'), offset: 0, stride: outputs }
        : i === graph.criticHead ? { buffer: scratch, offset: GRAD_VALUE, stride: SCRATCH_STRIDE }
          : { buffer: this.get(`dy${i}`), offset: 0, stride: outputs };
      const x = source(i);
      recordWeightGradient(rec, k, variant, [outputs, inputs, m, 0, dy.offset, 1, dy.stride, 0, x.offset, x.stride, 1, 0, weightOffset, inputs, 0, 0],
        biasOffset, { 1: dy.buffer, 2: x.buffer, 3: grads, 4: params, 5: params }, partials, grads);
      const c = node.cell;
      if (c >= 0) {
        const cell = graph.cells[c];
        if (!cell.backwardFrom.includes(i)) continue;
        const first = cellIncoming[c]++ === 0;
        recordMatmul(rec, k, variant, [m, inputs, outputs, first ? 0 : 8, dy.offset, dy.stride, 1, 0, weightOffset, inputs, 1, 0, 0, cellGradientFloats(cell.entry), 0, 0],
          { 1: dy.buffer, 2: params, 3: cellBuffers[c].gradient, 4: params, 5: params });
        if (cellIncoming[c] < cell.backwardFrom.length) continue;
        const below = cell.input;
        recordCellBackward(rec, k, variant, cell.entry, seq, layerOutput(below), cellBuffers[c], { grads, scalars, partials },
          below < 0 ? undefined : { dx: this.get(`dy${below}`), act: acts[below], flags: derivative });
        continue;
      }
      const below = node.input;
      if (below < 0) continue;
      const consumers = graph.nodes[below].backwardFrom;
      if (!consumers.includes(i)) continue;
      const first = incoming[below]++ === 0;
      const last = incoming[below] === consumers.length;
      const flags = (first ? 0 : 8) | (last ? derivative : 0);
      recordMatmul(rec, k, variant, [m, inputs, outputs, flags, dy.offset, dy.stride, 1, 0, weightOffset, inputs, 1, 0, 0, inputs, 0, 0],
        { 1: dy.buffer, 2: params, 3: this.get(`dy${below}`), 4: params, 5: acts[below] });
    }
    if (box) {
      recordColumnSum(rec, k, variant, m, width, { buffer: this.get('logStdRows'), offset: 0, stride: width }, grads, layout.logStdOffset, scalars, partials);
    }
    const maxGradNorm = Number.isFinite(ppo.maxGradNorm) && ppo.maxGradNorm > 0 ? ppo.maxGradNorm : 0;
    recordGradNorm(rec, k, variant, layout.size, step.slot, maxGradNorm, reduceBuffers(grads));
    if (step.adam) {
      rec.dispatch(k.adam_step, [layout.size, 0, 0, 0, imitation ? imitation.learningRate : this.hyper.learningRate, ppo.weightDecay, ppo.adamEps, 0, step.adam.correction1, step.adam.correction2],
        { 1: grads, 2: scalars, 3: params, 4: this.get('adamM'), 5: this.get('adamV') }, groups(layout.size, 256));
    }
  }

  /** How a minibatch of whole segments is cut into sequences (recurrent networks; sequenceLength 0 without). */
  private sequencing(batch: Batch, step: Step): Sequencing {
    const memory = this.policy.network.memory;
    return {
      m: step.m, base: step.base, numSteps: batch.numSteps, numEnvs: batch.numEnvs,
      sequenceLength: memory ? sequenceLength(batch.numSteps, memory) : 0, stateSize: this.layout.stateSize,
    };
  }

  /**
   * The kernels for minibatches of this shape: the ones asked for, or (an option left 'auto') the fastest
   * candidate over a forward + backward pass of one real minibatch (no optimizer step). Measured once per
   * adapter and shape in a process; the measuring submits are not counted as the update's. Parameters and
   * Adam state are untouched; the stats and scalars it wrote are cleared again.
   */
  private async variantFor(batch: Batch, step: Step): Promise<Candidate> {
    const variants: KernelVariant[] = this.variantOption === 'auto' ? ['direct', 'tiled'] : [this.variantOption];
    const subgroups = this.subgroupsOption === 'auto' ? [false, true] : [this.subgroupsOption];
    const candidates = variants.flatMap((variant) => subgroups.map((sg) => ({ variant, subgroups: sg })));
    const ms = { direct: NaN, tiled: NaN } as VariantChoice['ms'];
    let choice: VariantChoice = { ...candidates[0], ms };
    if (candidates.length > 1) {
      const info = (this.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
      const adapter = info ? [info.vendor, info.architecture, info.device, info.description].join('/') : 'unknown';
      const cells = this.layout.memories.map((c) => `${c.cell}${c.inputs}x${c.size}`);
      const shape = [...this.layout.layers.map((l) => `${l.inputs}x${l.outputs}`), ...cells].join(',');
      const key = `${adapter}|${candidates.map(candidateName).join(',')}|${this.policy.actionSpace.kind}|${step.m}|${step.vtrace}|${shape}|${this.sequencing(batch, step).sequenceLength}`;
      choice = measuredVariants.get(key) ?? choice;
      if (!measuredVariants.has(key)) {
        // Each timed once (the first after a warm-up run; a subgroup twin only when its tree-sum variant came
        // within 2x of the fastest), then those within 2x of the fastest twice more: on a software adapter the
        // tiled kernels' barriers make them many times slower, so one run settles them.
        const timers = candidates.map((candidate) => {
          let recorder: Recorder | undefined;
          return async () => {
            if (!recorder) {
              await this.compile([candidate]); // only what is timed: a candidate skipped costs no compilation
              recorder = new Recorder();
              this.recordStep(recorder, batch, step, candidate);
            }
            const encoder = this.encode(recorder);
            const started = performance.now();
            this.device.queue.submit([encoder.finish()]);
            await this.device.queue.onSubmittedWorkDone();
            return performance.now() - started;
          };
        });
        await timers[0]();
        const times = candidates.map(() => Infinity);
        const near = (i: number) => times[i] < 2 * Math.min(...times);
        const twin = (c: Candidate) => candidates.findIndex((d) => d.variant === c.variant && !d.subgroups);
        for (const [i, c] of candidates.entries()) if (!c.subgroups) times[i] = await timers[i]();
        for (const [i, c] of candidates.entries()) if (c.subgroups && (twin(c) < 0 || near(twin(c)))) times[i] = await timers[i]();
        for (const i of candidates.keys()) if (near(i)) times[i] = Math.min(times[i], await timers[i](), await timers[i]());
        candidates.forEach((c, i) => { ms[candidateName(c)] = Number.isFinite(times[i]) ? times[i] : NaN; });
        choice = { ...candidates[times.indexOf(Math.min(...times))], ms };
        measuredVariants.set(key, choice);
        this.device.queue.writeBuffer(this.get('scalars'), 0, new Float32Array(16));
        this.device.queue.writeBuffer(this.get('stats'), 0, new Float32Array(this.get('stats').size / 4));
      }
    }
    await this.compile([choice]);
    this.lastVariant = choice;
    return choice;
  }

  /** Compiles what these candidates need beyond the base kernels (tiled pipelines, subgroup twins), once. */
  private async compile(candidates: readonly Candidate[]): Promise<void> {
    const tiled = candidates.some((c) => c.variant === 'tiled');
    if (tiled && !this.kernels.matmul_tiled) Object.assign(this.kernels, await getKernels(this.device));
    if (candidates.some((c) => c.subgroups) && (!this.subgroupKernels || (tiled && !this.subgroupKernels.matmul_tiled))) {
      this.subgroupKernels = await getKernels(this.device, { tiled, subgroups: true, recurrent: this.recurrent });
    }
  }

  private encode(recorder: Recorder, indirect?: GPUBuffer): GPUCommandEncoder {
    const encoder = this.gpuDevice.createCommandEncoder({ label: 'webppo update' });
    const pass = encoder.beginComputePass();
    recorder.encode(this.device, this.arena, pass, this.bindGroups, indirect);
    pass.end();
    return encoder;
  }

  // ---- buffers ----

  /** Uploads the batch, the expanded plan ((row, weight) pairs) and sizes the per-minibatch workspace. */
  private upload(batch: Batch, pairs: Uint32Array, steps: number): void {
    const { device, policy, ppo, graph } = this;
    const q = device.queue;
    const T = batch.numSteps;
    const N = batch.numEnvs;
    const rows = T * N;
    const space = policy.actionSpace;
    const write = (name: string, data: ArrayBufferView & { byteLength: number }) => {
      q.writeBuffer(this.buffer(name, data.byteLength), 0, data.buffer, data.byteOffset, data.byteLength);
    };
    write('obs', batch.observations);
    write('actions', batch.actions);
    write('plan', pairs);
    if (batch.masks) write('masks', Uint32Array.from(batch.masks));
    else this.buffer('masks', 16);

    // Packed per-row data; 'batch' normalization happens here, once over all rows (in float64).
    const advantages = new Float64Array(batch.advantages);
    if (ppo.normalizeAdvantage === 'batch') {
      let mean = 0;
      for (const a of advantages) mean += a;
      mean /= rows;
      let sq = 0;
      for (const a of advantages) sq += (a - mean) ** 2;
      const std = rows > 1 ? Math.sqrt(sq / (rows - 1)) : 0;
      for (let i = 0; i < rows; i++) advantages[i] = (advantages[i] - mean) / (std + 1e-8);
    }
    const data = new Float32Array(rows * DATA_STRIDE);
    for (let r = 0; r < rows; r++) {
      const at = r * DATA_STRIDE;
      data[at] = batch.logProbs[r];
      data[at + 1] = batch.values[r];
      data[at + 2] = advantages[r];
      data[at + 3] = batch.returns[r];
      if (batch.rewards) {
        data[at + 4] = batch.rewards[r];
        data[at + 7] = batch.bootstrapValues![r];
      }
      // Episode ends: V-trace's, and where recurrent cells reset (a recurrent batch has them without rewards too).
      if (batch.terminated) data[at + 5] = batch.terminated[r];
      if (batch.truncated) data[at + 6] = batch.truncated[r];
    }
    write('data', data);
    if (batch.lastValues) write('lastValues', batch.lastValues);
    else this.buffer('lastValues', 16);

    if (space.kind === 'box' && policy.network.distribution === 'tanh_normal') {
      let noise = batch.entropyNoise;
      if (!noise) {
        noise = new Float32Array(ppo.samplesMcEntropy * rows * space.size);
        for (let i = 0; i < noise.length; i++) noise[i] = this.noise.nextNormal();
      }
      write('noise', noise);
    } else {
      this.buffer('noise', 16);
    }

    const m = pairs.length / 2 / steps;
    const width = space.kind === 'box' ? space.size : logitCount(space);
    this.buffer('x0', m * policy.observationSize * 4);
    graph.nodes.forEach((node, i) => {
      this.buffer(`act${i}`, m * node.entry.outputs * 4);
      if (i !== graph.actorHead && i !== graph.criticHead) this.buffer(`dy${i}`, m * node.entry.outputs * 4);
    });
    this.buffer('hits', m * Math.max(1, categoricalBranches(space)) * 4);
    this.buffer('branchHits', steps * Math.max(1, categoricalBranches(space)) * 4);
    this.buffer('dHead', m * width * 4);
    this.buffer('logStdRows', m * width * 4);
    this.buffer('scratch', m * SCRATCH_STRIDE * 4);
    const cells = this.layout.memories;
    if (batch.hiddenStates) write('states', batch.hiddenStates);
    else this.buffer('states', 16);
    if (cells.length > 0) {
      const memory = policy.network.memory!;
      const seq = { m, base: 0, numSteps: T, numEnvs: N, sequenceLength: sequenceLength(T, memory), stateSize: this.layout.stateSize };
      cells.forEach((cell, c) => {
        this.buffer(`cell${c}`, m * cellRecordFloats(cell) * 4);
        this.buffer(`dcell${c}`, cellGradientBufferFloats(cell, m, columnCount(seq)) * 4);
      });
    }
    // The cells' products and column sums share the partials with the layers'.
    const products = [...this.layout.layers, ...cells.flatMap((c) => [{ inputs: c.inputs, outputs: c.gates * c.size }, { inputs: c.size, outputs: c.gates * c.size }])];
    this.buffer('partials', partialFloats(m, products, width) * 4);
    q.writeBuffer(this.get('scalars'), 0, new Float32Array(16));
    q.writeBuffer(this.buffer('stats', steps * STAT_SLOT * 4), 0, new Float32Array(steps * STAT_SLOT));
  }

  /** The per-branch hit sums to read back with an imitation call (none otherwise). */
  private hitsSource(count: number): [GPUBuffer, number][] {
    return count > 0 ? [[this.get('branchHits'), count]] : [];
  }

  /** Branch sizes (categorical) or log(scale) per dim (tanh_normal) for heads.wgsl. */
  private writeSpace(): void {
    const space = this.policy.actionSpace;
    const values = space.kind === 'discrete' ? [space.n] : space.kind === 'multi_discrete' ? [...space.nvec]
      : Array.from(space.low, (low, d) => Math.log((space.high[d] - low) / 2));
    this.gpuDevice.queue.writeBuffer(this.buffer('space', Math.max(16, values.length * 4)), 0, new Float32Array(values));
  }

  /** A named storage buffer of at least `bytes`, replaced when too small. */
  private buffer(name: string, bytes: number, usage = 0): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    let buffer = this.buffers.get(name);
    if (!buffer || buffer.size < size) {
      buffer?.destroy();
      this.bindGroups.clear();
      buffer = this.gpuDevice.createBuffer({ label: `webppo ${name}`, size, usage: usage | GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      if (name === 'grads' || name === 'adamM' || name === 'adamV') this.gpuDevice.queue.writeBuffer(buffer, 0, new Float32Array(size / 4));
      this.buffers.set(name, buffer);
    }
    return buffer;
  }

  private get(name: string): GPUBuffer {
    const buffer = this.buffers.get(name);
    if (!buffer) throw new Error(`webppo: internal: no buffer ${name}`);
    return buffer;
  }

  /** Copies the sources into one staging buffer, submits `encoder` (the one submit) and maps once. */
  private async readback(encoder: GPUCommandEncoder, sources: [GPUBuffer, number][]): Promise<Float32Array[]> {
    const total = sources.reduce((sum, [, n]) => sum + n, 0) * 4;
    const staging = this.gpuDevice.createBuffer({ label: 'webppo readback', size: total, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    let at = 0;
    for (const [buffer, n] of sources) {
      encoder.copyBufferToBuffer(buffer, 0, staging, at, n * 4);
      at += n * 4;
    }
    this.gpuDevice.pushErrorScope('out-of-memory');
    this.gpuDevice.pushErrorScope('validation');
    this.gpuDevice.queue.submit([encoder.finish()]);
    this.counters.submits++;
    const errors = Promise.all([this.gpuDevice.popErrorScope(), this.gpuDevice.popErrorScope()]).catch(() => [null]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (error) {
      staging.destroy();
      throw new DeviceLostError(this.lost ?? (error as Error).message, this.lastParameters.slice());
    }
    const error = (await errors).find((e) => e !== null);
    if (error) {
      staging.unmap();
      staging.destroy();
      throw new Error(`webppo: WebGPU rejected the update's commands: ${error.message}`);
    }
    const all = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    this.counters.readbacks++;
    at = 0;
    return sources.map(([, n]) => all.subarray(at, (at += n)));
  }

  // ---- bookkeeping ----

  private summarize(stats: Float32Array, plan: MinibatchPlan): UpdateStats {
    const sums = Object.fromEntries(STAT_NAMES.map((name) => [name, 0])) as unknown as LossStats;
    let minibatches = 0;
    let epochs = 0;
    for (let e = 0; e < plan.numEpochs; e++) {
      let ran = 0;
      for (let b = 0; b < plan.numMinibatches; b++) {
        const slot = e * plan.numMinibatches + b;
        if (stats[slot * STAT_SLOT + RAN] !== 1) continue;
        ran++;
        const s = statsOf(stats, slot);
        for (const name of STAT_NAMES) sums[name] += s[name];
      }
      if (ran > 0) epochs++;
      minibatches += ran;
    }
    this.step += minibatches;
    for (const name of STAT_NAMES) sums[name] /= Math.max(1, minibatches);
    return { ...sums, epochs, minibatches };
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('webppo: this trainer was disposed');
    if (this.lost !== undefined) throw new DeviceLostError(this.lost, this.lastParameters.slice());
  }

  /** Runs GPU work one call at a time (one staging buffer, one recorded update in flight). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => { this.checkAlive(); return work(); });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function statsOf(stats: Float32Array, slot: number): LossStats {
  return Object.fromEntries(STAT_NAMES.map((name, k) => [name, stats[slot * STAT_SLOT + k]])) as unknown as LossStats;
}

/** Branches of a categorical space (0 for a Box). */
function categoricalBranches(space: ActionSpace): number {
  return space.kind === 'box' ? 0 : actionSize(space);
}
