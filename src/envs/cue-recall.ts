// A memory test: a cue is shown once, hidden for a random delay, then asked for. Nothing the agent sees when
// it is asked says which cue it was, so only a policy that remembers (network.memory) can do better than
// guessing: a feed-forward policy is held to chance by construction, whatever it learns.
import { checkInteger, checkOptions, fail } from '../errors.js';
import { PCG32 } from '../rng.js';
import { Box, type BoxSpace, Discrete, type DiscreteSpace } from '../spaces.js';
import type { Env, EnvAction, ResetResult, StepResult } from './env.js';

/** Options of {@link CueRecall}. */
export interface CueRecallOptions {
  /**
   * How many different cues (and answers); guessing is right 1 time in `cues`.
   * @default 4
   */
  cues?: number;
  /**
   * Fewest blank steps between the cue and the question.
   * @default 5
   */
  minDelay?: number;
  /**
   * Most blank steps between the cue and the question (each episode draws its delay uniformly in
   * [minDelay, maxDelay]).
   * @default 20, or minDelay when that is larger
   */
  maxDelay?: number;
}

const OPTIONS = ['cues', 'minDelay', 'maxDelay'];

/**
 * Remember a cue over a variable delay. The first observation shows one of `cues` cues (one-hot); then
 * `delay` blank observations (all zeros; `delay` drawn uniformly in [minDelay, maxDelay] per episode); then
 * the question (only the last entry set). The action taken at the question is the answer: reward 1 if it
 * names the cue, 0 otherwise, and the episode terminates. Actions before the question are ignored (reward 0).
 * An episode is `delay + 2` steps.
 *
 * Observation `Box(cues + 1, 0, 1)`: entries 0..cues-1 the cue, entry `cues` the question flag. Action
 * `Discrete(cues)`. The question and the blanks look the same whatever the cue, so a policy without memory
 * answers right with probability exactly {@link CueRecall.chance} (`1 / cues`): its mean return is the chance
 * level; a policy that remembers reaches 1. `makeEnv('CueRecall-v0')` is `new CueRecall()` (4 cues, delay 5-20).
 * @example
 * ```ts
 * import { CueRecall } from 'webppo';
 * const env = new CueRecall({ cues: 2, minDelay: 1, maxDelay: 3 });
 * let { observation } = env.reset({ seed: 1 }); // [1, 0, 0] or [0, 1, 0]: the cue
 * ```
 */
export class CueRecall implements Env {
  /** `Box(cues + 1, 0, 1)`: the cue (one-hot, first step only), then the question flag (last step only). */
  readonly observationSpace: BoxSpace;
  /** `Discrete(cues)`: the answer (only the one given at the question counts). */
  readonly actionSpace: DiscreteSpace;
  /** How many cues. */
  readonly cues: number;
  /** Fewest blank steps between cue and question. */
  readonly minDelay: number;
  /** Most blank steps between cue and question. */
  readonly maxDelay: number;
  private rng = new PCG32(0);
  private currentCue = 0;
  private currentDelay = 0;
  /** Index of the observation the agent is looking at: 0 the cue, 1..delay blanks, delay + 1 the question. */
  private t = -1;

  /** @param options - Cue count and delay range; errors name the field (`CueRecall options.cues`, ...). */
  constructor(options: CueRecallOptions = {}) {
    const o = checkOptions('CueRecall options', options, OPTIONS);
    this.cues = checkInteger('CueRecall options.cues', o.cues ?? 4, 2, 1024);
    this.minDelay = checkInteger('CueRecall options.minDelay', o.minDelay ?? 5, 0, 1_000_000);
    this.maxDelay = checkInteger('CueRecall options.maxDelay', o.maxDelay ?? Math.max(20, this.minDelay), this.minDelay, 1_000_000);
    this.observationSpace = Box(this.cues + 1, 0, 1);
    this.actionSpace = Discrete(this.cues);
  }

  /** The success rate (and mean return) of any policy that does not remember the cue: `1 / cues`. */
  get chance(): number { return 1 / this.cues; }

  /** This episode's cue (the right answer). */
  get cue(): number { return this.currentCue; }

  /** This episode's number of blank steps between the cue and the question. */
  get delay(): number { return this.currentDelay; }

  /** Starts an episode: draws the cue and the delay, shows the cue; a seed re-seeds the generator. */
  reset(options: { seed?: number } = {}): ResetResult {
    if (options.seed !== undefined) this.rng = new PCG32(options.seed);
    this.currentCue = Math.floor(this.rng.nextFloat() * this.cues);
    this.currentDelay = this.minDelay + Math.floor(this.rng.nextFloat() * (this.maxDelay - this.minDelay + 1));
    this.t = 0;
    const observation = new Float32Array(this.cues + 1);
    observation[this.currentCue] = 1;
    return { observation, info: {} };
  }

  /** Ignores the action until the question; at the question, scores the answer and ends the episode. */
  step(action: EnvAction): StepResult {
    if (typeof action !== 'number' || !Number.isInteger(action) || action < 0 || action >= this.cues) {
      fail('CueRecall action', `an integer in [0, ${this.cues - 1}]`, action);
    }
    if (this.t < 0) throw new Error('CueRecall: call reset() before step() (the episode has ended)');
    const observation = new Float32Array(this.cues + 1);
    if (this.t === this.currentDelay + 1) {
      this.t = -1;
      return { observation, reward: action === this.currentCue ? 1 : 0, terminated: true, truncated: false, info: {} };
    }
    this.t++;
    if (this.t === this.currentDelay + 1) observation[this.cues] = 1;
    return { observation, reward: 0, terminated: false, truncated: false, info: {} };
  }
}
