// Fast inference for Agent.act: the actor-critic forward for a batch of agents, action selection (seeded
// PCG32 sampling or deterministic), log-probs and values, all in wasm memory. After the first call at a
// given agent count nothing is allocated: the caller's arrays are filled from views kept over wasm memory.
// A recurrent policy keeps each agent's hidden state in wasm memory: act() carries it one step, and the
// caller resets it where an episode ended.
import { checkArray, checkInteger, checkKeys, fail, failState, UnknownOptionError } from '../../errors.js';
import { validatePolicy } from '../validate.js';
import { wasm } from '../../init.js';
import { initialParameters } from '../../policy/init.js';
import { networkLayout, type NetworkLayout, type ParameterEntry, type PolicySpec } from '../../policy/network.js';
import { logitCount } from '../../spaces.js';
import { memoryBuffer, ViewSet } from '../../wasm-memory.js';
import { BlockSet, copyIn, copyOutF32 } from './blocks.js';
import { CpuHead } from './head.js';
import { CpuNetwork, type Sequences } from './network.js';
import type { StateTable } from './state-table.js';

const RNG_STREAM = 0x6163; // the policy's own PCG32 stream

/** Where act writes, one row per agent. */
export interface ActOutput {
  /** What the rollout stores: action indices [agents, branches] (Int32Array) or u [agents, dims] (Float32Array). */
  actions: Int32Array | Float32Array;
  /** Log-probability of each chosen action under the policy (one per agent). */
  logProbs: Float32Array;
  /** The critic's value of each observation (one per agent). */
  values: Float32Array;
  /** tanh_normal only: what the game gets, loc + scale tanh(u) [agents, dims]. */
  squashedActions?: Float32Array;
}

/** Options of `CpuPolicy.act`. */
export interface ActOptions {
  /** [agents, logits], 1 = allowed (categorical spaces). */
  masks?: Uint8Array;
  /** Most probable action (argmax; the mean; tanh of the mean, scaled) instead of a draw. */
  deterministic?: boolean;
}

/** Options of the `CpuPolicy` constructor. */
export interface CpuPolicyOptions {
  /**
   * Seeds the initial parameters (when none are given) and the sampling generator.
   * @default 0
   */
  seed?: number;
  /**
   * Initial parameters (flat, in the network layout).
   * @default seeded orthogonal init ({@link initialParameters})
   */
  parameters?: Float32Array;
  /**
   * Agents to make room for up front (more are accepted, with one reallocation).
   * @default 1
   */
  maxAgents?: number;
}

/**
 * Standalone CPU inference for a policy: the actor-critic forward, action selection, log-probs and values, in
 * wasm memory. What `Agent.act` runs; use it directly to play a trained policy without an Agent. Needs
 * `await init()` first.
 */
export class CpuPolicy {
  /** The network layout: parameter table, layers and total size. */
  readonly layout: NetworkLayout;
  /** Name, shape and offset of each parameter in the flat buffer (PyTorch names). */
  readonly parameterLayout: readonly ParameterEntry[];
  private readonly observationSize: number;
  private readonly logits: number;
  private readonly network: CpuNetwork;
  private readonly head: CpuHead;
  private readonly state: BlockSet<'params' | 'rng'>;
  private readonly io;
  private readonly views: ViewSet;
  private observations = new Float32Array(0);
  private masks = new Uint8Array(0);
  private actions: Int32Array | Float32Array = new Float32Array(0);
  private squashed = new Float32Array(0);
  private logProbs = new Float32Array(0);
  private values = new Float32Array(0);
  private states = new Float32Array(0);
  /**
   * Recurrent networks: each agent's state [agents, stateSize], the states evaluate() starts its rows from, and
   * never-set reset flags for a one-step pass.
   */
  private readonly hidden: BlockSet<'states' | 'given' | 'resets' | 'slots'>;
  private given = new Float32Array(0);
  /** The slot list of a state copy between a StateTable and the acting rows (i32, one per row). */
  private slots = new Int32Array(0);
  private readonly step: Sequences = { steps: 1, columns: 0, length: 1, resets: 0, states: 0, stateSize: 0, carry: true };
  /** evaluate()'s one step from given states, not carried. */
  private readonly scoring: Sequences = { steps: 1, columns: 0, length: 1, resets: 0, states: 0, stateSize: 0, carry: false };
  private disposed = false;
  /** Branch sizes (categorical spaces), for checking given actions without allocating. */
  private readonly nvec: readonly number[] | undefined;

  /** The validated policy spec this inference was built for. */
  readonly policy: PolicySpec;

  /**
   * @param policy - Observation size, action space and network.
   * @param options - Seed, initial parameters and how many agents to make room for.
   */
  constructor(policy: PolicySpec, options: CpuPolicyOptions = {}) {
    this.policy = policy = validatePolicy(policy, 'policy');
    checkKeys('options', options, ['seed', 'parameters', 'maxAgents'], 'option');
    const seed = checkInteger('options.seed', options.seed ?? 0, 0);
    this.layout = networkLayout(policy);
    this.parameterLayout = this.layout.parameters;
    this.observationSize = policy.observationSize;
    const space = policy.actionSpace;
    this.logits = space.kind === 'box' ? 0 : logitCount(space);
    this.nvec = space.kind === 'discrete' ? [space.n] : space.kind === 'multi_discrete' ? space.nvec : undefined;
    const size = this.layout.size;
    this.state = new BlockSet({ params: () => size * 4, rng: () => 16 });
    this.state.reserve(1);
    const initial = options.parameters === undefined
      ? initialParameters(this.layout, seed)
      : checkArray('parameters', options.parameters, Float32Array, size);
    copyIn(this.state.ptr.params, initial);
    wasm().pcgSeed(this.state.ptr.rng, BigInt(seed), BigInt(RNG_STREAM));
    this.network = new CpuNetwork(this.layout, policy.network.activation, this.state.ptr.params, 0);
    this.network.syncWeights();
    this.head = new CpuHead(policy, this.layout);
    const f32 = (n: number) => n * 4;
    const act = this.head.actionSize;
    this.io = new BlockSet({
      observations: (n) => n * this.observationSize * 4, masks: (n) => n * this.logits,
      actions: (n) => n * act * 4, squashed: (n) => n * act * 4, logProbs: f32, values: f32,
      probs: (n) => n * Math.max(this.logits, 1) * 4, entropy: f32,
    });
    this.step.stateSize = this.scoring.stateSize = this.layout.stateSize;
    this.hidden = new BlockSet({ states: (n) => n * this.layout.stateSize * 4, given: (n) => n * this.layout.stateSize * 4, resets: (n) => n, slots: (n) => n * 4 });
    this.views = new ViewSet((buffer) => this.buildViews(buffer));
    this.reserve(checkInteger('options.maxAgents', options.maxAgents ?? 1, 1));
  }

  /** Replaces the parameters (flat, in `parameterLayout` order); the array is copied. */
  setParameters(flat: Float32Array): void {
    this.checkAlive();
    checkArray('parameters', flat, Float32Array, this.layout.size);
    copyIn(this.state.ptr.params, flat);
    this.network.syncWeights();
  }

  /** A copy of the current parameters (flat, in `parameterLayout` order). */
  getParameters(): Float32Array {
    this.checkAlive();
    return copyOutF32(this.state.ptr.params, this.layout.size);
  }

  /** The sampling generator's state [state, inc], for checkpoints: a restored policy draws the same actions. */
  getRngState(): [bigint, bigint] {
    this.checkAlive();
    const words = new BigUint64Array(memoryBuffer(), this.state.ptr.rng, 2);
    return [words[0], words[1]];
  }

  /** Restores the sampling generator saved by `getRngState()`. */
  setRngState(saved: readonly [bigint, bigint]): void {
    this.checkAlive();
    if (!Array.isArray(saved) || saved.length !== 2 || saved.some((w) => typeof w !== 'bigint' || w < 0n || w >= 1n << 64n)) {
      fail('rngState', 'two unsigned 64-bit bigints [state, inc]', saved);
    }
    new BigUint64Array(memoryBuffer(), this.state.ptr.rng, 2).set(saved);
  }

  /**
   * Picks actions for every agent whose observation row is in `observations`, writing into `out` (plain
   * arrays or views over wasm memory, e.g. rollout storage). Allocates nothing once it has seen this many
   * agents (or maxAgents).
   */
  act(observations: Float32Array, out: ActOutput, options?: ActOptions): void {
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options', 'an object', options);
      for (const key in options) if (key !== 'masks' && key !== 'deterministic') throw new UnknownOptionError(`options.${key}`, ['masks', 'deterministic'], 'option');
      if (options.deterministic !== undefined && typeof options.deterministic !== 'boolean') fail('options.deterministic', 'a boolean', options.deterministic);
    }
    this.actWith(observations, out, options, true);
  }

  /**
   * @internal act() for a caller that has already checked the observations' values and the masks (the Agent
   * does, before normalizing them), so the hot path does not check them twice. Shapes are still checked.
   */
  actPrevalidated(observations: Float32Array, out: ActOutput, options?: ActOptions): void {
    this.actWith(observations, out, options, false);
  }

  private actWith(observations: Float32Array, out: ActOutput, options: ActOptions | undefined, checkValues: boolean): void {
    this.checkAlive();
    const obsSize = this.observationSize;
    if (!(observations instanceof Float32Array) || observations.length === 0 || observations.length % obsSize !== 0) {
      fail('observations', `a Float32Array of agents x ${obsSize} floats`, observations);
    }
    if (typeof out !== 'object' || out === null) fail('out', 'an object with actions, logProbs and values arrays', out);
    const agents = observations.length / obsSize;
    for (let i = 0; checkValues && i < observations.length; i++) {
      if (!Number.isFinite(observations[i])) fail(`observations[agent ${Math.floor(i / obsSize)}, ${i % obsSize}]`, 'a finite number', observations[i]);
    }
    // Room first: growing wasm memory detaches views over it, so out arrays that view wasm memory (rollout
    // storage) are checked after any growth and fail loudly instead of silently taking no writes.
    this.reserve(agents);
    const head = this.head;
    const perRow = head.actionSize;
    const categorical = head.categorical;
    if (!(categorical ? out.actions instanceof Int32Array : out.actions instanceof Float32Array) || out.actions.length < agents * perRow) {
      fail('out.actions', `${categorical ? 'an Int32Array' : 'a Float32Array'} of at least ${agents * perRow} entries`, out.actions);
    }
    if (!(out.logProbs instanceof Float32Array) || out.logProbs.length < agents) fail('out.logProbs', `a Float32Array of at least ${agents} entries`, out.logProbs);
    if (!(out.values instanceof Float32Array) || out.values.length < agents) fail('out.values', `a Float32Array of at least ${agents} entries`, out.values);
    const squashedOut = out.squashedActions;
    if (head.squash && (!(squashedOut instanceof Float32Array) || squashedOut.length < agents * perRow)) {
      fail('out.squashedActions', `a Float32Array of at least ${agents * perRow} entries (tanh_normal)`, squashedOut);
    }
    const masks = options?.masks;
    if (masks !== undefined && checkValues) this.checkMasks(masks, agents);

    this.views.refresh();
    this.observations.set(observations);
    if (masks !== undefined) this.masks.set(masks);
    const io = this.io.ptr;
    if (this.network.recurrent) {
      // One step per agent, carried in place; the object is reused so acting allocates nothing.
      const step = this.step;
      step.columns = agents;
      step.resets = this.hidden.ptr.resets;
      step.states = this.hidden.ptr.states;
      this.network.setSequences(step);
    }
    this.network.forward(io.observations, agents);
    head.act(agents, this.state.ptr.params, this.network.actorOut, masks === undefined ? 0 : io.masks,
      options?.deterministic === true, this.state.ptr.rng, io.actions, io.squashed, io.logProbs);
    const actions = out.actions;
    const own = this.actions;
    for (let i = 0; i < agents * perRow; i++) actions[i] = own[i];
    if (head.squash) for (let i = 0; i < agents * perRow; i++) squashedOut![i] = this.squashed[i];
    const values = this.values;
    for (let i = 0; i < agents; i++) {
      out.logProbs[i] = this.logProbs[i];
      out.values[i] = values[i];
    }
  }

  /** Floats of one agent's recurrent state (`layout.stateSize`: each cell's h, then c for an LSTM); 0 without memory. */
  get stateSize(): number {
    return this.layout.stateSize;
  }

  /**
   * Zeroes the recurrent state of every agent whose flag is 1 (its episode ended or its slot was respawned),
   * or of all agents when no flags are given. Allocates nothing.
   */
  resetStates(flags?: Uint8Array): void {
    this.checkAlive();
    this.views.refresh();
    const S = this.layout.stateSize;
    if (flags === undefined) {
      this.states.fill(0);
      return;
    }
    const agents = this.states.length / Math.max(1, S);
    if (!(flags instanceof Uint8Array) || flags.length > agents) fail('flags', `a Uint8Array of at most ${agents} entries`, flags);
    for (let a = 0; a < flags.length; a++) if (flags[a] !== 0) this.states.fill(0, a * S, (a + 1) * S);
  }

  /**
   * Copies the recurrent states of the first `out.length / stateSize` agents into out ([agents, stateSize]):
   * what a rollout stores at a sequence start, or a checkpoint keeps. Allocates nothing.
   */
  copyStates(out: Float32Array): void {
    this.checkAlive();
    this.views.refresh();
    if (!(out instanceof Float32Array) || out.length > this.states.length || out.length % Math.max(1, this.layout.stateSize) !== 0) {
      fail('out', `a Float32Array of agents x ${this.layout.stateSize} floats (at most ${this.states.length})`, out);
    }
    out.set(this.states.subarray(0, out.length));
  }

  /** Replaces the recurrent states of the first `states.length / stateSize` agents (from copyStates or a checkpoint). */
  setStates(states: Float32Array): void {
    this.checkAlive();
    const S = Math.max(1, this.layout.stateSize);
    if (!(states instanceof Float32Array) || states.length % S !== 0) fail('states', `a Float32Array of agents x ${this.layout.stateSize} floats`, states);
    checkArray('states', states, Float32Array, states.length, S);
    this.reserve(states.length / S);
    this.views.refresh();
    this.states.set(states);
  }

  /**
   * @internal Loads slots' states into the rows the next act() runs: row j gets `from`'s row `slots[j]` (row j
   * without `slots`), for j < count. One wasm call, one memory.copy per row; allocates nothing once `count`
   * rows fit.
   */
  loadStates(from: StateTable, slots: Int32Array | undefined, count: number): void {
    this.reserve(count);
    this.views.refresh();
    const S = this.layout.stateSize;
    wasm().copyRows(from.ptr, this.slotList(from, slots, count), this.hidden.ptr.states, 0, count, S * 4);
  }

  /** @internal The reverse of loadStates: row j of the acting states goes to `to`'s row `slots[j]` (or j). */
  storeStates(to: StateTable, slots: Int32Array | undefined, count: number): void {
    if (count > this.io.rows) fail('count', `at most the ${this.io.rows} rows acting`, count);
    this.views.refresh();
    const S = this.layout.stateSize;
    wasm().copyRows(this.hidden.ptr.states, 0, to.ptr, this.slotList(to, slots, count), count, S * 4);
  }

  /**
   * The slot indices of a state copy, checked against the table (a wasm row copy out of bounds would corrupt
   * other memory) and put in the wasm slot list: its pointer, or 0 for rows 0..count-1.
   */
  private slotList(table: StateTable, slots: Int32Array | undefined, count: number): number {
    if (table.stateSize !== this.layout.stateSize) fail('states', `a table of ${this.layout.stateSize} floats per slot`, table.stateSize);
    if (slots === undefined) {
      if (count > table.rows) fail('count', `at most the table's ${table.rows} slots`, count);
      return 0;
    }
    if (slots.length < count) fail('slots', `an Int32Array of at least ${count} slot indices`, slots.length);
    const list = this.slots;
    for (let j = 0; j < count; j++) {
      const slot = slots[j];
      if (!(slot >= 0 && slot < table.rows)) fail(`slots[${j}]`, `a slot in [0, ${table.rows - 1}]`, slot);
      list[j] = slot;
    }
    return this.hidden.ptr.slots;
  }

  /**
   * The log-probability under the policy of given actions (stored form: indices, or the pre-squash u of
   * tanh_normal, as `act` writes them into `out.actions`) and the critic's values, one row per observation
   * row; `masks` as for act. A recurrent policy scores each row one step on from the state it entered that
   * step with, `states` [rows, stateSize] (the agents' own states are not touched). Draws nothing and
   * allocates nothing once it has seen this many rows.
   */
  evaluate(observations: Float32Array, actions: Int32Array | Float32Array, out: { logProbs: Float32Array; values: Float32Array }, masks?: Uint8Array, states?: Float32Array): void {
    this.checkAlive();
    const S = this.layout.stateSize;
    // A recurrent policy's log-prob depends on the state each row starts from: it must be given.
    if (S > 0 && !(states instanceof Float32Array)) fail('states', `a Float32Array of rows x ${S} floats (the state each row starts from; the network is recurrent)`, states);
    if (S === 0 && states !== undefined) fail('states', 'undefined for a network without memory', states);
    const obsSize = this.observationSize, head = this.head, perRow = head.actionSize;
    if (!(observations instanceof Float32Array) || observations.length === 0 || observations.length % obsSize !== 0) {
      fail('observations', `a Float32Array of rows x ${obsSize} floats`, observations);
    }
    const rows = observations.length / obsSize;
    if (!(head.categorical ? actions instanceof Int32Array : actions instanceof Float32Array) || actions.length !== rows * perRow) {
      fail('actions', `${head.categorical ? 'an Int32Array' : 'a Float32Array'} of ${rows * perRow} entries`, actions);
    }
    if (!(out.logProbs instanceof Float32Array) || out.logProbs.length < rows) fail('out.logProbs', `a Float32Array of at least ${rows} entries`, out.logProbs);
    if (!(out.values instanceof Float32Array) || out.values.length < rows) fail('out.values', `a Float32Array of at least ${rows} entries`, out.values);
    if (masks !== undefined) this.checkMasks(masks, rows);
    if (states !== undefined) checkArray('states', states, Float32Array, rows * S, S);
    const nvec = this.nvec;
    for (let i = 0; nvec !== undefined && i < actions.length; i++) {
      const n = nvec[i % perRow];
      if (!Number.isInteger(actions[i]) || actions[i] < 0 || actions[i] >= n) fail(`actions[row ${Math.floor(i / perRow)}, ${i % perRow}]`, `an integer in [0, ${n - 1}]`, actions[i]);
    }
    for (let i = 0; nvec === undefined && i < actions.length; i++) {
      if (!Number.isFinite(actions[i])) fail(`actions[row ${Math.floor(i / perRow)}, ${i % perRow}]`, 'a finite number', actions[i]);
    }
    this.reserve(rows);
    this.views.refresh();
    this.observations.set(observations);
    this.actions.set(actions);
    if (masks !== undefined) this.masks.set(masks);
    const io = this.io.ptr;
    if (states !== undefined) {
      this.given.set(states);
      const scoring = this.scoring;
      scoring.columns = rows;
      scoring.resets = this.hidden.ptr.resets;
      scoring.states = this.hidden.ptr.given;
      this.network.setSequences(scoring);
    }
    this.network.forward(io.observations, rows);
    // The trainer's own scoring (its entropy output is scratch here; tanh_normal's needs no noise for log-probs).
    head.forward(rows, this.state.ptr.params, this.network.actorOut, masks === undefined ? 0 : io.masks, io.actions, 0, 0, io.probs, io.logProbs, io.entropy);
    for (let i = 0; i < rows; i++) {
      out.logProbs[i] = this.logProbs[i];
      out.values[i] = this.values[i];
    }
  }

  /** Frees the wasm memory; the policy cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.network.dispose();
    this.head.dispose();
    this.io.free();
    this.hidden.free();
    this.state.free();
  }

  private reserve(agents: number): void {
    if (agents <= this.io.rows) return;
    // Growing keeps the agents' recurrent states (the blocks are new).
    const kept = this.network.recurrent && this.io.rows > 0 ? copyOutF32(this.hidden.ptr.states, this.io.rows * this.layout.stateSize) : undefined;
    this.io.reserve(agents);
    this.network.reserve(agents);
    if (this.network.recurrent) {
      this.hidden.reserve(agents);
      if (kept) copyIn(this.hidden.ptr.states, kept);
    }
    this.buildViews(memoryBuffer());
  }

  private buildViews(buffer: ArrayBuffer): void {
    const n = this.io.rows;
    const io = this.io.ptr;
    const per = this.head.actionSize;
    this.observations = new Float32Array(buffer, io.observations, n * this.observationSize);
    this.masks = new Uint8Array(buffer, io.masks, n * this.logits);
    this.actions = this.head.categorical ? new Int32Array(buffer, io.actions, n * per) : new Float32Array(buffer, io.actions, n * per);
    this.squashed = new Float32Array(buffer, io.squashed, n * per);
    this.logProbs = new Float32Array(buffer, io.logProbs, n);
    this.values = new Float32Array(buffer, this.network.criticOut, n);
    this.states = new Float32Array(buffer, this.hidden.ptr.states, this.network.recurrent ? n * this.layout.stateSize : 0);
    this.given = new Float32Array(buffer, this.hidden.ptr.given, this.network.recurrent ? n * this.layout.stateSize : 0);
    this.slots = new Int32Array(buffer, this.hidden.ptr.slots, this.network.recurrent ? n : 0);
  }

  /** Masks are 0/1, and every branch of every agent allows at least one action. */
  private checkMasks(masks: Uint8Array, agents: number): void {
    const L = this.logits;
    if (L === 0) fail('options.masks', 'undefined for a Box action space', masks);
    if (!(masks instanceof Uint8Array) || masks.length !== agents * L) fail('options.masks', `a Uint8Array of ${agents * L} entries`, masks);
    const space = this.policy.actionSpace;
    const nvec = space.kind === 'discrete' ? null : space.kind === 'multi_discrete' ? space.nvec : null;
    for (let a = 0; a < agents; a++) {
      let base = a * L;
      const branches = nvec === null ? 1 : nvec.length;
      for (let b = 0; b < branches; b++) {
        const n = nvec === null ? L : nvec[b];
        let allowed = 0;
        for (let k = 0; k < n; k++) {
          const m = masks[base + k];
          if (m > 1) fail(`options.masks[agent ${a}, ${base - a * L + k}]`, '0 or 1', m);
          allowed |= m;
        }
        if (allowed === 0) fail(`options.masks[agent ${a}, branch ${b}]`, 'at least one allowed action', 'all masked');
        base += n;
      }
    }
  }

  private checkAlive(): void {
    if (this.disposed) failState('CpuPolicy', 'a policy not yet disposed', 'a call after dispose()');
  }
}
