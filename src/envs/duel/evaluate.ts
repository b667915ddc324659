// Headless evaluation of any policy against the duel's scripted baseline: whole games, sides alternating.
import { checkInteger, checkKeys, fail } from '../../errors.js';
import type { EnvAction } from '../env.js';
import type { DuelBaselineOptions } from './baseline.js';
import type { DuelResultInfo, PaddleDuelOptions } from './paddle-duel.js';
import { DuelVsBaseline } from './vs-baseline.js';

/** Options of {@link evaluateVersusBaseline}. */
export interface EvaluateVersusBaselineOptions {
  /** Games to play (default 100); the policy plays the left side in even games, the right in odd ones. */
  games?: number;
  /** Game g is seeded with seed + g (default 0). */
  seed?: number;
  /** The duel's options (the same for every game). */
  duel?: PaddleDuelOptions;
  /** The baseline's options. */
  baseline?: DuelBaselineOptions;
}

/** What {@link evaluateVersusBaseline} counts (from the policy's point of view). */
export interface VersusBaselineResult {
  /** Games played. */
  games: number;
  /** Games the policy won. */
  wins: number;
  /** Games cut short at the step limit with the score level. */
  draws: number;
  /** Games the policy lost. */
  losses: number;
  /** wins / games. */
  winRate: number;
}

/**
 * Plays `games` whole games of {@link PaddleDuel} between `policy` and {@link duelBaseline}, alternating
 * sides, and counts the results. `policy` gets its side's mirrored observation (`Box(6)`) and answers an action
 * (0 up, 1 stay, 2 down; a one-entry array such as an agent's prediction works too). Deterministic when the
 * policy is.
 * @example
 * ```ts
 * import { evaluateVersusBaseline } from 'webppo';
 * const { winRate } = evaluateVersusBaseline(() => 1, { games: 20, seed: 1 }); // standing still loses
 * console.log(winRate <= 0.1); // true
 * ```
 */
export function evaluateVersusBaseline(policy: (observation: Float32Array) => EnvAction, options: EvaluateVersusBaselineOptions = {}): VersusBaselineResult {
  checkKeys('evaluateVersusBaseline options', options, ['games', 'seed', 'duel', 'baseline'], 'option');
  if (typeof policy !== 'function') fail('evaluateVersusBaseline(policy)', 'a function (observation) => action', policy);
  const games = checkInteger('evaluateVersusBaseline options.games', options.games ?? 100, 1);
  const seed = checkInteger('evaluateVersusBaseline options.seed', options.seed ?? 0, 0);
  const envs = [new DuelVsBaseline({ duel: options.duel, baseline: options.baseline, side: 'left' }),
    new DuelVsBaseline({ duel: options.duel, baseline: options.baseline, side: 'right' })];
  const counts = { win: 0, draw: 0, loss: 0 };
  for (let g = 0; g < games; g++) {
    const env = envs[g % 2];
    let observation = env.reset({ seed: seed + g }).observation as Float32Array;
    for (;;) {
      const answer = policy(observation);
      const action = typeof answer === 'number' ? answer : answer?.[0];
      const out = env.step(action);
      if (out.terminated || out.truncated) {
        counts[(out.info as DuelResultInfo).result]++;
        break;
      }
      observation = out.observation as Float32Array;
    }
  }
  return { games, wins: counts.win, draws: counts.draw, losses: counts.loss, winRate: counts.win / games };
}
