// A Trainer whose updates run in a Web Worker, so a game's frames never wait for training. Same interface as
// the local trainers: the Agent cannot tell them apart. Input is validated here, before anything is sent, so
// errors name the field as the local trainers do; calls are answered in order; setters do not wait, and a
// failure inside the worker while setting surfaces on the next awaited call.
import type { BackendChoice } from '../backend/index.js';
import type {
  Batch, BackendName, DemoBatch, Hyperparameters, ImitationOptions, ImitationStats, ImitationUpdateStats, LossStats, MinibatchPlan,
  OptimizerState, Trainer, TrainerOptions, UpdateStats,
} from '../backend/trainer.js';
import { imitationInputs, validateImitationPlan } from '../backend/imitation.js';
import { validateBatch, validatePlan } from '../backend/validate.js';
import { fail, WorkerError } from '../errors.js';
import type { ParameterEntry } from '../policy/network.js';
import { connect, startWorker, type NodeWorkerLike, type WorkerLink } from './link.js';
import { packBatch, packedBytes } from './pack.js';
import { type MessageEndpoint, type Reply, type Request, type Results, reviveError } from './protocol.js';

/**
 * Where the worker comes from: a script URL (a module worker, or a worker thread in Node, is started), a Worker
 * (Web or node:worker_threads) already serving a trainer, or any message endpoint.
 */
export type WorkerSource = URL | string | MessageEndpoint | NodeWorkerLike;

/** How long a worker may take to answer its first message before Agent.create rejects. */
export const DEFAULT_START_TIMEOUT_MS = 30_000;

/** Options of {@link createWorkerTrainer}: a trainer's options, and where the worker comes from. */
export interface WorkerTrainerOptions extends TrainerOptions {
  /**
   * The backend the worker trains on.
   * @default 'auto'
   */
  backend?: BackendChoice;
  /** Default: webppo's own self-contained dist/worker.js (see link.ts for how bundlers find it). */
  worker?: WorkerSource;
  /** Milliseconds the worker may take to start and answer (it then rejects with WorkerError E_WORKER_START_TIMEOUT). Default 30000. */
  startTimeoutMs?: number;
  /** How batches travel: 'shared' needs crossOriginIsolated. Default: shared when isolated, else transfer. */
  transport?: 'transfer' | 'shared';
}

/**
 * A {@link Trainer} whose calls run in a worker that runs {@link serveTrainer}: batches travel once per
 * update (transferred, or through a SharedArrayBuffer), calls are answered in order, and setters do not wait
 * (a failure surfaces on the next awaited call).
 */
export class RemoteTrainer implements Trainer {
  /** How batches travel: `'transfer'` (moved to the worker and back) or `'shared'` (a SharedArrayBuffer). */
  readonly transport: 'transfer' | 'shared';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  /** Staging buffers not in flight: transferred ones come back with the reply; shared ones are reused. */
  private readonly staging: (ArrayBuffer | SharedArrayBuffer)[] = [];
  private failure: Error | undefined;
  /** Set when the worker itself failed: every pending and later call rejects with it. */
  private broken: WorkerError | undefined;
  private disposed = false;
  private readonly onMessage = (event: MessageEvent) => this.receive(event.data as Reply);
  private readonly stopWatching: () => void;

  private constructor(
    private readonly endpoint: WorkerLink,
    private readonly options: TrainerOptions,
    readonly backend: BackendName,
    readonly parameterLayout: readonly ParameterEntry[],
    transport: 'transfer' | 'shared',
  ) {
    this.transport = transport;
    this.stopWatching = endpoint.onFailure((error) => this.breakWith(error));
  }

  /** Starts (or connects to) the worker and builds the trainer there. */
  static async create(options: WorkerTrainerOptions): Promise<RemoteTrainer> {
    const { worker: source, transport: wanted, startTimeoutMs, ...trainerOptions } = options;
    const timeout = startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    if (typeof timeout !== 'number' || !(timeout > 0)) fail('startTimeoutMs', 'a number of milliseconds > 0', startTimeoutMs);
    // Browsers say whether the page is crossOriginIsolated; Node and Deno have no such flag and always share.
    const flag = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    const isolated = typeof SharedArrayBuffer === 'function' && flag !== false;
    if (wanted === 'shared' && !isolated) throw new Error("webppo: transport 'shared' needs SharedArrayBuffer (a crossOriginIsolated page)");
    const transport = wanted ?? (isolated ? 'shared' : 'transfer');
    const link = source === undefined || typeof source === 'string' || source instanceof URL ? await startWorker(source) : connect(source);
    // A bootstrap connection answers the create call; the trainer then takes the endpoint over.
    const trainer = new RemoteTrainer(link, trainerOptions, 'cpu', [], transport);
    try {
      // A worker whose script never ran reports nothing in some browsers: a first answer is due in time.
      await trainer.startedWithin(timeout);
      const created = await trainer.call('create', { op: 'create', options: trainerOptions });
      (trainer as { backend: BackendName }).backend = created.backend;
      (trainer as { parameterLayout: readonly ParameterEntry[] }).parameterLayout = Object.freeze(created.parameterLayout);
      return trainer;
    } catch (error) {
      trainer.close();
      throw error;
    }
  }

  /** The parameters, fetched from the worker. */
  async getParameters(): Promise<Float32Array> {
    return this.call('getParameters', { op: 'getParameters' });
  }

  /** Sends new parameters to the worker (does not wait). */
  setParameters(flat: Float32Array): void {
    this.checkFlat('setParameters(flat)', flat);
    const copy = flat.slice(); // the caller keeps its array; the copy is transferred
    this.send({ op: 'setParameters', flat: copy }, [copy.buffer]);
  }

  /**
   * Gradients and stats of the batch as one minibatch, computed in the worker.
   * @property grads The gradient, flat, in `parameterLayout` order.
   * @property stats The loss statistics of the batch.
   */
  async computeGradients(batch: Batch): Promise<{ grads: Float32Array; stats: LossStats }> {
    validateBatch(batch, this.options.policy, this.options.ppo.samplesMcEntropy);
    const buffer = this.stage(packedBytes(batch));
    const packed = packBatch(batch, undefined, buffer);
    const { grads, stats, buffer: back } = await this.call('computeGradients', { op: 'computeGradients', packed }, this.transfers(buffer));
    this.staging.push(back);
    return { grads, stats };
  }

  /** One whole PPO update, run in the worker. */
  async update(batch: Batch, plan?: MinibatchPlan): Promise<UpdateStats> {
    validateBatch(batch, this.options.policy, this.options.ppo.samplesMcEntropy);
    // A recurrent network (network.memory) trains on whole segments, with or without rewards.
    if (plan !== undefined) validatePlan(plan, batch, this.options.policy.network?.memory !== undefined);
    const buffer = this.stage(packedBytes(batch, plan));
    const packed = packBatch(batch, plan, buffer);
    const { stats, buffer: back } = await this.call('update', { op: 'update', packed }, this.transfers(buffer));
    this.staging.push(back);
    return stats;
  }

  /** Behaviour-cloning steps, run in the worker (the demonstrations are copied there, checked here first). */
  async imitate(demo: DemoBatch, plan?: MinibatchPlan, options?: ImitationOptions): Promise<ImitationUpdateStats> {
    const { batch } = imitationInputs(demo, this.options.policy, options, 0);
    if (plan !== undefined) validateImitationPlan(plan, batch, this.options.policy.network?.memory !== undefined);
    return this.call('imitate', { op: 'imitate', demo: copyDemo(demo), plan, options: options && { ...options } });
  }

  /**
   * Gradient and stats of the behaviour-cloning loss of the demonstrations as one minibatch, computed in the worker.
   * @property grads The gradient, flat, in `parameterLayout` order.
   * @property stats The cloning statistics of the rows.
   */
  async computeImitationGradients(demo: DemoBatch, options?: ImitationOptions): Promise<{ grads: Float32Array; stats: ImitationStats }> {
    imitationInputs(demo, this.options.policy, options, 0);
    return this.call('computeImitationGradients', { op: 'computeImitationGradients', demo: copyDemo(demo), options: options && { ...options } });
  }

  /** Sends new hyperparameters to the worker (does not wait). */
  setHyperparameters(values: Partial<Hyperparameters>): void {
    this.send({ op: 'setHyperparameters', values: { ...values } });
  }

  /** Adam's state, fetched from the worker. */
  getOptimizerState(): Promise<OptimizerState> {
    return this.call('getOptimizerState', { op: 'getOptimizerState' });
  }

  /** Sends Adam's state to the worker (does not wait). */
  setOptimizerState(state: OptimizerState): void {
    if (typeof state !== 'object' || state === null) fail('setOptimizerState(state)', 'an object { m, v, step }', state);
    this.checkFlat('setOptimizerState(state).m', state.m);
    this.checkFlat('setOptimizerState(state).v', state.v);
    if (!Number.isInteger(state.step) || state.step < 0) fail('setOptimizerState(state).step', 'an integer >= 0', state.step);
    this.send({ op: 'setOptimizerState', state: { m: state.m.slice(), v: state.v.slice(), step: state.step } });
  }

  /** Disposes the worker's trainer and terminates a worker this trainer started. */
  dispose(): void {
    if (this.disposed) return;
    this.call('dispose', { op: 'dispose' }).catch(() => {}).finally(() => this.close());
    this.disposed = true;
  }

  // ---- internals ----

  private checkFlat(field: string, flat: Float32Array): void {
    const last = this.parameterLayout[this.parameterLayout.length - 1];
    const size = last ? last.offset + last.shape.reduce((a, b) => a * b, 1) : 0;
    if (!(flat instanceof Float32Array) || flat.length !== size) fail(field, `a Float32Array of length ${size}`, flat);
    for (let i = 0; i < flat.length; i++) if (!Number.isFinite(flat[i])) fail(`${field}[${i}]`, 'a finite number', flat[i]);
  }

  /** A staging buffer of at least `bytes`: a free one from the pool, or a new one. */
  private stage(bytes: number): ArrayBuffer | SharedArrayBuffer {
    const index = this.staging.findIndex((b) => b.byteLength >= bytes);
    if (index >= 0) return this.staging.splice(index, 1)[0];
    const size = Math.max(64, bytes);
    return this.transport === 'shared' ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
  }

  private transfers(buffer: ArrayBuffer | SharedArrayBuffer): Transferable[] {
    return this.transport === 'shared' ? [] : [buffer as ArrayBuffer];
  }

  /** Resolves when the worker answers a hello; breaks the trainer with E_WORKER_START_TIMEOUT after `ms`. */
  private async startedWithin(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.breakWith(new WorkerError('E_WORKER_START_TIMEOUT', `the training worker (${this.endpoint.description}) did not answer within ${ms} ms; its script may not have loaded (is worker.js served next to the bundle?)`));
        reject(this.broken);
      }, ms);
    });
    try {
      await Promise.race([this.call('hello', { op: 'hello' }), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The worker failed: every pending and later call rejects with `error`, and the worker is stopped. */
  private breakWith(error: WorkerError): void {
    if (this.broken) return;
    this.broken = error;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.listen(false);
    this.close();
    for (const { reject } of waiting) reject(error);
  }

  private call<K extends keyof Results>(_op: K, request: Request, transfer: Transferable[] = []): Promise<Results[K]> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.disposed) return Promise.reject(new Error('webppo: the worker trainer was disposed'));
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.pending.size === 0) this.listen(true);
    const id = this.nextId++;
    return new Promise<Results[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.endpoint.postMessage({ ...request, id, webppo: 'trainer' }, transfer);
    });
  }

  /** A call nobody awaits: its error is kept for the next awaited call. */
  private send(request: Request, transfer: Transferable[] = []): void {
    if (this.broken) throw this.broken;
    if (this.disposed) throw new Error('webppo: the worker trainer was disposed');
    this.call(request.op, request, transfer).catch((error: Error) => { this.failure ??= error; });
  }

  private receive(reply: Reply): void {
    if (reply?.webppo !== 'trainer') return;
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.listen(false);
    if (reply.error) waiting.reject(reviveError(reply.error));
    else waiting.resolve(reply.result);
  }

  /** Listens only while replies are due, so an idle trainer does not keep a Node or Deno process alive. */
  private listen(on: boolean): void {
    if (on) {
      this.endpoint.addEventListener('message', this.onMessage);
      this.endpoint.start?.();
    } else {
      this.endpoint.removeEventListener('message', this.onMessage);
    }
  }

  private close(): void {
    this.stopWatching();
    this.endpoint.terminate();
  }
}

/** Creates a trainer in a worker (see WorkerTrainerOptions). */
export function createWorkerTrainer(options: WorkerTrainerOptions): Promise<RemoteTrainer> {
  return RemoteTrainer.create(options);
}

/** A demonstration batch as plain typed arrays (structured-cloned to the worker; views over wasm memory become copies). */
function copyDemo(demo: DemoBatch): DemoBatch {
  return {
    rows: demo.rows, observations: demo.observations.slice(), actions: demo.actions.slice(),
    ...(demo.masks ? { masks: demo.masks.slice() } : {}), ...(demo.returns ? { returns: demo.returns.slice() } : {}),
    ...(demo.streams ? { streams: demo.streams.slice() } : {}), ...(demo.episodeEnds ? { episodeEnds: demo.episodeEnds.slice() } : {}),
  };
}
