// Opponents acting with frozen parameters: one wasm CPU inference instance, batched over the rows (slots)
// an opponent team holds. Changing the opponent copies parameters in; nothing is rebuilt, and after the
// first call nothing is allocated. With observation normalization a frozen policy carries the statistics it
// was trained with (after its network parameters), so an old snapshot never reads the learner's newer ones.
// A recurrent policy (network.memory) carries one state per slot, as the learner does: loaded into the rows
// that act, stepped, and written back, so slots that do not act keep theirs. A state only means something to
// the weights that made it: loading different parameters starts every slot's state over from zero.
import { CpuPolicy } from '../backend/cpu/inference.js';
import { StateTable } from '../backend/cpu/state-table.js';
import { checkArray, checkBoolean, checkInteger, checkKeys, checkObject, fail, UnknownOptionError } from '../errors.js';
import type { PolicySpec } from '../policy/network.js';
import { CheckpointError, type Tensor } from '../policy/safetensors.js';
import { MAX_TEAMS } from './options.js';
import { opponentMemoryTensor, opponentRngTensor } from './state.js';
import { actionSize, logitCount } from '../spaces.js';
import { normalizeValue, type RunningStats } from '../normalize.js';

/** Options of the OpponentPolicy constructor. */
export interface OpponentPolicyOptions {
  /** The most rows one act() call acts for (the slots an opponent team can hold). */
  maxRows: number;
  /**
   * The most slots act()'s arrays hold (its `observations` rows): a recurrent policy keeps a state for each
   * slot index below it.
   * @default maxRows
   */
  slots?: number;
  /**
   * Seeds the action draws.
   * @default 0
   */
  seed?: number;
  /**
   * Whether the frozen policies normalize observations: each one's flat parameters then end with the
   * observation statistics it was trained with (see {@link frozenPolicy}), and act() reads raw observations.
   * @default false
   */
  normalizeObservations?: boolean;
}

/**
 * A policy frozen for opponents: the network's flat parameters, followed, when the policy normalizes
 * observations, by the normalizer's mean and variance (observation size each, as float32) at that moment.
 * Weights and statistics travel together, so a snapshot normalizes as it did when it was taken.
 * @param parameters - The network's flat parameters (copied).
 * @param stats - The observation statistics, when the policy normalizes.
 * @param out - Where to write (length: parameters + 2 x observation size); a new array when left out.
 */
export function frozenPolicy(parameters: Float32Array, stats?: RunningStats, out?: Float32Array): Float32Array {
  if (stats === undefined) {
    if (out === undefined) return parameters.slice();
    out.set(parameters);
    return out;
  }
  const n = stats.mean.length;
  const into = out ?? new Float32Array(parameters.length + 2 * n);
  if (into.length !== parameters.length + 2 * n) fail('out', `a Float32Array of ${parameters.length + 2 * n} floats (parameters + 2 x ${n})`, into);
  into.set(parameters);
  into.set(stats.mean, parameters.length);
  into.set(stats.var, parameters.length + n);
  return into;
}

/** Options of one OpponentPolicy.act() call. */
export interface OpponentActOptions {
  /** Action masks for every slot (slots x logits, 1 = allowed), as the agent takes them; only the acting rows are read. */
  masks?: Uint8Array;
  /**
   * The most probable action instead of a draw.
   * @default false
   */
  deterministic?: boolean;
}

/**
 * A frozen policy for opponent teams: `load()` the parameters self-play chose (`selfPlay.opponent(team)`),
 * then `act()` for the opponent's slots every tick. One CPU inference instance whatever the number of
 * snapshots; needs `await init()` first.
 */
export class OpponentPolicy {
  /** The policy spec the opponents share with the learner. */
  readonly policy: PolicySpec;
  /** The most rows one act() call acts for. */
  readonly maxRows: number;
  /** The most slots act()'s arrays hold: the rows of {@link OpponentPolicy.states}. */
  readonly slots: number;
  /** Floats of one slot's recurrent state (each cell's h, then c for an LSTM); 0 for a feed-forward policy. */
  readonly stateSize: number;
  /**
   * Each slot's recurrent state [slots, stateSize] (empty for a feed-forward policy): what the slot's next
   * act() starts from. Written by act(), zeroed by {@link OpponentPolicy.resetStates} and by loading other
   * parameters; a checkpoint keeps it (see {@link OpponentPolicy.state}). A view over wasm memory, where act()
   * gathers and scatters the acting slots' rows without copying through JS: read it again after wasm memory
   * grows (a view kept across an allocation may be detached).
   */
  get states(): Float32Array {
    return this.table.data;
  }
  private readonly table: StateTable;
  private readonly cpu: CpuPolicy;
  /** The frozen policy loaded now (recurrent policies only: a load() of the same bits keeps the states). */
  private readonly loaded: Float32Array | undefined;
  private readonly observationSize: number;
  private readonly actionSize: number;
  private readonly logits: number;
  private readonly squash: boolean;
  private readonly gathered: Float32Array;
  private readonly gatheredMasks: Uint8Array;
  private readonly out: { actions: Int32Array | Float32Array; logProbs: Float32Array; values: Float32Array; squashedActions?: Float32Array };
  /** Views of the gathered rows, one per row count, made on first use. */
  private readonly views: Float32Array[] = [];
  private readonly maskViews: Uint8Array[] = [];
  private readonly actOptions = { masks: undefined as Uint8Array | undefined, deterministic: false };
  /** The frozen observation mean and variance (float64 copies), when the policy normalizes. */
  private readonly normalizer: { mean: Float64Array; var: Float64Array } | undefined;

  /**
   * @param policy - The learner's policy spec (observation size, action space, network).
   * @param parameters - The opponent's frozen policy to start with (copied; see {@link frozenPolicy}).
   * @param options - The most rows per call, the slots act() is given, the seed of the draws, and whether
   *   observations are normalized.
   */
  constructor(policy: PolicySpec, parameters: Float32Array, options: OpponentPolicyOptions) {
    checkKeys('options', options, ['maxRows', 'slots', 'seed', 'normalizeObservations'], 'option');
    this.maxRows = checkInteger('options.maxRows', options.maxRows, 1, 1 << 20);
    this.slots = checkInteger('options.slots', options.slots ?? this.maxRows, 1, 1 << 20);
    const normalize = checkBoolean('options.normalizeObservations', options.normalizeObservations ?? false);
    const seed = checkInteger('options.seed', options.seed ?? 0, 0);
    // The network's part goes to the constructor as it is (CpuPolicy checks it); the statistics are loaded next.
    const statistics = normalize && parameters instanceof Float32Array ? 2 * (policy?.observationSize ?? 0) : 0;
    const network = statistics > 0 && parameters.length > statistics ? parameters.subarray(0, parameters.length - statistics) : parameters;
    this.cpu = new CpuPolicy(policy, { parameters: network, seed, maxAgents: this.maxRows });
    this.policy = this.cpu.policy;
    this.stateSize = this.cpu.stateSize;
    try {
      this.table = new StateTable(this.slots, this.stateSize, 'options.slots');
    } catch (error) {
      this.cpu.dispose();
      throw error;
    }
    this.loaded = this.stateSize > 0 ? parameters.slice() : undefined;
    if (normalize) {
      this.normalizer = { mean: new Float64Array(this.policy.observationSize), var: new Float64Array(this.policy.observationSize) };
      try {
        this.load(parameters, 'parameters');
      } catch (error) {
        this.dispose();
        throw error;
      }
    }
    const space = this.policy.actionSpace;
    this.observationSize = this.policy.observationSize;
    this.actionSize = actionSize(space);
    this.logits = space.kind === 'box' ? 0 : logitCount(space);
    this.squash = space.kind === 'box' && this.policy.network.distribution === 'tanh_normal';
    const rows = this.maxRows;
    this.gathered = new Float32Array(rows * this.observationSize);
    this.gatheredMasks = new Uint8Array(rows * this.logits);
    const perRow = rows * this.actionSize;
    this.out = {
      actions: space.kind === 'box' ? new Float32Array(perRow) : new Int32Array(perRow),
      logProbs: new Float32Array(rows), values: new Float32Array(rows),
    };
    if (this.squash) this.out.squashedActions = new Float32Array(perRow);
  }

  /** Floats per frozen policy: the network's parameters, plus 2 x observation size when it normalizes. */
  get parameterCount(): number {
    return this.cpu.layout.size + (this.normalizer ? 2 * this.policy.observationSize : 0);
  }

  /**
   * Switches to another frozen policy (see {@link frozenPolicy}): copies its network parameters into the
   * inference instance and, when it normalizes, its observation statistics. A recurrent policy's slots start
   * over from zero states when anything differs from the policy loaded now (a state made by other weights
   * means nothing to these); loading the very same bits keeps them. A malformed one changes nothing.
   */
  load(parameters: Float32Array, field = 'parameters'): void {
    checkArray(field, parameters, Float32Array, this.parameterCount);
    const size = this.cpu.layout.size;
    const norm = this.normalizer;
    if (norm !== undefined) {
      const n = this.policy.observationSize;
      for (let k = 0; k < n; k++) {
        const variance = parameters[size + n + k];
        if (!(variance >= 0)) fail(`${field}[${size + n + k}]`, 'an observation variance >= 0', variance);
      }
      for (let k = 0; k < n; k++) {
        norm.mean[k] = parameters[size + k];
        norm.var[k] = parameters[size + n + k];
      }
    }
    this.cpu.setParameters(norm === undefined ? parameters : parameters.subarray(0, size));
    const loaded = this.loaded;
    if (loaded === undefined) return;
    // The same policy is the same bits (a swap may draw the snapshot it already plays).
    const before = new Int32Array(loaded.buffer, loaded.byteOffset, loaded.length);
    const now = new Int32Array(parameters.buffer, parameters.byteOffset, parameters.length);
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== now[i]) {
        loaded.set(parameters);
        this.states.fill(0);
        return;
      }
    }
  }

  /**
   * Forgets recurrent states: `slot`'s (its episode ended, its agent left or spawned, or something else took
   * it over), or every slot's without one. Nothing to do for a feed-forward policy. Allocates nothing.
   */
  resetStates(slot?: number): void {
    if (slot === undefined) {
      this.states.fill(0);
      return;
    }
    checkInteger('slot', slot, 0, this.slots - 1);
    this.states.fill(0, slot * this.stateSize, (slot + 1) * this.stateSize);
  }

  /**
   * Acts for the first `count` slots listed in `rows`: reads each slot's observation row of `observations`
   * (slots x observation size, raw: a policy that normalizes does it with its own frozen statistics), and writes each slot's action into its row of `actions` (slots x action size; for
   * tanh_normal, the squashed action the game gets). Other rows of `actions` are left alone. A recurrent
   * policy steps each listed slot from its state in {@link OpponentPolicy.states} and keeps the new one there;
   * the other slots' states wait.
   * @param observations - Every slot's observation row (at most `options.slots` slots for a recurrent policy).
   * @param rows - Slot indices acting now, each at most once; the first `count` are read.
   * @param count - How many slots act (0 to maxRows).
   * @param actions - Every slot's action row (Int32Array for discrete spaces, Float32Array for Box).
   * @param options - Masks and deterministic play.
   */
  act(observations: Float32Array, rows: Int32Array, count: number, actions: Int32Array | Float32Array, options?: OpponentActOptions): void {
    const obsSize = this.observationSize;
    if (!(observations instanceof Float32Array) || observations.length === 0 || observations.length % obsSize !== 0) fail('observations', `a Float32Array of slots x ${obsSize} floats`, observations);
    const slots = observations.length / obsSize;
    if (this.stateSize > 0 && slots > this.slots) fail('observations', `a Float32Array of at most ${this.slots} slots (options.slots: each keeps its recurrent state) x ${obsSize} floats`, observations);
    if (!(rows instanceof Int32Array)) fail('rows', 'an Int32Array of slot indices', rows);
    checkInteger('count', count, 0, Math.min(this.maxRows, rows.length));
    const per = this.actionSize;
    const categorical = this.policy.actionSpace.kind !== 'box';
    if (!(categorical ? actions instanceof Int32Array : actions instanceof Float32Array) || actions.length !== slots * per) {
      fail('actions', `${categorical ? 'an Int32Array' : 'a Float32Array'} of ${slots} slots x ${per}`, actions);
    }
    let deterministic = false;
    let masks: Uint8Array | undefined;
    if (options !== undefined) {
      checkObject('options', options);
      // for-in rather than checkKeys: Object.keys would allocate an array on every call.
      for (const key in options) if (key !== 'masks' && key !== 'deterministic') throw new UnknownOptionError(`options.${key}`, ['masks', 'deterministic'], 'option');
      if (options.deterministic !== undefined) deterministic = checkBoolean('options.deterministic', options.deterministic);
      masks = options.masks;
      if (masks !== undefined) {
        if (this.logits === 0) fail('options.masks', 'undefined for a Box action space', masks);
        checkArray('options.masks', masks, Uint8Array, slots * this.logits);
      }
    }
    for (let i = 0; i < count; i++) {
      const slot = rows[i];
      if (slot < 0 || slot >= slots) fail(`rows[${i}]`, `a slot in [0, ${slots - 1}]`, slot);
      for (let k = 0, at = slot * obsSize; k < obsSize; k++) {
        if (!Number.isFinite(observations[at + k])) fail(`observations[slot ${slot}, ${k}]`, 'a finite number', observations[at + k]);
      }
      if (masks !== undefined) this.checkMaskRow(masks, slot);
    }
    if (count === 0) return;
    const gathered = this.gathered;
    const L = this.logits;
    const norm = this.normalizer;
    for (let i = 0; i < count; i++) {
      // Plain loops, not subarray(): a view per row would allocate on every call.
      if (norm === undefined) {
        for (let k = 0, from = rows[i] * obsSize, to = i * obsSize; k < obsSize; k++) gathered[to + k] = observations[from + k];
      } else {
        for (let k = 0, from = rows[i] * obsSize, to = i * obsSize; k < obsSize; k++) gathered[to + k] = normalizeValue(observations[from + k], norm.mean[k], norm.var[k]);
      }
      if (masks !== undefined) for (let k = 0, from = rows[i] * L, to = i * L; k < L; k++) this.gatheredMasks[to + k] = masks[from + k];
    }
    this.actOptions.masks = masks === undefined ? undefined : this.view(this.maskViews, this.gatheredMasks, count, L);
    this.actOptions.deterministic = deterministic;
    // Each acting row starts from its slot's state and leaves the state it carries out there.
    if (this.stateSize > 0) this.cpu.loadStates(this.table, rows, count);
    this.cpu.actPrevalidated(this.view(this.views, gathered, count, obsSize), this.out, this.actOptions);
    if (this.stateSize > 0) this.cpu.storeStates(this.table, rows, count);
    const source = this.out.squashedActions ?? this.out.actions;
    for (let i = 0; i < count; i++) {
      const to = rows[i] * per;
      for (let k = 0; k < per; k++) actions[to + k] = source[i * per + k];
    }
  }

  /**
   * The action draws' generator as a checkpoint tensor, `self_play.opponent_rng.<team>`, and a recurrent
   * policy's slot states as `self_play.opponent_memory.<team>` (F32 [slots, stateSize]): restored by
   * `restore`, the same draws and actions follow.
   * @param team - The opponent team this policy acts for (names the tensors).
   */
  state(team: number): Map<string, Tensor> {
    checkInteger('team', team, 0, MAX_TEAMS - 1);
    const words = new Int32Array(4);
    new BigUint64Array(words.buffer).set(this.cpu.getRngState());
    const tensors = new Map<string, Tensor>([[opponentRngTensor(team), { dtype: 'I32', shape: [4], data: words }]]);
    if (this.stateSize > 0) tensors.set(opponentMemoryTensor(team), { dtype: 'F32', shape: [this.slots, this.stateSize], data: this.states.slice() });
    return tensors;
  }

  /**
   * Restores what `state(team)` saved from a checkpoint's tensors (the parameters come from self-play's
   * state: load them first, since loading other parameters forgets the states); a missing or malformed
   * tensor throws a CheckpointError naming it, and changes nothing.
   */
  restore(tensors: ReadonlyMap<string, Tensor>, team: number): void {
    checkInteger('team', team, 0, MAX_TEAMS - 1);
    const name = opponentRngTensor(team);
    const t = tensors.get(name);
    if (!t) throw new CheckpointError(`checkpoint: tensor ${name} is missing (self-play opponent)`, name);
    if (t.dtype !== 'I32' || t.shape.length !== 1 || t.shape[0] !== 4) throw new CheckpointError(`checkpoint: tensor ${name}: expected I32 [4], got ${t.dtype} [${t.shape}]`, name);
    const [state, inc] = new BigUint64Array((t.data as Int32Array).slice().buffer);
    if ((inc & 1n) === 0n) throw new CheckpointError(`checkpoint: tensor ${name}: expected a PCG32 state whose increment is odd, got increment ${inc}`, name);
    const states = this.savedStates(tensors, team);
    this.cpu.setRngState([state, inc]);
    if (states !== undefined) this.states.set(states);
  }

  /** The checked `self_play.opponent_memory.<team>` of a recurrent policy (undefined for a feed-forward one, which has none). */
  private savedStates(tensors: ReadonlyMap<string, Tensor>, team: number): Float32Array | undefined {
    const name = opponentMemoryTensor(team);
    const t = tensors.get(name);
    const S = this.stateSize;
    if (S === 0) {
      if (t !== undefined) throw new CheckpointError(`checkpoint: tensor ${name}: expected none (the policy has no recurrent memory), got ${t.dtype} [${t.shape}]`, name);
      return undefined;
    }
    if (!t) throw new CheckpointError(`checkpoint: tensor ${name} is missing (a recurrent self-play opponent's states)`, name);
    if (t.dtype !== 'F32' || t.shape.length !== 2 || t.shape[0] !== this.slots || t.shape[1] !== S) throw new CheckpointError(`checkpoint: tensor ${name}: expected F32 [${this.slots}, ${S}], got ${t.dtype} [${t.shape.join(', ')}]`, name);
    const data = t.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new CheckpointError(`checkpoint: tensor ${name}[${i}]: expected a finite number, got ${data[i]}`, name);
    }
    return data;
  }

  /** Frees the wasm memory. */
  dispose(): void {
    this.cpu.dispose();
    this.table.free();
  }

  /** The first `count` rows of `data` (a cached view per count, so acting allocates nothing after warm-up). */
  private view<T extends Float32Array | Uint8Array>(cache: T[], data: T, count: number, size: number): T {
    return (cache[count] ??= data.subarray(0, count * size) as T);
  }

  /** A slot's masks: 0 or 1, at least one allowed action per branch. */
  private checkMaskRow(masks: Uint8Array, slot: number): void {
    const space = this.policy.actionSpace;
    const branches = space.kind === 'multi_discrete' ? space.nvec : [this.logits];
    let at = slot * this.logits;
    for (let b = 0; b < branches.length; b++) {
      let allowed = 0;
      for (let k = 0; k < branches[b]; k++) {
        const m = masks[at + k];
        if (m > 1) fail(`options.masks[slot ${slot}, ${at + k - slot * this.logits}]`, '0 or 1', m);
        allowed |= m;
      }
      if (allowed === 0) fail(`options.masks[slot ${slot}, branch ${b}]`, 'at least one allowed action', 'all masked');
      at += branches[b];
    }
  }
}
