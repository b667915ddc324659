// Self-play settings, named as ML-Agents names them (camelCase), with ML-Agents' defaults.
import { checkInteger, checkNumber, checkOptions } from '../errors.js';

/**
 * Self-play settings: ML-Agents' `self_play` section in camelCase. Step counts are agent steps (one per
 * agent per decision), as ML-Agents counts them.
 */
export interface SelfPlayOptions {
  /**
   * Trained steps (the learning team's agent steps) between snapshots of the learning policy.
   * @default 20000
   */
  saveSteps?: number;
  /**
   * Snapshots kept in the pool; a new snapshot past this many replaces the oldest.
   * @default 10
   */
  window?: number;
  /**
   * Opponent steps (steps of agents acting with a frozen policy) between opponent changes.
   * @default 10000
   */
  swapSteps?: number;
  /**
   * Trained steps between changes of the learning team (the teams take turns in order 0, 1, ..., teams - 1).
   * @default 5 * saveSteps
   */
  teamChange?: number;
  /**
   * Probability, at each opponent change, that the opponent is the current policy (frozen at that moment)
   * rather than a snapshot drawn uniformly from the pool.
   * @default 0.5
   */
  playAgainstLatestModelRatio?: number;
  /**
   * The rating every policy starts with.
   * @default 1200
   */
  initialElo?: number;
  /**
   * The ELO K-factor: a game moves a rating by `eloK * (score - expected)`. 16 is the K of ML-Agents' ELO
   * guide; ML-Agents' trainer applies the change unscaled, which `eloK: 1` reproduces.
   * @default 16
   */
  eloK?: number;
  /**
   * Teams in the game (team ids 0 to teams - 1); one learns at a time, the others play frozen opponents.
   * @default 2
   */
  teams?: number;
}

/** Self-play settings with every field set. */
export type ResolvedSelfPlayOptions = Readonly<Required<SelfPlayOptions>>;

const KEYS = ['saveSteps', 'window', 'swapSteps', 'teamChange', 'playAgainstLatestModelRatio', 'initialElo', 'eloK', 'teams'] as const;

/** The most teams a game may have (team ids fit comfortably in checkpoint tensors). */
export const MAX_TEAMS = 64;

/** The most snapshots a pool may hold. */
export const MAX_WINDOW = 1024;

/**
 * Fills ML-Agents' defaults and validates; errors name `field.<key>` with the expected and the actual value.
 * @param input - The user's settings (undefined: all defaults).
 * @param field - The user's name for the settings object, used in error messages.
 */
export function resolveSelfPlayOptions(input: SelfPlayOptions | undefined, field = 'selfPlay'): ResolvedSelfPlayOptions {
  const o = checkOptions(field, input, KEYS);
  const saveSteps = checkInteger(`${field}.saveSteps`, o.saveSteps ?? 20000, 1);
  return Object.freeze({
    saveSteps,
    window: checkInteger(`${field}.window`, o.window ?? 10, 1, MAX_WINDOW),
    swapSteps: checkInteger(`${field}.swapSteps`, o.swapSteps ?? 10000, 1),
    teamChange: checkInteger(`${field}.teamChange`, o.teamChange ?? 5 * saveSteps, 1),
    playAgainstLatestModelRatio: checkNumber(`${field}.playAgainstLatestModelRatio`, o.playAgainstLatestModelRatio ?? 0.5, 0, 1),
    initialElo: checkNumber(`${field}.initialElo`, o.initialElo ?? 1200, -1e6, 1e6),
    eloK: checkNumber(`${field}.eloK`, o.eloK ?? 16, 0, 1e4),
    teams: checkInteger(`${field}.teams`, o.teams ?? 2, 2, MAX_TEAMS),
  });
}
