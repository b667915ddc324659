// The paddle duel: deterministic by seed, mirror-symmetric (swapping sides is a mirror of the world), zero-sum,
// aimable (the contact point sets the angle), and a scripted baseline that beats random play, loses nothing
// to standing still and plays even against itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkParallelEnv } from '../../src/envs/check-parallel.js';
import { duelBaseline } from '../../src/envs/duel/baseline.js';
import { evaluateVersusBaseline } from '../../src/envs/duel/evaluate.js';
import { type DuelSide, type DuelState, PaddleDuel } from '../../src/envs/duel/paddle-duel.js';
import type { ParallelStepResult } from '../../src/envs/parallel.js';
import { DUEL_PHYSICS } from '../../src/envs/duel/physics.js';
import { DuelVsBaseline } from '../../src/envs/duel/vs-baseline.js';
import { makeEnv } from '../../src/envs/registry.js';
import { PCG32 } from '../../src/rng.js';

const action = fc.integer({ min: 0, max: 2 });
const actionPairs = fc.array(fc.tuple(action, action), { minLength: 1, maxLength: 300 });

/** Steps a duel through `pairs` (left, right), recording every answer; stops when the game ends. */
function playOut(env: PaddleDuel, pairs: readonly (readonly [number, number])[]) {
  const trace: unknown[] = [];
  for (const [left, right] of pairs) {
    if (env.agents.length === 0) break;
    const out = env.step({ left, right });
    trace.push({ ...out, observations: { left: Array.from(out.observations.left), right: Array.from(out.observations.right) } });
  }
  return trace;
}

const mirror = (s: DuelState): DuelState => ({
  ...s, ballX: -s.ballX, ballVx: -s.ballVx, leftY: s.rightY, rightY: s.leftY, leftScore: s.rightScore, rightScore: s.leftScore,
});

/** Any state a game can be in: ball inside the field at up to the top speed, paddles within reach. */
const state = fc.record({
  ballX: fc.double({ min: -0.9, max: 0.9, noNaN: true }),
  ballY: fc.double({ min: -0.95, max: 0.95, noNaN: true }),
  speed: fc.double({ min: DUEL_PHYSICS.serveSpeed, max: DUEL_PHYSICS.maxSpeed, noNaN: true }),
  angle: fc.double({ min: -1.2, max: 1.2, noNaN: true }),
  toLeft: fc.boolean(),
  leftY: fc.double({ min: -0.85, max: 0.85, noNaN: true }),
  rightY: fc.double({ min: -0.85, max: 0.85, noNaN: true }),
  leftScore: fc.integer({ min: 0, max: 4 }),
  rightScore: fc.integer({ min: 0, max: 4 }),
}).map((r): DuelState => {
  const v = r.speed * DUEL_PHYSICS.dt;
  return { ballX: r.ballX, ballY: r.ballY, ballVx: (r.toLeft ? -1 : 1) * v * Math.cos(r.angle), ballVy: v * Math.sin(r.angle), leftY: r.leftY, rightY: r.rightY, leftScore: r.leftScore, rightScore: r.rightScore, steps: 0 };
});

describe('PaddleDuel', () => {
  it('is deterministic given the seed and the actions', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), actionPairs, (seed, pairs) => {
      const a = new PaddleDuel();
      const b = new PaddleDuel();
      expect(a.reset({ seed })).toEqual(b.reset({ seed }));
      expect(playOut(a, pairs)).toEqual(playOut(b, pairs));
    }), { numRuns: 40, seed: 11 });
  });

  it('swapping the sides is a mirror: each side sees what the other saw in the mirrored world, rewards swap', () => {
    fc.assert(fc.property(state, fc.integer({ min: 0, max: 1000 }), actionPairs, (s, seed, pairs) => {
      const world = new PaddleDuel();
      const mirrored = new PaddleDuel();
      world.reset({ seed });
      mirrored.reset({ seed });
      world.setState(s);
      mirrored.setState(mirror(s));
      expect(Array.from(mirrored.observe('right'))).toEqual(Array.from(world.observe('left')));
      expect(Array.from(mirrored.observe('left'))).toEqual(Array.from(world.observe('right')));
      for (const [left, right] of pairs) {
        if (world.agents.length === 0) break;
        const a = world.step({ left, right });
        const b = mirrored.step({ left: right, right: left });
        expect(Array.from(b.observations.right)).toEqual(Array.from(a.observations.left));
        expect(Array.from(b.observations.left)).toEqual(Array.from(a.observations.right));
        expect([b.rewards.right, b.rewards.left]).toEqual([a.rewards.left, a.rewards.right]);
        expect(b.terminations).toEqual(a.terminations);
        expect(b.infos.right).toEqual(a.infos.left);
      }
    }), { numRuns: 60, seed: 12 });
  });

  it('a side sees the world from the left: x and vx change sign for the right side, paddles swap', () => {
    const env = new PaddleDuel();
    env.reset({ seed: 1 });
    env.setState({ ballX: 0.3, ballY: -0.2, ballVx: 0.04, ballVy: 0.01, leftY: 0.5, rightY: -0.4, leftScore: 0, rightScore: 0, steps: 0 });
    const v = DUEL_PHYSICS.maxSpeed * DUEL_PHYSICS.dt;
    expect(Array.from(env.observe('left'))).toEqual(Array.from(Float32Array.of(0.3, -0.2, 0.04 / v, 0.01 / v, 0.5, -0.4)));
    expect(Array.from(env.observe('right'))).toEqual(Array.from(Float32Array.of(-0.3, -0.2, -0.04 / v, 0.01 / v, -0.4, 0.5)));
  });

  it('is zero-sum: every step the two rewards add to 0, points are +-1, and the score follows them', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
      const env = new PaddleDuel({ pointsToWin: 3 });
      const rng = new PCG32(seed);
      let { observations } = env.reset({ seed });
      const won = { left: 0, right: 0 };
      let last: ParallelStepResult<DuelSide> | undefined;
      while (env.agents.length > 0) {
        const left = rng.nextFloat() < 0.5 ? duelBaseline(observations.left) : Math.floor(rng.nextFloat() * 3);
        last = env.step({ left, right: duelBaseline(observations.right) });
        observations = last.observations;
        expect(last.rewards.left + last.rewards.right).toBe(0);
        expect([-1, 0, 1]).toContain(last.rewards.left);
        if (last.rewards.left === 1) won.left++;
        if (last.rewards.right === 1) won.right++;
      }
      expect(env.state.leftScore).toBe(won.left);
      expect(env.state.rightScore).toBe(won.right);
      expect(Math.max(won.left, won.right)).toBe(3);
      expect(last?.terminations).toEqual({ left: true, right: true });
      const winner = won.left === 3 ? 'left' : 'right';
      const loser = winner === 'left' ? 'right' : 'left';
      expect(last?.infos[winner]).toEqual({ result: 'win', score: [3, won[loser]] });
      expect(last?.infos[loser]).toEqual({ result: 'loss', score: [won[loser], 3] });
    }), { numRuns: 10, seed: 13 });
  });

  it('a hit with the shaping reward breaks zero-sum only by hitReward', () => {
    const env = new PaddleDuel({ hitReward: 0.1 });
    env.reset({ seed: 2 });
    // The ball flies straight at the left paddle's center, one step from its face.
    env.setState({ ballX: -0.9, ballY: 0, ballVx: -0.04, ballVy: 0, leftY: 0, rightY: 0, leftScore: 0, rightScore: 0, steps: 0 });
    const out = env.step({ left: 1, right: 1 });
    expect(out.rewards).toEqual({ left: 0.1, right: 0 });
    expect(env.state.ballVx).toBeGreaterThan(0);
  });

  it('the contact point sets the angle: the center sends the ball straight, the ends at maxBounceAngle', () => {
    const p = DUEL_PHYSICS;
    const reach = p.paddleHalf + p.ballRadius;
    for (const offset of [-1, -0.5, 0, 0.25, 0.75, 1]) {
      const env = new PaddleDuel();
      env.reset({ seed: 3 });
      const face = -(p.paddleX - p.ballRadius);
      // Flat ball half a step from contact, meeting the paddle `offset` of the way to its end.
      env.setState({ ballX: face + 0.02, ballY: offset * reach, ballVx: -0.04, ballVy: 0, leftY: 0, rightY: 0, leftScore: 0, rightScore: 0, steps: 0 });
      env.step({ left: 1, right: 1 });
      const { ballVx, ballVy } = env.state;
      expect(Math.atan2(ballVy, ballVx)).toBeCloseTo(offset * p.maxBounceAngle, 9);
      expect(Math.hypot(ballVx, ballVy)).toBeCloseTo(0.04 * p.speedup, 12);
    }
  });

  it('a game cut short at maxSteps is truncated: the side ahead wins, a level score is a draw', () => {
    const env = new PaddleDuel({ maxSteps: 5 });
    env.reset({ seed: 4 });
    let out: ParallelStepResult<DuelSide> | undefined;
    for (let t = 0; t < 5; t++) out = env.step({ left: 1, right: 1 });
    expect(out?.truncations).toEqual({ left: true, right: true });
    expect(out?.terminations).toEqual({ left: false, right: false });
    expect(out?.infos).toEqual({ left: { result: 'draw', score: [0, 0] }, right: { result: 'draw', score: [0, 0] } });
    expect(env.agents).toEqual([]);
    expect(() => env.step({ left: 1, right: 1 })).toThrow(/reset\(\)/);
  });

  it('passes the parallel-env checker for whole games', () => {
    const env = new PaddleDuel({ pointsToWin: 2 });
    const checker = checkParallelEnv(env);
    let { observations } = env.reset({ seed: 5 });
    checker.checkReset({ observations, infos: {} });
    while (env.agents.length > 0) {
      const acted = [...env.agents];
      const out = env.step({ left: duelBaseline(observations.left), right: duelBaseline(observations.right) });
      checker.checkStep(acted, out);
      observations = out.observations;
    }
  });

  it('rejects bad actions and options naming the field', () => {
    const env = new PaddleDuel();
    env.reset({ seed: 1 });
    expect(() => env.step({ left: 3, right: 1 })).toThrow(/PaddleDuel actions.left: expected 0 \(up\), 1 \(stay\) or 2 \(down\), got 3/);
    expect(() => env.step({ left: 1 })).toThrow(/PaddleDuel actions.right/);
    expect(() => new PaddleDuel({ pointsToWin: 0 })).toThrow(/pointsToWin: expected an integer >= 1, got 0/);
    expect(() => new PaddleDuel({ physics: { paddleSpeed: Number.NaN } })).toThrow(/physics.paddleSpeed/);
    expect(() => new PaddleDuel({ physics: { paddleHalf: 2 } })).toThrow(/PaddleDuel options.physics: expected paddleHalf < 1/);
  });
});

describe('the duel baseline and evaluateVersusBaseline', () => {
  it('the baseline beats a random policy by a wide margin', () => {
    const rng = new PCG32(9);
    const result = evaluateVersusBaseline(() => Math.floor(rng.nextFloat() * 3), { games: 40, seed: 1 });
    expect(result.wins + result.draws + result.losses).toBe(40);
    expect(result.winRate).toBeLessThanOrEqual(0.1);
    expect(result.losses).toBeGreaterThanOrEqual(36);
  });

  it('a policy that stands still loses', () => {
    const result = evaluateVersusBaseline(() => 1, { games: 40, seed: 2 });
    expect(result.winRate).toBeLessThanOrEqual(0.1);
    expect(result.losses).toBeGreaterThanOrEqual(36);
  });

  it('the baseline plays even against itself (sides alternate)', () => {
    const result = evaluateVersusBaseline((o) => duelBaseline(o), { games: 60, seed: 3 });
    expect(result.winRate).toBeGreaterThan(0.3);
    expect(result.winRate).toBeLessThan(0.7);
  });

  it('takes an agent-style one-entry action array, and is deterministic for a deterministic policy', () => {
    const policy = (o: Float32Array) => Int32Array.of(duelBaseline(o));
    expect(evaluateVersusBaseline(policy, { games: 6, seed: 4 })).toEqual(evaluateVersusBaseline((o) => duelBaseline(o), { games: 6, seed: 4 }));
    expect(() => evaluateVersusBaseline(policy, { games: 0 })).toThrow(/options.games: expected an integer >= 1, got 0/);
  });

  it('DuelVsBaseline is the duel from the learner side with the baseline on the other, registered as PaddleDuel-v0', () => {
    for (const side of ['left', 'right'] as const) {
      const env = new DuelVsBaseline({ side });
      const duel = new PaddleDuel();
      const other = side === 'left' ? 'right' : 'left';
      const first = env.reset({ seed: 7 });
      let { observations } = duel.reset({ seed: 7 });
      expect(first.observation).toEqual(observations[side]);
      const rng = new PCG32(8);
      for (;;) {
        const mine = Math.floor(rng.nextFloat() * 3);
        const out = env.step(mine);
        const ref = duel.step({ [side]: mine, [other]: duelBaseline(observations[other]) });
        observations = ref.observations;
        expect(out.observation).toEqual(ref.observations[side]);
        expect(out.reward).toBe(ref.rewards[side]);
        if (out.terminated || out.truncated) {
          expect((out.info as { result: string }).result).toBe('loss');
          break;
        }
      }
    }
    const registered = makeEnv('PaddleDuel-v0');
    expect(registered).toBeInstanceOf(DuelVsBaseline);
    expect(registered.observationSpace).toMatchObject({ kind: 'box', size: 6 });
  });
});
