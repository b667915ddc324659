// Behaviours: several policies in one game (hunters and prey, attackers and defenders), each an Agent with its
// own spaces, network and PPO settings, trained on its own agents' data, behind one API: one frame budget and
// update schedule, one event stream tagged by behaviour, one checkpoint holding every behaviour.
import { Agent } from '../agent/agent.js';
import { checkAgentFootprint } from '../agent/footprint.js';
import type { LoadOptions } from '../agent/agent.js';
import { checkNumber, fail, failState } from '../errors.js';
import { init } from '../init.js';
import { readCheckpointConfig } from '../policy/checkpoint.js';
import { CheckpointError } from '../policy/safetensors.js';
import { packBehaviours, unpackBehaviours } from './checkpoint.js';
import { type BehavioursEvents, tag } from './events.js';
import { checkpointErrorOf, prefixField } from './field-prefix.js';
import { activeShare, shareFrameBudget, spreadTraining } from './frame-budget.js';
import { type BehaviourOptions, type BehavioursLoadOptions, type BehavioursOptions, checkLoadOptions, resolveBehaviours } from './options.js';

/**
 * Several behaviours in one game: each is an `Agent` (its own spaces, network, PPO settings and agents) and the
 * game drives it as one (`behaviours.get('hunter').act(...)`), while the container gives them one frame budget,
 * one event stream tagged by behaviour, and one checkpoint.
 * @example
 * ```ts
 * import { Behaviours, Box, Discrete } from 'webppo';
 * const behaviours = await Behaviours.create({
 *   hunter: { observationSpace: Box(4), actionSpace: Discrete(5), numAgents: 2 },
 *   prey: { observationSpace: Box(6), actionSpace: Discrete(3), numAgents: 6, network: { hidden: [32] } },
 * }, { backend: 'cpu', frameBudgetMs: 2, seed: 1 });
 * const off = behaviours.on('episode', (e) => console.log(e.behaviour, e.agent, e.return));
 * const hunters = behaviours.get('hunter');            // the hunters' Agent
 * console.log(behaviours.names.join() === 'hunter,prey'); // true
 * off();
 * behaviours.dispose();
 * ```
 */
export class Behaviours<N extends string = string> {
  /** The behaviour names, in the order they were given (and saved). */
  readonly names: readonly N[];
  private readonly agents: ReadonlyMap<N, Agent>;
  /** The agents in `names` order. */
  private readonly list: readonly Agent[];
  private budgetMs: number;
  /** The behaviour trainFor serves first: it goes round, so none always picks first. */
  private cursor = 0;
  private disposed = false;

  private constructor(agents: Map<N, Agent>, frameBudgetMs: number) {
    this.agents = agents;
    this.names = Object.freeze([...agents.keys()]);
    this.list = Object.freeze([...agents.values()]);
    this.budgetMs = frameBudgetMs;
    shareFrameBudget(this.list, frameBudgetMs);
    // Each slice takes the budget over the behaviours with work then: an idle one's share is not lost.
    const share = () => activeShare(this.list, this.budgetMs);
    for (const agent of this.list) agent.setSliceBudget(share);
  }

  /**
   * Creates every behaviour's agent (loads the wasm if needed). Every behaviour's options and the shared ones
   * are validated before anything is built (errors name `behaviours.<name>.<field>` or `options.<field>`), and
   * when building one fails, those already built are disposed.
   * @param behaviours Each behaviour's agent options, by name (a letter, then letters, digits, `_` or `-`).
   * @param options What the behaviours share: the frame budget, and defaults for backend, worker, seed, logs.
   */
  static async create<B extends Record<string, BehaviourOptions>>(behaviours: B, options: BehavioursOptions = {}): Promise<Behaviours<Extract<keyof B, string>>> {
    type Name = Extract<keyof B, string>;
    const resolved = resolveBehaviours(behaviours, options);
    await init();
    for (const name of resolved.names) {
      try {
        checkAgentFootprint(resolved.resolved.get(name)!);
      } catch (error) {
        throw prefixField(error, `behaviours.${name}`);
      }
    }
    const built = new Map<Name, Agent>();
    try {
      for (const name of resolved.names as Name[]) {
        try {
          built.set(name, await Agent.create({ ...resolved.agents.get(name)!, frameBudgetMs: resolved.frameBudgetMs }));
        } catch (error) {
          throw prefixField(error, `behaviours.${name}`);
        }
      }
    } catch (error) {
      for (const agent of built.values()) agent.dispose();
      throw error;
    }
    return new Behaviours(built, resolved.frameBudgetMs);
  }

  /**
   * Restores every behaviour saved by save(), each exactly as `Agent.load` restores an agent. The whole file
   * is checked first (its checksum, and each behaviour's checkpoint); a truncated, corrupted or mismatched file
   * throws a `CheckpointError` naming the behaviour, and nothing stays allocated.
   * @example
   * <!-- test: no-run: a fragment of the Behaviours example above (needs its behaviours) -->
   * ```ts
   * const bytes = await behaviours.save();
   * const restored = await Behaviours.load(bytes, { behaviours: { hunter: {}, prey: {} } });
   * ```
   */
  static async load<N extends string = string>(bytes: Uint8Array | ArrayBuffer, options: BehavioursLoadOptions<N> = {}): Promise<Behaviours<N>> {
    const frameBudgetMs = checkLoadOptions(options);
    if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) fail('bytes', 'a Uint8Array or ArrayBuffer (what save() returned)', bytes);
    const parts = unpackBehaviours(bytes) as Map<N, Uint8Array>;
    const wanted = options.behaviours as Record<N, Omit<LoadOptions, 'frameBudgetMs'>> | undefined;
    if (wanted !== undefined) {
      for (const name of Object.keys(wanted)) {
        if (!parts.has(name as N)) throw new CheckpointError(`checkpoint: behaviour ${name} (in options.behaviours) is not in the file (it holds ${[...parts.keys()].join(', ')})`, 'behaviours');
      }
      for (const name of parts.keys()) {
        if (!Object.hasOwn(wanted, name)) throw new CheckpointError(`checkpoint: behaviour ${name} is in the file but not in options.behaviours`, 'behaviours');
      }
    }
    await init();
    // Every part's checksum and config are checked before any agent is built.
    for (const [name, part] of parts) {
      try {
        readCheckpointConfig(part);
      } catch (error) {
        throw checkpointErrorOf(error, name);
      }
    }
    const built = new Map<N, Agent>();
    try {
      for (const [name, part] of parts) {
        const own = wanted?.[name] ?? {};
        const agentOptions: LoadOptions = { ...own };
        for (const key of ['backend', 'trainInWorker', 'logLevel', 'logger'] as const) {
          if (agentOptions[key] === undefined && options[key] !== undefined) (agentOptions as Record<string, unknown>)[key] = options[key];
        }
        try {
          built.set(name, await Agent.load(part, { ...agentOptions, frameBudgetMs }));
        } catch (error) {
          throw checkpointErrorOf(prefixField(error, `options.behaviours.${name}`), name);
        }
      }
    } catch (error) {
      for (const agent of built.values()) agent.dispose();
      throw error;
    }
    return new Behaviours(built, frameBudgetMs);
  }

  /** The agent of one behaviour (a `ValidationError` for a name that is not one of `names`). */
  get(name: N): Agent {
    this.live();
    const agent = this.agents.get(name);
    if (agent === undefined) fail('name', `one of ${this.names.map((n) => JSON.stringify(n)).join(', ')}`, name);
    return agent;
  }

  /** Whether `name` is one of the behaviours. */
  has(name: string): name is N {
    return this.agents.has(name as N);
  }

  /** Calls `fn` with each behaviour's agent and name, in `names` order. */
  forEach(fn: (agent: Agent, name: N) => void): void {
    this.live();
    for (const [name, agent] of this.agents) fn(agent, name);
  }

  /** `[name, agent]` pairs, in `names` order. */
  [Symbol.iterator](): IterableIterator<[N, Agent]> {
    this.live();
    return this.agents.entries();
  }

  /**
   * The most training work (ms) one event-loop turn does for all behaviours together (see
   * `BehavioursOptions.frameBudgetMs`); each behaviour training on the CPU in the game's thread gets an equal
   * share as its own `frameBudgetMs`, and each slice of its updates takes the budget over the behaviours that
   * have work at that moment (an idle behaviour's share goes to the busy ones). Setting it re-shares it from
   * the next slice on.
   */
  get frameBudgetMs(): number { return this.budgetMs; }
  /** Sets the shared budget: a finite number of ms >= 0 (a `ValidationError` otherwise). */
  set frameBudgetMs(ms: number) {
    this.live();
    this.budgetMs = checkNumber('frameBudgetMs', ms, 0);
    shareFrameBudget(this.list, this.budgetMs);
  }

  /**
   * Hands training up to `ms` of the game's frame now (synchronously), spread over the behaviours with an
   * update in progress: each gets an equal part of what is left, so time one does not need goes to the
   * others, and the first served goes round from call to call. Returns the ms used (see `Agent.trainFor`).
   */
  trainFor(ms: number): number {
    this.live();
    checkNumber('ms', ms, 0);
    const used = spreadTraining(this.list, ms, this.cursor);
    this.cursor = (this.cursor + 1) % this.list.length;
    return used;
  }

  /** Updates queued or running, over all behaviours. */
  get pendingUpdates(): number {
    let pending = 0;
    for (const agent of this.list) pending += agent.pendingUpdates;
    return pending;
  }

  /**
   * Subscribes to one event of every behaviour: the agent's payload with `behaviour` added (an `'error'` arrives
   * as `{ behaviour, error }`). A listener that throws is handled as the agent handles its own listeners (routed
   * to `'error'` listeners, counted in that behaviour's `health.listenerErrors`). Returns a function that
   * unsubscribes from every behaviour.
   * @example
   * <!-- test: no-run: a fragment of the Behaviours example above (needs its behaviours) -->
   * ```ts
   * const off = behaviours.on('update', (e) => console.log(e.behaviour, e.updates, e.stats.approx_kl));
   * off();
   * ```
   */
  on<K extends keyof BehavioursEvents<N>>(event: K, listener: (event: BehavioursEvents<N>[K]) => void): () => void {
    this.live();
    if (typeof listener !== 'function') fail('listener', 'a function', listener);
    const offs: (() => void)[] = [];
    for (const [name, agent] of this.agents) {
      offs.push(agent.on(event, (payload) => listener(tag(name, payload) as BehavioursEvents<N>[K])));
    }
    return () => { for (const off of offs.splice(0)) off(); };
  }

  /**
   * Resolves when no behaviour has an update queued or running; rejects with the error of a failed update
   * (the first behaviour's, in `names` order, when several failed; each was also an `'error'` event).
   */
  async whenIdle(): Promise<void> {
    this.live();
    firstFailure(await Promise.allSettled(this.list.map((agent) => agent.whenIdle())));
  }

  /** Awaits every pending update of every behaviour (alias of whenIdle()). */
  flush(): Promise<void> {
    return this.whenIdle();
  }

  /**
   * Every behaviour in one safetensors file (see `Behaviours.load`): each behaviour's checkpoint as its
   * agent's save() writes it, its tensors and fields prefixed by its name (`hunter.actor.0.weight`), and a
   * checksum over the whole file. Call it between observe() and the next act() of every behaviour.
   */
  async save(): Promise<Uint8Array> {
    this.live();
    const saved = await Promise.allSettled(this.names.map(async (name) => {
      try {
        return await this.agents.get(name)!.save();
      } catch (error) {
        throw prefixField(error, `behaviours.${name}`);
      }
    }));
    firstFailure(saved);
    return packBehaviours(new Map(this.names.map((name, i) => [name, (saved[i] as PromiseFulfilledResult<Uint8Array>).value])));
  }

  /** Frees every behaviour's agent (see `Agent.dispose`); the container cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const agent of this.list) agent.dispose();
  }

  private live(): void {
    if (this.disposed) failState('Behaviours', 'live behaviours', 'used after dispose()');
  }
}

/** Throws the first rejection's reason, in order. */
function firstFailure(results: readonly PromiseSettledResult<unknown>[]): void {
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}
