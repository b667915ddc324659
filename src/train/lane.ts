// One behaviour's side of the multi-agent loop: its agent, the arrays its act() and observe() read (allocated
// once, numAgents rows each), and which env agent id holds each slot. Ids take a slot when they appear and give
// it back when they finish, so a slot's rows always belong to one id's episode.
import type { Agent } from '../agent/agent.js';
import { fail } from '../errors.js';
import type { EnvAction } from '../envs/env.js';
import { actionSize, flatSize } from '../spaces.js';

/** The self-play teams of an agent, when it plays itself (`AgentOptions.selfPlay`); slot e is on team e % teams. */
export function selfPlayTeams(agent: Agent): number | undefined {
  return agent.options.selfPlay?.teams;
}

/** A behaviour's agent and its per-tick arrays in the multi-agent loop. */
export class Lane<N extends string = string> {
  /** Next observation of each slot (a free slot's row keeps its last values: finite, and never read as its own). */
  readonly observations: Float32Array;
  /** Final observations of the slots truncated in this step (their bootstrap). */
  readonly finals: Float32Array;
  /** Each acting slot's reward in this step. */
  readonly rewards: Float32Array;
  /** 1 where the slot's id was terminated in this step. */
  readonly terminated: Uint8Array;
  /** 1 where the slot's id was truncated (and not terminated) in this step. */
  readonly truncated: Uint8Array;
  /** 1 for the slots whose id is live in this step: only they decide. */
  readonly decide: Uint8Array;
  /** The id in each slot (undefined: free). */
  readonly ids: (string | undefined)[];
  /** Self-play teams (slot e plays for team e % teams); undefined without self-play. */
  readonly teams: number | undefined;
  /** Whether act() ran on this tick (so observe() is due). */
  acted = false;
  /** Floats per observation row. */
  readonly observationSize: number;
  private readonly width: number;
  private readonly scalar: boolean;
  private views: (Int32Array | Float32Array)[] = [];
  private viewsOf: Int32Array | Float32Array | undefined;

  /**
   * @param name The behaviour's name (events are tagged with it).
   * @param agent The behaviour's agent.
   */
  constructor(readonly name: N, readonly agent: Agent) {
    const n = agent.numAgents;
    this.observationSize = flatSize(agent.observationSpace);
    this.observations = new Float32Array(n * this.observationSize);
    this.finals = new Float32Array(n * this.observationSize);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.decide = new Uint8Array(n);
    this.ids = new Array<string | undefined>(n).fill(undefined);
    this.teams = selfPlayTeams(agent);
    this.width = actionSize(agent.actionSpace);
    this.scalar = agent.actionSpace.kind === 'discrete';
  }

  /**
   * Takes a slot for `id` (on `team`'s slots under self-play, else the lowest free one) and writes its first
   * observation there. The agent must be between ticks.
   */
  place(id: string, observation: ArrayLike<number>, team: number | undefined): number {
    let slot: number | undefined;
    if (this.teams !== undefined && team !== undefined) {
      const alive = this.agent.alive;
      for (let e = team; e < alive.length; e += this.teams) if (alive[e] === 0) { slot = e; break; }
      if (slot === undefined) fail(`behaviours.${this.name}.numAgents`, `a free slot on team ${team} for '${id}' (slots e with e % ${this.teams} === ${team})`, this.agent.numAgents);
    } else if (this.agent.alive.indexOf(0) < 0) {
      fail(`behaviours.${this.name}.numAgents`, `a free slot for '${id}'`, this.agent.numAgents);
    }
    slot = this.agent.spawn(slot);
    this.ids[slot] = id;
    this.write(this.observations, slot, observation);
    return slot;
  }

  /** The slot's id has finished (observe() already ended its episode): the slot is free again. */
  release(slot: number): void {
    this.agent.leave(slot);
    this.ids[slot] = undefined;
  }

  /** Writes one id's observation into row `slot` of `into`. */
  write(into: Float32Array, slot: number, observation: ArrayLike<number>): void {
    const size = this.observationSize, at = slot * size;
    for (let k = 0; k < size; k++) into[at + k] = observation[k];
  }

  /** The env's action for `slot` out of act()'s rows: a number for Discrete, a view of its row otherwise. */
  action(actions: Int32Array | Float32Array, slot: number): EnvAction {
    if (this.scalar) return actions[slot];
    if (this.viewsOf !== actions) {
      // act() answers the same array every tick: one view per slot, made once.
      this.views = Array.from({ length: this.agent.numAgents }, (_, e) => actions.subarray(e * this.width, (e + 1) * this.width));
      this.viewsOf = actions;
    }
    return this.views[slot];
  }
}
