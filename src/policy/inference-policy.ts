// Playing a trained agent: a checkpoint's actor-critic on the wasm CPU forward, with the checkpoint's
// observation normalization applied, and nothing of training (no trainer, no rollout, no WebGPU, no shaders).
// This is what the `webppo/inference` entry ships.
import { checkFlags } from '../agent/inputs.js';
import { CpuPolicy } from '../backend/cpu/inference.js';
import { checkInteger, fail } from '../errors.js';
import { init, type InitOptions } from '../init.js';
import { ObservationNormalizer } from '../normalize.js';
import { actionSize, type ActionSpace, flatSize, type Space } from '../spaces.js';
import { decodeCheckpoint, readCheckpointConfig, spaceFromJson } from './checkpoint.js';
import { networkLayout, type PolicySpec, resolveNetworkSpec } from './network.js';
import { CheckpointError } from './safetensors.js';

/** Options of loadPolicy(). */
export interface LoadPolicyOptions {
  /** Agents acting per call: predict() takes exactly this many observation rows. Default: the checkpoint's numAgents. */
  numAgents?: number;
  /** Where the wasm comes from (see init()); default: inlined. */
  wasm?: InitOptions['wasm'];
}

/** Options of one predict() call. */
export interface PredictOptions {
  /** numAgents x logits action masks, 1 = allowed (categorical action spaces trained with masks). */
  masks?: Uint8Array;
  /**
   * The most probable action (argmax; the Gaussian mean, squashed for tanh_normal) instead of a draw.
   * @default true
   */
  deterministic?: boolean;
  /**
   * numAgents 0/1 flags: the rows whose episode starts with this observation. A recurrent policy forgets its
   * memory of them first (it carries one per row from call to call, starting from the checkpoint's
   * `Agent.predict()` memory); a feed-forward policy has none.
   */
  episodeStarts?: Uint8Array;
}

interface SavedConfig {
  observationSpace: unknown;
  actionSpace: unknown;
  network: unknown;
  numAgents: number;
  ppo: { normalizeObservations: boolean; normalizeRewards: boolean };
}

/**
 * A trained policy for play: load it with {@link loadPolicy}, then call predict() every tick.
 * Predictions are those of `Agent.predict()` on the same checkpoint (normalization included), bit for bit.
 */
export class InferencePolicy {
  /** Values of the observations of the last predict(), one per agent (a reused view). */
  readonly values: Float32Array;
  /** Log-probabilities of the actions of the last predict(), one per agent (a reused view). */
  readonly logProbs: Float32Array;
  private readonly output: { actions: Int32Array | Float32Array; logProbs: Float32Array; values: Float32Array; squashedActions?: Float32Array };
  private readonly normalized: Float32Array;
  private readonly options = { masks: undefined as Uint8Array | undefined, deterministic: true };

  private constructor(
    private readonly cpu: CpuPolicy,
    private readonly normalizer: ObservationNormalizer | undefined,
    /** The spaces the policy was trained for. */
    readonly observationSpace: Space,
    readonly actionSpace: ActionSpace,
    /** Agents per predict() call. */
    readonly numAgents: number,
  ) {
    const size = numAgents * actionSize(actionSpace);
    const categorical = actionSpace.kind !== 'box';
    this.values = new Float32Array(numAgents);
    this.logProbs = new Float32Array(numAgents);
    this.output = { actions: categorical ? new Int32Array(size) : new Float32Array(size), logProbs: this.logProbs, values: this.values };
    if (actionSpace.kind === 'box' && cpu.policy.network.distribution === 'tanh_normal') this.output.squashedActions = new Float32Array(size);
    this.normalized = new Float32Array(numAgents * flatSize(observationSpace));
  }

  /** @internal Use loadPolicy(). */
  static async load(bytes: Uint8Array | ArrayBuffer, options: LoadPolicyOptions = {}): Promise<InferencePolicy> {
    if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
    await init(options.wasm === undefined ? {} : { wasm: options.wasm });
    const { config, file } = readCheckpointConfig(bytes);
    const saved = parseConfig(config);
    const observationSpace = spaceFromJson(saved.observationSpace, 'observationSpace');
    const actionSpace = spaceFromJson(saved.actionSpace, 'actionSpace');
    const numAgents = checkInteger('numAgents', options.numAgents ?? saved.numAgents, 1, 1 << 20);
    let policy: PolicySpec;
    try {
      policy = { observationSize: flatSize(observationSpace), actionSpace, network: resolveNetworkSpec(saved.network as object) };
    } catch (error) {
      throw new CheckpointError(`checkpoint: config: ${(error as Error).message}`);
    }
    const contents = decodeCheckpoint(file, config, {
      layout: networkLayout(policy), observationSize: policy.observationSize, numAgents: saved.numAgents,
      normalizeObservations: saved.ppo.normalizeObservations, normalizeRewards: saved.ppo.normalizeRewards,
    });
    const memory = policy.network.memory;
    const cpu = new CpuPolicy(policy, { parameters: contents.parameters, maxAgents: numAgents });
    try {
      // A recurrent policy goes on from the memory Agent.predict() had, when the agent count is the same.
      const remembered = contents.extra?.get('memory.predict');
      if (memory !== undefined && remembered !== undefined && remembered.shape[0] === numAgents) {
        const states = remembered.data as Float32Array;
        const bad = states.findIndex((v) => !Number.isFinite(v));
        if (!(states instanceof Float32Array) || bad >= 0) throw new CheckpointError(`checkpoint: tensor memory.predict[${bad}]: expected a finite number, got ${states[bad]}`, 'memory.predict');
        cpu.setStates(states);
      }
      const [state, inc] = String(contents.rng.inference ?? '').split(':');
      if (!/^\d+$/.test(state ?? '') || !/^\d+$/.test(inc ?? '')) throw new CheckpointError('checkpoint: rng.inference is missing');
      cpu.setRngState([BigInt(state), BigInt(inc)]);
      let normalizer: ObservationNormalizer | undefined;
      if (contents.observationStats) {
        normalizer = new ObservationNormalizer(policy.observationSize);
        normalizer.stats.setState(contents.observationStats);
      }
      return new InferencePolicy(cpu, normalizer, observationSpace, actionSpace, numAgents);
    } catch (error) {
      cpu.dispose();
      throw error;
    }
  }

  /**
   * Actions for numAgents observation rows (numAgents x observation size), normalized as in training.
   * Deterministic unless `{ deterministic: false }`; sampling continues the checkpoint's generator.
   * Returns a reused view (Int32Array indices for Discrete / MultiDiscrete, Float32Array for Box); no allocation.
   */
  predict(observations: Float32Array, options?: PredictOptions): Int32Array | Float32Array {
    const rows = this.normalized.length;
    if (!(observations instanceof Float32Array) || observations.length !== rows) fail('observations', `a Float32Array of length ${rows} (numAgents x observation size)`, observations);
    let input = observations;
    if (this.normalizer) {
      this.normalizer.normalize(observations, this.normalized, this.numAgents, false);
      input = this.normalized;
    }
    const starts = options?.episodeStarts;
    if (starts !== undefined) checkFlags('options.episodeStarts', starts, this.numAgents);
    this.options.masks = options?.masks;
    this.options.deterministic = options?.deterministic !== false;
    if (starts !== undefined && this.cpu.stateSize > 0) this.cpu.resetStates(starts);
    this.cpu.act(input, this.output, this.options);
    return this.output.squashedActions ?? this.output.actions;
  }

  /** Frees the wasm memory; the policy cannot be used afterwards. */
  dispose(): void {
    this.cpu.dispose();
  }
}

function parseConfig(config: unknown): SavedConfig {
  const c = config as Partial<SavedConfig> | null;
  if (typeof c !== 'object' || c === null) throw new CheckpointError('checkpoint: config is not an object');
  if (typeof c.ppo?.normalizeObservations !== 'boolean' || typeof c.ppo.normalizeRewards !== 'boolean') {
    throw new CheckpointError('checkpoint: config.ppo.normalizeObservations / normalizeRewards are missing');
  }
  if (!Number.isInteger(c.numAgents) || (c.numAgents as number) < 1) throw new CheckpointError(`checkpoint: config.numAgents: expected an integer >= 1, got ${JSON.stringify(c.numAgents)}`);
  return c as SavedConfig;
}

/**
 * Loads a checkpoint written by `agent.save()` for play (calls init() itself).
 * @example
 * const policy = await loadPolicy(new Uint8Array(await (await fetch('agent.safetensors')).arrayBuffer()));
 * const actions = policy.predict(observations); // deterministic, normalized as in training
 */
export function loadPolicy(bytes: Uint8Array | ArrayBuffer, options?: LoadPolicyOptions): Promise<InferencePolicy> {
  return InferencePolicy.load(bytes, options);
}
