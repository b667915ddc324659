// Random self-play runs shared by the schedule and state tests: settings, a seed, and a sequence of
// trained-step reports and game results.
import fc from 'fast-check';
import type { GameResult, SelfPlay } from '../../src/selfplay/index.js';

const params = (value: number, size = 3) => new Float32Array(size).fill(value);

/** A random self-play run: settings, a seed and a sequence of trained-step reports and game results. */
export const runArbitrary = fc.record({
  options: fc.record({
    // Small intervals and steps, so counts often land exactly on an interval (where > and >= differ).
    saveSteps: fc.integer({ min: 1, max: 40 }),
    window: fc.integer({ min: 1, max: 5 }),
    swapSteps: fc.integer({ min: 1, max: 40 }),
    teamChange: fc.integer({ min: 1, max: 120 }),
    playAgainstLatestModelRatio: fc.constantFrom(0, 0.25, 0.5, 1),
    initialElo: fc.constantFrom(1200, 1000),
    eloK: fc.constantFrom(16, 1, 32),
    teams: fc.integer({ min: 2, max: 3 }),
  }),
  seed: fc.integer({ min: 0, max: 1000 }),
  ops: fc.array(fc.oneof(
    fc.record({ kind: fc.constant('train' as const), steps: fc.integer({ min: 0, max: 30 }), ghost: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ kind: fc.constant('result' as const), result: fc.constantFrom<GameResult>('win', 'draw', 'loss'), pick: fc.nat(8) }),
  ), { maxLength: 80 }),
});

export type Run = typeof runArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Applies op `i` of a run to a SelfPlay (and returns the parameters it passed, for a model to get the same). */
export function apply(sp: SelfPlay, op: Run['ops'][number], i: number): void {
  if (op.kind === 'train') sp.onTrainedSteps(op.steps, params(i + 1), op.ghost);
  else sp.reportResult(op.result, opponentTeam(sp.options.teams, sp.learningTeam, op.pick));
}

export function opponentTeam(teams: number, learning: number, pick: number): number {
  const others = Array.from({ length: teams }, (_, t) => t).filter((t) => t !== learning);
  return others[pick % others.length];
}
