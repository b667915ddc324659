// The save / swap / team-change schedule and the opponent draws over random step sequences, against an
// independent model of ML-Agents' GhostTrainer (ghost-model.ts); window eviction; the latest-model ratio.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveSelfPlayOptions, SelfPlay } from '../../src/selfplay/index.js';
import { GhostModel } from './ghost-model.js';
import { apply, opponentTeam, runArbitrary } from './runs.js';

const params = (value: number, size = 3) => new Float32Array(size).fill(value);

describe('self-play schedule', () => {
  it('saves, swaps, changes teams and rates exactly as ML-Agents\' ghost trainer does', () => {
    fc.assert(fc.property(runArbitrary, ({ options, seed, ops }) => {
      const sp = new SelfPlay(options, params(0), seed);
      const model = new GhostModel(resolveSelfPlayOptions(options), params(0), seed);
      ops.forEach((op, i) => {
        apply(sp, op, i);
        if (op.kind === 'train') model.advance(op.steps, op.ghost, params(i + 1));
        else model.report({ win: 1, draw: 0.5, loss: 0 }[op.result], opponentTeam(options.teams, model.learningTeam, op.pick));
        expect(sp.learningTeam).toBe(model.learningTeam);
        expect(sp.elo).toBeCloseTo(model.currentElo, 9);
        expect(sp.poolSize).toBe(model.snapshots.length);
        model.snapshots.forEach((s, slot) => {
          expect(sp.snapshot(slot).parameters).toEqual(s.weights);
          expect(sp.snapshot(slot).elo).toBeCloseTo(model.ratings.get(s.id)!, 9);
        });
        for (let t = 0; t < options.teams; t++) {
          if (t === model.learningTeam) continue;
          const expected = model.opponents.get(t)!;
          const actual = sp.opponent(t);
          expect(actual.snapshot).toBe(expected.x === 'current' ? 'latest' : expected.x);
          expect(actual.parameters).toEqual(expected.weights);
          expect(actual.elo).toBeCloseTo(expected.id < 0 ? model.currentElo : model.ratings.get(expected.id)!, 9);
        }
        const summary = sp.summary();
        expect(summary.trainedSteps).toBe(model.stepCount);
        expect(summary.opponentSteps).toBe(model.ghostStep);
      });
    }), { numRuns: 150 });
  });

  it('fires each event once its steps since the last one exceed the interval (strictly), at most once per call', () => {
    const sp = new SelfPlay({ saveSteps: 100, swapSteps: 50, teamChange: 250, playAgainstLatestModelRatio: 0 }, params(0));
    const events = [100, 1, 49, 1, 100, 1].map((steps, i) => sp.onTrainedSteps(steps, params(i + 1)));
    expect(events).toEqual([
      { teamChanged: false, saved: false, swapped: true }, // 100 > 50 opponent steps
      { teamChanged: false, saved: true, swapped: false }, // 101 > 100 trained steps
      { teamChanged: false, saved: false, swapped: false }, // 150: 49 since the save, 50 since the swap
      { teamChanged: false, saved: false, swapped: true }, // 151: 51 since the swap
      { teamChanged: true, saved: true, swapped: true }, // 251 > 250: team change, and a swap with it
      { teamChanged: false, saved: false, swapped: false },
    ]);
    expect(sp.learningTeam).toBe(1);
    expect(sp.opponent().team).toBe(0);
  });

  it('keeps the last `window` snapshots: a new one replaces the oldest', () => {
    const sp = new SelfPlay({ saveSteps: 1, window: 3, swapSteps: 1e9, teamChange: 1e9 }, params(0));
    const first = (slot: number) => sp.snapshot(slot).parameters[0];
    expect(sp.poolSize).toBe(1);
    for (let i = 1; i <= 2; i++) sp.onTrainedSteps(2, params(i));
    expect([0, 1, 2].map(first)).toEqual([0, 1, 2]);
    sp.onTrainedSteps(2, params(3)); // the pool is full: snapshot 0 (the oldest) goes
    expect(sp.poolSize).toBe(3);
    expect([0, 1, 2].map(first)).toEqual([3, 1, 2]);
    sp.onTrainedSteps(2, params(4));
    sp.onTrainedSteps(2, params(5));
    expect([0, 1, 2].map(first)).toEqual([3, 4, 5]);
  });

  it('an opponent whose snapshot left the pool keeps its parameters and its own rating', () => {
    const sp = new SelfPlay({ saveSteps: 1, window: 1, swapSteps: 1e9, teamChange: 1e9 }, params(7));
    sp.reportResult('win'); // snapshot 0 (the opponent) drops to 1192
    sp.onTrainedSteps(2, params(8)); // replaces snapshot 0, rated the learner's 1208
    expect(sp.snapshot(0)).toMatchObject({ elo: 1208 });
    expect(sp.snapshot(0).parameters[0]).toBe(8);
    expect(sp.opponent()).toMatchObject({ snapshot: 0, elo: 1192 });
    expect(sp.opponent().parameters[0]).toBe(7);
    sp.reportResult('win');
    expect(sp.snapshot(0).elo).toBe(1208); // the pool's snapshot did not play
  });

  it('plays the latest policy with probability playAgainstLatestModelRatio, else a uniform pool slot', () => {
    for (const ratio of [0, 0.3, 1]) {
      const sp = new SelfPlay({ saveSteps: 1, window: 4, swapSteps: 1, teamChange: 1e12, playAgainstLatestModelRatio: ratio }, params(0), 11);
      for (let i = 1; i <= 4; i++) sp.onTrainedSteps(2, params(i));
      const n = 6000;
      const counts = new Map<number | 'latest', number>();
      for (let i = 0; i < n; i++) {
        sp.onTrainedSteps(0, params(0), 2);
        const { snapshot } = sp.opponent();
        counts.set(snapshot, (counts.get(snapshot) ?? 0) + 1);
      }
      const latest = (counts.get('latest') ?? 0) / n;
      expect(Math.abs(latest - ratio)).toBeLessThan(0.03); // 4 standard deviations at 0.3
      for (let slot = 0; slot < 4; slot++) {
        expect(Math.abs((counts.get(slot) ?? 0) / n - (1 - ratio) / 4)).toBeLessThan(0.025);
      }
    }
  });

  it('rotates the learning team through every team in order', () => {
    const sp = new SelfPlay({ teams: 3, teamChange: 10, saveSteps: 1e6, swapSteps: 1e6 }, params(0));
    const teams = [];
    for (let i = 0; i < 7; i++) {
      sp.onTrainedSteps(11, params(0));
      teams.push(sp.learningTeam);
    }
    expect(teams).toEqual([1, 2, 0, 1, 2, 0, 1]);
    expect(() => sp.opponent(1)).toThrow(/team 1 is learning/);
    expect(sp.opponent(0).team).toBe(0);
  });

  it('rejects bad steps or parameters and changes nothing', () => {
    const sp = new SelfPlay({ saveSteps: 1, swapSteps: 1 }, params(0));
    const before = sp.state();
    expect(() => sp.onTrainedSteps(-1, params(1))).toThrow(/^steps: expected an integer >= 0, got -1/);
    expect(() => sp.onTrainedSteps(1.5, params(1))).toThrow(/^steps: expected an integer >= 0, got 1.5/);
    expect(() => sp.onTrainedSteps(5, params(1), NaN)).toThrow(/^opponentSteps: expected an integer >= 0, got NaN/);
    expect(() => sp.onTrainedSteps(5, params(1, 4))).toThrow(/^currentParameters.length: expected 3, got 4/);
    expect(() => sp.onTrainedSteps(5, Float32Array.of(1, NaN, 1))).toThrow(/^currentParameters\[1\]: expected a finite number, got NaN/);
    expect(sp.state()).toEqual(before);
  });
});
