// ELO ratings as ML-Agents' self-play keeps them: the learner's rating moves by K (S - E) after each game,
// the opponent snapshot's by the opposite amount.

/** A game's outcome from the learning team's side. */
export type GameResult = 'win' | 'draw' | 'loss';

/** The score S of a result: 1 for a win, 0.5 for a draw, 0 for a loss. */
export function resultScore(result: GameResult): number {
  return result === 'win' ? 1 : result === 'draw' ? 0.5 : 0;
}

/**
 * The expected score of a player rated `rating` against one rated `opponent`:
 * `1 / (1 + 10^((opponent - rating) / 400))`.
 */
export function expectedScore(rating: number, opponent: number): number {
  return 1 / (1 + 10 ** ((opponent - rating) / 400));
}

/**
 * How much a game moves the rating of the player rated `rating`: `k * (score - expectedScore(rating, opponent))`.
 * The opponent's rating moves by the negative of it (ELO is zero-sum).
 */
export function eloChange(rating: number, opponent: number, score: number, k: number): number {
  return k * (score - expectedScore(rating, opponent));
}
