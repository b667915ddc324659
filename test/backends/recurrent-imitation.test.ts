// Behaviour cloning of recurrent networks against the TF.js oracle (test/oracle/bc-oracle.ts, which unrolls each
// recorded agent's stream whole and stops the state's gradient at sequence starts): computeImitationGradients
// for every case of test/oracle/recurrent-bc-cases.ts, one imitate step over every sequence against the
// oracle's gradient and Adam step, the sequence layout, and the refusals (WebGPU, a demonstration without streams).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { createCpuTrainer } from '../../src/backend/cpu/trainer.js';
import { demoSequences } from '../../src/backend/imitation.js';
import type { ImitationStats } from '../../src/backend/trainer.js';
import { createWebGPUTrainer } from '../../src/backend/webgpu/index.js';
import { ValidationError } from '../../src/errors.js';
import { sharedTestDevice } from '../helpers/gpu.js';
import { oracleRecurrentImitationLoss } from '../oracle/bc-oracle.js';
import { mismatch, STATS_TOLERANCE } from '../oracle/compare.js';
import { oracleAdamStep } from '../oracle/ppo-oracle.js';
import { interleavedDemo, RECURRENT_IMITATION_CASES } from '../oracle/recurrent-bc-cases.js';
import { perturbed } from '../oracle/recurrent-cases.js';
import { PCG32 } from '../../src/rng.js';

const SEED = 3;
await init();

function statsMismatch(actual: ImitationStats, expected: ImitationStats): string | null {
  const { rtol, atol } = STATS_TOLERANCE;
  const close = (a: number, e: number) => Math.abs(a - e) <= atol + rtol * Math.abs(e);
  const names = Object.keys(expected) as (keyof ImitationStats)[];
  if (Object.keys(actual).sort().join() !== names.sort().join()) return `stats ${Object.keys(actual)} vs ${names}`;
  const bad = names.filter((name) => {
    const a = actual[name], e = expected[name];
    if (Array.isArray(e)) return !Array.isArray(a) || !e.every((x, i) => close(a[i], x));
    return !close(a as number, e as number);
  });
  return bad.length === 0 ? null : bad.map((name) => `${name}: ${actual[name]} vs ${expected[name]}`).join('; ');
}

describe('recurrent behaviour cloning on the CPU backend against the oracle', () => {
  for (const c of RECURRENT_IMITATION_CASES) {
    it(`${c.name}: computeImitationGradients`, async () => {
      const params = c.params(SEED);
      const demo = c.makeDemo(SEED);
      const trainer = createCpuTrainer({ policy: c.policy, ppo: c.ppo, seed: 1, parameters: params });
      try {
        const expected = oracleRecurrentImitationLoss(c.policy, c.ppo, params, demo, c.criticCoef);
        const actual = await trainer.computeImitationGradients(demo, { criticCoef: c.criticCoef });
        expect(mismatch(actual.grads, expected.grads, undefined, trainer.parameterLayout)).toBeNull();
        expect(statsMismatch(actual.stats, expected.stats)).toBeNull();
        // Every cell that the loss reaches learns through time (the critic's only with a critic term).
        const memory = trainer.parameterLayout.filter((p) => p.name.includes('.memory.') && (c.criticCoef > 0 || !p.name.startsWith('critic.')));
        expect(memory.length).toBeGreaterThanOrEqual(4);
        for (const p of memory) expect(actual.grads.subarray(p.offset, p.offset + p.shape[0]).some((g) => g !== 0), p.name).toBe(true);
        expect(await trainer.getParameters()).toEqual(params);
      } finally {
        trainer.dispose();
      }
    });
  }

  it('imitate: one minibatch of every sequence is the oracle gradient and one Adam step', async () => {
    const c = RECURRENT_IMITATION_CASES[0];
    const params = c.params(SEED);
    const demo = c.makeDemo(SEED);
    const seq = demoSequences(demo.streams!, c.policy.network.memory!);
    const indices = Int32Array.from({ length: seq.count }, (_, s) => seq.count - 1 - s);
    const plan = { unit: 'segments' as const, numEpochs: 1, numMinibatches: 1, unitsPerMinibatch: seq.count, indices };
    const learningRate = 0.01;
    const trainer = createCpuTrainer({ policy: c.policy, ppo: c.ppo, seed: 1, parameters: params });
    try {
      const expected = oracleRecurrentImitationLoss(c.policy, c.ppo, params, demo, 0);
      const stats = await trainer.imitate(demo, plan, { learningRate });
      expect([stats.epochs, stats.minibatches]).toEqual([1, 1]);
      expect(Math.abs(stats.loss_bc - expected.stats.loss_bc)).toBeLessThan(1e-4 * Math.abs(expected.stats.loss_bc));
      const next = oracleAdamStep(params, expected.grads, { m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 },
        { learningRate, adamEps: c.ppo.adamEps, weightDecay: c.ppo.weightDecay, maxGradNorm: c.ppo.maxGradNorm });
      expect(mismatch(await trainer.getParameters(), next.params, undefined, trainer.parameterLayout)).toBeNull();
      // Default plan: shuffled whole sequences.
      const again = await trainer.imitate(demo);
      expect(again.minibatches).toBe(Math.min(c.ppo.numMinibatches, seq.count));
    } finally {
      trainer.dispose();
    }
  });

  it('cuts each recorded agent into sequences of sequenceLength, stream by stream, padding the last', () => {
    const demo = RECURRENT_IMITATION_CASES[0].makeDemo(SEED); // streams 5 (8 steps), 0 (5), 9 (3), interleaved
    const seq = demoSequences(demo.streams!, { cell: 'lstm', size: 2, sequenceLength: 3 });
    expect([seq.length, seq.count, seq.streams, Array.from(seq.firstSequence)]).toEqual([3, 6, 3, [0, 3, 5, 6]]);
    const rowsOf = (id: number) => Array.from(demo.streams!).flatMap((s, row) => (s === id ? [row] : []));
    const column = (s: number) => [0, 1, 2].map((t) => seq.rows[t * seq.count + s]);
    expect([0, 1, 2].flatMap(column).filter((r) => r >= 0)).toEqual(rowsOf(5));
    expect([3, 4].flatMap(column).filter((r) => r >= 0)).toEqual(rowsOf(0));
    expect(column(2)[2]).toBe(-1);
    expect(column(5)).toEqual(rowsOf(9));
    const whole = demoSequences(demo.streams!, { cell: 'gru', size: 2 });
    expect([whole.length, whole.count]).toEqual([8, 3]);
  });

  it('a demonstration without streams or episode ends is refused, naming the field, and nothing changes', async () => {
    const c = RECURRENT_IMITATION_CASES[1];
    const params = c.params(SEED);
    const demo = c.makeDemo(SEED);
    const trainer = createCpuTrainer({ policy: c.policy, ppo: c.ppo, seed: 1, parameters: params });
    try {
      await expect(trainer.imitate({ ...demo, streams: undefined })).rejects.toThrow(/demo\.streams.*recurrent network/);
      await expect(trainer.imitate({ ...demo, episodeEnds: undefined })).rejects.toThrow(/demo\.episodeEnds/);
      await expect(trainer.imitate({ ...demo, episodeEnds: new Uint8Array(demo.rows).fill(2) })).rejects.toThrow(ValidationError);
      await expect(trainer.imitate(demo, { unit: 'rows', numEpochs: 1, numMinibatches: 1, unitsPerMinibatch: 2, indices: Int32Array.of(0, 1) })).rejects.toThrow(/plan\.unit/);
      expect(await trainer.getParameters()).toEqual(params);
    } finally {
      trainer.dispose();
    }
  });
});

describe('recurrent behaviour cloning on WebGPU', () => {
  it('is refused, naming network.memory', async () => {
    const device = await sharedTestDevice();
    if (!device) {
      if (process.env.REQUIRE_WEBGPU === '1') throw new Error('webgpu backend unavailable but REQUIRE_WEBGPU=1');
      return;
    }
    const c = RECURRENT_IMITATION_CASES[0];
    const trainer = await createWebGPUTrainer({ policy: c.policy, ppo: c.ppo, seed: 1, device });
    try {
      const demo = c.makeDemo(SEED);
      await expect(async () => trainer.imitate(demo)).rejects.toThrow(/network\.memory.*feed-forward network for behaviour cloning on the webgpu backend/);
      await expect(async () => trainer.computeImitationGradients(demo)).rejects.toThrow(ValidationError);
    } finally {
      trainer.dispose();
    }
  });
});

describe('recurrent behaviour cloning: properties over random recordings', () => {
  /** Stream ids per row: `lengths[j]` rows of stream j, interleaved in the order `picks` draws. */
  const interleave = (lengths: number[], picks: number[]): Int32Array => {
    const left = lengths.slice();
    const out: number[] = [];
    let k = 0;
    while (left.some((n) => n > 0)) {
      const open = left.flatMap((n, j) => (n > 0 ? [j] : []));
      const j = open[(picks[k++ % picks.length] ?? 0) % open.length];
      out.push(j * 7 + 1); // ids need not be dense
      left[j]--;
    }
    return Int32Array.from(out);
  };
  const recording = fc.record({
    lengths: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
    sequenceLength: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  });

  it('demoSequences: every row exactly once, each sequence a run of one stream in time order, streams by first row', () => {
    fc.assert(fc.property(recording, ({ lengths, picks, sequenceLength }) => {
      const streams = interleave(lengths, picks);
      const seq = demoSequences(streams, { cell: 'gru', size: 1, sequenceLength });
      const L = Math.min(sequenceLength ?? Infinity, Math.max(...lengths));
      expect(seq.length).toBe(L);
      const firstRows = [...new Set(streams)];
      const seen: number[] = [];
      firstRows.forEach((id, j) => {
        const rows = Array.from(streams).flatMap((s, row) => (s === id ? [row] : []));
        expect(seq.firstSequence[j + 1] - seq.firstSequence[j]).toBe(Math.ceil(rows.length / L));
        const replay: number[] = [];
        for (let s = seq.firstSequence[j]; s < seq.firstSequence[j + 1]; s++) {
          const column = Array.from({ length: L }, (_, t) => seq.rows[t * seq.count + s]);
          const real = column.filter((r) => r >= 0);
          expect(column.slice(real.length).every((r) => r === -1)).toBe(true); // padding only at the end
          replay.push(...real);
        }
        expect(replay).toEqual(rows);
        seen.push(...replay);
      });
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: streams.length }, (_, i) => i));
    }), { numRuns: 200 });
  });

  it('computeImitationGradients matches the oracle on random recordings (lengths, interleavings, episode ends, sequenceLength, cell)', async () => {
    await fc.assert(fc.asyncProperty(
      recording, fc.constantFrom('lstm' as const, 'gru' as const), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      async ({ lengths, picks, sequenceLength }, cell, seed) => {
        const c = RECURRENT_IMITATION_CASES[0];
        const policy = { ...c.policy, network: { ...c.policy.network, memory: { cell, size: 3, sequenceLength } } };
        const base = interleavedDemo(policy, seed, true);
        const streams = interleave(lengths, picks);
        const rows = streams.length;
        const rng = new PCG32(seed, 9);
        const take = <A extends Int32Array | Uint8Array | Float32Array>(a: A, width: number) => a.slice(0, Math.min(rows, base.rows) * width) as A;
        const n = Math.min(rows, base.rows);
        const demo = {
          rows: n, observations: take(base.observations, 3), actions: take(base.actions as Int32Array, 1), masks: take(base.masks!, 4),
          streams: streams.slice(0, n), episodeEnds: Uint8Array.from({ length: n }, () => (rng.nextFloat() < 0.25 ? 1 : 0)),
        };
        const params = perturbed(policy, seed % 1000);
        const trainer = createCpuTrainer({ policy, ppo: c.ppo, seed: 1, parameters: params });
        try {
          const expected = oracleRecurrentImitationLoss(policy, c.ppo, params, demo, 0);
          const actual = await trainer.computeImitationGradients(demo);
          expect(mismatch(actual.grads, expected.grads, undefined, trainer.parameterLayout)).toBeNull();
          expect(statsMismatch(actual.stats, expected.stats)).toBeNull();
        } finally {
          trainer.dispose();
        }
      },
    ), { numRuns: 8 });
  }, 60_000);
});
