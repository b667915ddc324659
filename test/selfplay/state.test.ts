// Self-play's checkpoint part: a restored SelfPlay continues exactly as the saved one (pool, ratings,
// opponents, counters, draws), through real safetensors bytes and a webppo checkpoint file; every value
// loaded is checked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, readCheckpointConfig } from '../../src/policy/checkpoint.js';
import { networkLayout, resolveNetworkSpec } from '../../src/policy/network.js';
import { readSafetensors, type Tensor, writeSafetensors } from '../../src/policy/safetensors.js';
import { CheckpointError } from '../../src/errors.js';
import { SelfPlay } from '../../src/selfplay/index.js';
import { Discrete } from '../../src/spaces.js';
import { apply, runArbitrary } from './runs.js';

const params = (value: number, size = 3) => new Float32Array(size).fill(value);

function throughBytes(tensors: Map<string, Tensor>): Map<string, Tensor> {
  return readSafetensors(writeSafetensors(tensors)).tensors as Map<string, Tensor>;
}

/** Every observable part of a SelfPlay, for exact comparison. */
function observe(sp: SelfPlay) {
  const opponents = [];
  for (let t = 0; t < sp.options.teams; t++) if (t !== sp.learningTeam) opponents.push(sp.opponent(t));
  return { summary: sp.summary(), pool: Array.from({ length: sp.poolSize }, (_, i) => sp.snapshot(i)), opponents, state: sp.state() };
}

describe('self-play state', () => {
  it('restores exactly: the restored run continues as the original would, through safetensors bytes', () => {
    fc.assert(fc.property(runArbitrary, fc.nat(80), ({ options, seed, ops }, cut) => {
      const original = new SelfPlay(options, params(0), seed);
      const at = Math.min(cut, ops.length);
      ops.slice(0, at).forEach((op, i) => apply(original, op, i));
      const restored = SelfPlay.restore(options, 3, throughBytes(original.state()));
      expect(observe(restored)).toEqual(observe(original));
      ops.slice(at).forEach((op, i) => {
        apply(original, op, at + i);
        apply(restored, op, at + i);
        expect(observe(restored)).toEqual(observe(original));
      });
    }), {
      numRuns: 100,
      // Two teams playing the snapshot that has just left the pool (it shares one rating between them).
      examples: [[{
        options: { saveSteps: 1, window: 1, swapSteps: 1, teamChange: 2, playAgainstLatestModelRatio: 0, initialElo: 1200, eloK: 16, teams: 3 },
        seed: 0, ops: [{ kind: 'train', steps: 2, ghost: 0 }, { kind: 'result', result: 'win', pick: 0 }],
      }, 1]],
    });
  });

  it('teams playing one snapshot share its rating after a restore, as before it (one row for both)', () => {
    const options = { saveSteps: 1, window: 1, swapSteps: 1e9, teamChange: 1e9, teams: 3 };
    const sp = new SelfPlay(options, params(7));
    sp.onTrainedSteps(2, params(8)); // the initial snapshot leaves the pool; teams 1 and 2 still play it
    const state = sp.state();
    expect(state.get('self_play.opponent.parameters')!.shape).toEqual([1, 3]);
    expect(Array.from(state.get('self_play.opponent.row')!.data)).toEqual([-1, 0, 0]);
    const restored = SelfPlay.restore(options, 3, throughBytes(state));
    for (const s of [sp, restored]) s.reportResult('win', 1);
    expect(restored.opponent(2).elo).toBe(1192);
    expect(observe(restored)).toEqual(observe(sp));
  });

  it('refuses opponent rows no SelfPlay could have saved, naming the team', () => {
    const options = { saveSteps: 1, window: 1, swapSteps: 1e9, teamChange: 1e9, teams: 3 };
    const sp = new SelfPlay(options, params(7));
    sp.onTrainedSteps(2, params(8));
    const edited = (name: string, change: (data: Tensor['data']) => void) => {
      const tensors = new Map(sp.state());
      const t = tensors.get(name)!;
      tensors.set(name, { ...t, data: t.data.slice() });
      change(tensors.get(name)!.data);
      return tensors;
    };
    expect(() => SelfPlay.restore(options, 3, edited('self_play.opponent.row', (d) => d.set([-1, 1, 1]))))
      .toThrow(/self_play.opponent.row\[1\]: expected a row in \[0, 0\] \(an earlier team's or the next one\), got 1/);
    expect(() => SelfPlay.restore(options, 3, edited('self_play.opponent.elo', (d) => void (d[2] = 1000))))
      .toThrow(/self_play.opponent.row\[2\]: expected a row whose snapshot has slot 0 and rating 1000 \(row 0 is team 1's: slot 0, rating 1200\), got 0/);
  });

  it('loads a state of the release before (no self_play.opponent.row): one row per detached team', () => {
    const options = { saveSteps: 1, window: 1, swapSteps: 1e9, teamChange: 1e9, teams: 3 };
    const sp = new SelfPlay(options, params(7));
    sp.onTrainedSteps(2, params(8));
    const old = new Map(sp.state());
    old.delete('self_play.opponent.row');
    old.set('self_play.opponent.parameters', { dtype: 'F32', shape: [2, 3], data: params(7, 6) });
    const restored = SelfPlay.restore(options, 3, throughBytes(old));
    expect(restored.opponent(1)).toEqual(sp.opponent(1));
    expect(restored.opponent(2)).toEqual(sp.opponent(2));
  });

  it('keeps an opponent whose snapshot left the pool, with its own parameters and rating', () => {
    const sp = new SelfPlay({ saveSteps: 1, window: 1, swapSteps: 1e9, teamChange: 1e9 }, params(7));
    sp.reportResult('win');
    sp.onTrainedSteps(2, params(8));
    const restored = SelfPlay.restore(sp.options, 3, throughBytes(sp.state()));
    expect(restored.opponent()).toEqual(sp.opponent());
    expect(restored.opponent().parameters[0]).toBe(7);
    restored.reportResult('loss');
    sp.reportResult('loss');
    expect(observe(restored)).toEqual(observe(sp));
    expect(restored.snapshot(0).elo).toBe(1208); // the pool's snapshot is not the opponent
  });

  it('travels in a webppo checkpoint as self_play.* tensors', () => {
    const policy = { observationSize: 2, actionSpace: Discrete(2), network: resolveNetworkSpec({ hidden: [3] }) };
    const layout = networkLayout(policy);
    const sp = new SelfPlay({ saveSteps: 5, swapSteps: 3 }, params(0.5, layout.size), 4);
    for (let i = 1; i <= 5; i++) sp.onTrainedSteps(4, params(i, layout.size));
    sp.reportResult('win');
    const zeros = new Float32Array(layout.size);
    const bytes = encodeCheckpoint({
      config: { kind: 'test' }, parameters: zeros, optimizer: { m: zeros, v: zeros, step: 0 }, extra: sp.state(), rng: {}, counters: {},
    }, layout);
    const { config, file } = readCheckpointConfig(bytes);
    const contents = decodeCheckpoint(file, config, { layout, observationSize: 2, numAgents: 1, normalizeObservations: false, normalizeRewards: false });
    expect(observe(SelfPlay.restore(sp.options, layout.size, contents.extra!))).toEqual(observe(sp));
  });

  describe('rejects what no SelfPlay could have saved, naming the tensor', () => {
    const sp = new SelfPlay({ saveSteps: 2, swapSteps: 3, teamChange: 7, window: 3, playAgainstLatestModelRatio: 0.5 }, params(0), 2);
    for (let i = 1; i <= 4; i++) sp.onTrainedSteps(3, params(i));
    const good = sp.state();
    const edit = (name: string, change: (data: Tensor['data']) => void, shape?: number[]) => {
      const tensors = new Map([...good].map(([k, t]) => [k, { ...t, data: t.data.slice() }]));
      const t = tensors.get(name)!;
      change(t.data);
      if (shape) tensors.set(name, { ...t, shape });
      return tensors;
    };
    const counters = ['trainedSteps', 'opponentSteps', 'lastSave', 'lastSwap', 'lastTeamChange', 'learningTeam', 'nextSlot'];
    const counter = (key: string, value: number) => edit('self_play.counters', (d) => void (d[counters.indexOf(key)] = value));
    const cases: [string, Map<string, Tensor>, RegExp][] = [
      ['a NaN parameter', edit('self_play.pool.parameters', (d) => void (d[4] = NaN)), /tensor self_play.pool.parameters\[4\]: expected a finite number, got NaN/],
      ['an infinite rating', edit('self_play.pool.elo', (d) => void (d[0] = Infinity)), /self_play.pool.elo\[0\]: expected a finite number/],
      ['a NaN learner rating', edit('self_play.elo', (d) => void (d[0] = NaN)), /self_play.elo\[0\]: expected a finite number/],
      ['a fractional counter', counter('trainedSteps', 12.5), /self_play.counters\[0\]: expected trainedSteps: an integer >= 0, got 12.5/],
      ['a save after the step count', counter('lastSave', 13), /self_play.counters\[2\]: expected lastSave: in \[trainedSteps - 2/],
      ['a save overdue', counter('lastSave', 0), /lastSave: in \[trainedSteps - 2 \(selfPlay.saveSteps\)/],
      ['a swap overdue', counter('lastSwap', 0), /lastSwap: in \[opponentSteps - 3 \(selfPlay.swapSteps\)/],
      ['a team change overdue', counter('lastTeamChange', 0), /lastTeamChange: in \[trainedSteps - 7/],
      ['a learning team out of range', counter('learningTeam', 2), /learningTeam: less than 2 \(selfPlay.teams\)/],
      ['a next slot out of range', counter('nextSlot', 3), /nextSlot: less than 3/],
      ['an opponent slot out of the pool', edit('self_play.opponent.slot', (d) => void (d[1 - sp.learningTeam] = 5)), /self_play.opponent.slot\[\d\]: expected -1 \(latest\) or a pool slot in \[0, 2\], got 5/],
      ['the learning team with an opponent', edit('self_play.opponent.slot', (d) => void (d[sp.learningTeam] = 0)), /is learning/],
      ['an opponent row for the learning team', edit('self_play.opponent.row', (d) => void (d[sp.learningTeam] = 0)), /self_play.opponent.row\[\d\]: expected -1 \(team \d is learning\), got 0/],
      ['an opponent row for a pool snapshot', edit('self_play.opponent.row', (d) => void (d[1 - sp.learningTeam] = 0)), /self_play.opponent.row\[\d\]: expected -1 \(team \d plays a pool snapshot\), got 0/],
      ['an even generator increment', edit('self_play.rng', (d) => void (d[2] = 2)), /self_play.rng: expected a PCG32 state whose increment is odd/],
      ['a pool larger than the window', edit('self_play.pool.elo', () => {}, [4]), /self_play.pool.elo: expected F64 \[3\], got F64 \[4\]/],
      ['an unknown self-play tensor', new Map([...good, ['self_play.extra', good.get('self_play.elo')!]]), /self_play.extra: expected a self-play tensor/],
    ];
    for (const [what, tensors, message] of cases) {
      it(what, () => {
        expect(() => SelfPlay.restore(sp.options, 3, tensors)).toThrow(CheckpointError);
        expect(() => SelfPlay.restore(sp.options, 3, tensors)).toThrow(message);
      });
    }
    it('a missing tensor, another window or parameter count', () => {
      const missing = new Map(good);
      missing.delete('self_play.rng');
      expect(() => SelfPlay.restore(sp.options, 3, missing)).toThrow(/tensor self_play.rng is missing/);
      expect(() => SelfPlay.restore({ ...sp.options, window: 2 }, 3, good)).toThrow(/self_play.pool.parameters: expected F32 \[1 to 2 \(selfPlay.window\), 3\]/);
      expect(() => SelfPlay.restore(sp.options, 4, good)).toThrow(/self_play.pool.parameters: expected F32 \[3,4\], got F32 \[3,3\]/);
      expect(observe(SelfPlay.restore(sp.options, 3, good))).toEqual(observe(sp));
    });
  });
});
