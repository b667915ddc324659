// The paddle duel as a single-agent Env: the learner plays one side, the scripted baseline the other. Plain
// single-agent PPO (train() with this env) learns to beat the baseline; it is also the registered
// 'PaddleDuel-v0'.
import { checkKeys, checkOneOf } from '../../errors.js';
import type { Env, EnvAction, ResetResult, StepResult } from '../env.js';
import { type DuelBaselineOptions, duelBaseline } from './baseline.js';
import { type DuelSide, PaddleDuel, type PaddleDuelOptions } from './paddle-duel.js';

/** Options of {@link DuelVsBaseline}. */
export interface DuelVsBaselineOptions {
  /** The duel's game length, rewards and physics. */
  duel?: PaddleDuelOptions;
  /** The baseline's reaction and aim (its physics default to the duel's). */
  baseline?: DuelBaselineOptions;
  /** The side the learner plays (default `'left'`; observations are mirrored, so either plays the same). */
  side?: DuelSide;
}

/**
 * A {@link PaddleDuel} against {@link duelBaseline} as a Gymnasium-style {@link Env}: observations, actions
 * and rewards are the learner's side's; the episode is one game; the last step's `info` holds the learner's
 * `result` (win, draw or loss) and `score`.
 * @example
 * <!-- test: shrink 1_000_000 => 2_048 -->
 * ```ts
 * import { Agent, DuelVsBaseline, init, train } from 'webppo';
 * await init();
 * const env = new DuelVsBaseline();
 * const agent = await Agent.create({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, numAgents: 8 });
 * await train(agent, () => new DuelVsBaseline(), { totalSteps: 1_000_000 });
 * ```
 */
export class DuelVsBaseline implements Env {
  /** `'PaddleDuel-v0'`, the id it is registered under. */
  readonly id = 'PaddleDuel-v0';
  /** The duel underneath. */
  readonly duel: PaddleDuel;
  /** The learner's side. */
  readonly side: DuelSide;
  /** `Box(6)`: the learner's mirrored view (see {@link PaddleDuel}). */
  readonly observationSpace;
  /** `Discrete(3)`: up, stay, down. */
  readonly actionSpace;
  private readonly opponent: DuelSide;
  private readonly baseline: DuelBaselineOptions;
  private opponentObservation: ArrayLike<number> = new Float32Array(6);

  /** A duel against the baseline; see {@link DuelVsBaselineOptions}. */
  constructor(options: DuelVsBaselineOptions = {}) {
    checkKeys('DuelVsBaseline options', options, ['duel', 'baseline', 'side'], 'option');
    this.duel = new PaddleDuel(options.duel);
    this.side = checkOneOf('DuelVsBaseline options.side', options.side ?? 'left', ['left', 'right']);
    this.opponent = this.side === 'left' ? 'right' : 'left';
    this.baseline = { physics: this.duel.physics, ...checkKeys('DuelVsBaseline options.baseline', options.baseline ?? {}, ['reactAt', 'aimSpread', 'physics'], 'option') };
    this.observationSpace = this.duel.observationSpace(this.side);
    this.actionSpace = this.duel.actionSpace(this.side);
  }

  /** Starts a game (see {@link PaddleDuel.reset}). */
  reset(options: { seed?: number } = {}): ResetResult {
    const { observations } = this.duel.reset(options);
    this.opponentObservation = observations[this.opponent];
    return { observation: observations[this.side], info: {} };
  }

  /** The learner's action, the baseline's reply, one step of the duel. */
  step(action: EnvAction): StepResult {
    const reply = duelBaseline(this.opponentObservation, this.baseline);
    const out = this.duel.step(this.side === 'left' ? { left: action, right: reply } : { left: reply, right: action });
    this.opponentObservation = out.observations[this.opponent];
    return {
      observation: out.observations[this.side],
      reward: out.rewards[this.side],
      terminated: out.terminations[this.side],
      truncated: out.truncations[this.side],
      info: out.infos[this.side] ?? {},
    };
  }
}
