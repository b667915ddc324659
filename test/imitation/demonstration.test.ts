// Demonstration recording and files: what is recorded comes back exactly (through save and load), the chunked
// storage keeps its bound with either policy, a bad record() call changes nothing, and any altered or
// inconsistent file is rejected with a CheckpointError naming the field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointError, ValidationError } from '../../src/errors.js';
import { demonstrationBatch } from '../../src/imitation/demo-batch.js';
import { DemonstrationRecorder, loadDemonstration, type Demonstration } from '../../src/imitation/demonstration.js';
import { readSafetensors, writeSafetensors } from '../../src/policy/safetensors.js';
import { Box, Discrete, MultiDiscrete, type ActionSpace } from '../../src/spaces.js';

const SPACES: ActionSpace[] = [Discrete(3), MultiDiscrete([3, 2]), Box(2, -1, 1)];

interface Tick {
  observations: Float32Array;
  actions: Int32Array | Float32Array;
  masks?: Uint8Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  rows: number[];
}

/** Ticks of `slots` rows for `space`: random values, masks that allow the action taken, some rows recorded. */
function ticks(space: ActionSpace, slots: number) {
  const act = space.kind === 'box' ? space.size : space.kind === 'discrete' ? 1 : space.nvec.length;
  const nvec = space.kind === 'discrete' ? [space.n] : space.kind === 'multi_discrete' ? space.nvec : [];
  const logits = nvec.reduce((a, b) => a + b, 0);
  const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
  const tick = fc.record({
    observations: fc.array(f32, { minLength: slots * 3, maxLength: slots * 3 }),
    actions: space.kind === 'box'
      ? fc.array(fc.float({ noNaN: true, min: -1, max: 1 }), { minLength: slots * act, maxLength: slots * act })
      : fc.tuple(...Array.from({ length: slots }, () => fc.tuple(...nvec.map((n) => fc.integer({ min: 0, max: n - 1 }))))).map((rows) => rows.flat()),
    maskBits: fc.array(fc.boolean(), { minLength: slots * logits, maxLength: slots * logits }),
    rewards: fc.array(f32, { minLength: slots, maxLength: slots }),
    ends: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: slots, maxLength: slots }),
    rows: fc.subarray(Array.from({ length: slots }, (_, i) => i)),
  });
  return fc.array(tick, { minLength: 1, maxLength: 12 }).map((list) => list.map((t): Tick => {
    const actions = space.kind === 'box' ? Float32Array.from(t.actions) : Int32Array.from(t.actions);
    let masks: Uint8Array | undefined;
    if (logits > 0) {
      masks = Uint8Array.from(t.maskBits, (b) => (b ? 1 : 0));
      for (let row = 0; row < slots; row++) {
        let base = 0;
        nvec.forEach((n, b) => { masks![row * logits + base + actions[row * nvec.length + b]] = 1; base += n; });
      }
    }
    return {
      observations: Float32Array.from(t.observations), actions, masks, rewards: Float32Array.from(t.rewards),
      terminated: Uint8Array.from(t.ends, (e) => (e === 0 ? 1 : 0)), truncated: Uint8Array.from(t.ends, (e) => (e === 1 ? 1 : 0)), rows: t.rows,
    };
  }));
}

function record(recorder: DemonstrationRecorder, list: Tick[]): void {
  for (const t of list) recorder.record(t.observations, t.actions, t.masks, t.rewards, t.terminated, t.truncated, t.rows);
}

/** What the recorder should hold: the recorded rows in order, the last `keep` of them. */
function expected(space: ActionSpace, list: Tick[], keep = Infinity) {
  const act = space.kind === 'box' ? space.size : space.kind === 'discrete' ? 1 : space.nvec.length;
  const logits = space.kind === 'box' ? 0 : space.kind === 'discrete' ? space.n : space.nvec.reduce((a, b) => a + b, 0);
  const steps: { obs: number[]; act: number[]; masks: number[]; r: number; te: number; tr: number; slot: number }[] = [];
  for (const t of list) {
    for (const row of t.rows) {
      steps.push({
        obs: Array.from(t.observations.subarray(row * 3, row * 3 + 3)), act: Array.from(t.actions.subarray(row * act, (row + 1) * act)),
        masks: t.masks ? Array.from(t.masks.subarray(row * logits, (row + 1) * logits)) : [],
        r: t.rewards[row], te: t.terminated[row], tr: t.truncated[row], slot: row,
      });
    }
  }
  return steps.slice(Math.max(0, steps.length - keep));
}

function flatten(demo: Demonstration) {
  const act = demo.actions.length / Math.max(1, demo.steps);
  const logits = demo.masks ? demo.masks.length / Math.max(1, demo.steps) : 0;
  return Array.from({ length: demo.steps }, (_, i) => ({
    obs: Array.from(demo.observations.subarray(i * 3, i * 3 + 3)), act: Array.from(demo.actions.subarray(i * act, (i + 1) * act)),
    masks: demo.masks ? Array.from(demo.masks.subarray(i * logits, (i + 1) * logits)) : [],
    r: demo.rewards[i], te: demo.terminated[i], tr: demo.truncated[i], slot: demo.slots[i],
  }));
}

describe('DemonstrationRecorder', () => {
  for (const space of SPACES) {
    it(`${space.kind}: records exactly what it was given, and save/load round-trips it bit for bit`, () => {
      fc.assert(fc.property(ticks(space, 3), fc.integer({ min: 1, max: 5 }), (list, chunkSteps) => {
        const recorder = new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: space, chunkSteps });
        record(recorder, list);
        const held = recorder.toDemonstration();
        expect(flatten(held)).toEqual(expected(space, list));
        const bytes = recorder.save();
        const loaded = loadDemonstration(bytes);
        expect(loaded).toEqual(held);
        expect(loadDemonstration(bytes.slice().buffer)).toEqual(held);
      }), { numRuns: 40 });
    });
  }

  it('keeps at most maxSteps (whole chunks): the newest with drop_oldest, the oldest with stop', () => {
    const space = SPACES[1];
    fc.assert(fc.property(ticks(space, 3), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (list, chunkSteps, chunks) => {
      const maxSteps = chunkSteps * chunks;
      const total = expected(space, list).length;
      const newest = new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: space, chunkSteps, maxSteps });
      record(newest, list);
      expect(newest.steps).toBeLessThanOrEqual(maxSteps);
      // drop_oldest drops whole chunks: what is held is a suffix of what was recorded, ending at the newest.
      expect(flatten(newest.toDemonstration())).toEqual(expected(space, list, newest.steps));
      expect(newest.steps + newest.droppedSteps).toBe(total);
      expect(newest.steps).toBeGreaterThanOrEqual(Math.min(total, maxSteps - chunkSteps + 1));
      const oldest = new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: space, chunkSteps, maxSteps, whenFull: 'stop' });
      record(oldest, list);
      expect(flatten(oldest.toDemonstration())).toEqual(expected(space, list).slice(0, maxSteps));
      expect(oldest.full).toBe(total >= maxSteps);
    }), { numRuns: 60 });
  });

  it('allocates its chunks once: hours of ticks past maxSteps reuse the same arrays', () => {
    const recorder = new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: Discrete(3), chunkSteps: 8, maxSteps: 16 });
    const obs = new Float32Array(6), acts = new Int32Array(2), rewards = new Float32Array(2), flags = new Uint8Array(2);
    for (let t = 0; t < 16; t++) recorder.record(obs, acts, undefined, rewards, flags, flags);
    const arrays = (recorder as unknown as { chunks: { observations: Float32Array }[] }).chunks.map((c) => c.observations);
    for (let t = 0; t < 1000; t++) recorder.record(obs, acts, undefined, rewards, flags, flags);
    const after = (recorder as unknown as { chunks: { observations: Float32Array }[] }).chunks.map((c) => c.observations);
    expect(after.length).toBe(2);
    expect(new Set([...after, ...arrays]).size).toBe(2);
    expect(recorder.steps).toBe(16);
  });

  it('rejects a bad call naming the field, and keeps what it held', () => {
    const recorder = new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: MultiDiscrete([3, 2]) });
    const obs = new Float32Array(6), rewards = new Float32Array(2), flags = new Uint8Array(2);
    recorder.record(obs, Int32Array.of(1, 1, 2, 0), undefined, rewards, flags, flags);
    const before = recorder.toDemonstration();
    const bad: [() => unknown, RegExp][] = [
      [() => recorder.record(obs, Int32Array.of(1, 1, 3, 0), undefined, rewards, flags, flags), /actions\[row 1, branch 0\]/],
      [() => recorder.record(obs, Int32Array.of(1, 1, 2, 0), Uint8Array.of(1, 0, 1, 1, 1, 1, 1, 1, 1, 1), rewards, flags, flags), /actions\[row 0, branch 0\].*allowed/],
      [() => recorder.record(Float32Array.of(0, 0, 0, 0, NaN, 0), Int32Array.of(1, 1, 2, 0), undefined, rewards, flags, flags), /observations\[row 1, 1\]/],
      [() => recorder.record(obs, Int32Array.of(1, 1, 2, 0), undefined, rewards, Uint8Array.of(0, 2), flags), /terminated\[1\]/],
      [() => recorder.record(obs, Int32Array.of(1, 1, 2, 0), undefined, rewards, flags, flags, [0, 2]), /rows\[1\]/],
      [() => recorder.record(obs, Float32Array.of(1, 1, 2, 0), undefined, rewards, flags, flags), /^actions:/],
    ];
    for (const [call, message] of bad) expect(call).toThrow(message);
    for (const [call] of bad) expect(call).toThrow(ValidationError);
    expect(recorder.toDemonstration()).toEqual(before);
    expect(() => new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: Discrete(2), whenFull: 'drop' as 'stop' })).toThrow(/options\.whenFull/);
  });
});

describe('loadDemonstration', () => {
  const recorder = new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: MultiDiscrete([3, 2]) });
  recorder.record(Float32Array.of(1, 2, 3, 4, 5, 6), Int32Array.of(1, 1, 2, 0), undefined, Float32Array.of(0.5, -1), Uint8Array.of(0, 1), Uint8Array.of(0, 0));
  const bytes = recorder.save();

  it('rejects any altered byte (the checksum covers the whole file)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const altered = bytes.slice();
      altered[at] ^= flip;
      expect(() => loadDemonstration(altered)).toThrow(CheckpointError);
    }), { numRuns: 200 });
  });

  /** Re-seals a file after editing its tensors or metadata, so the value checks (not the checksum) must catch it. */
  function resealed(edit: (file: ReturnType<typeof readSafetensors>) => void): Uint8Array {
    const file = readSafetensors(bytes);
    edit(file);
    const demo = { ...file.metadata };
    const raw = writeSafetensors(file.tensors, demo);
    // A recorder's file with these contents: recompute the checksum as save() does.
    const at = new TextDecoder().decode(raw).indexOf(`"checksum":"${demo.checksum}"`) + 12;
    raw.set(new TextEncoder().encode('00000000'), at);
    let h = 0x811c9dc5;
    for (const b of raw) h = Math.imul(h ^ b, 0x01000193);
    raw.set(new TextEncoder().encode((h >>> 0).toString(16).padStart(8, '0')), at);
    return raw;
  }

  const cases: [string, (file: ReturnType<typeof readSafetensors>) => void, string][] = [
    ['an action out of range', (f) => { f.tensors.get('actions')!.data[2] = 3; }, 'actions[1, 0]'],
    ['a masked action', (f) => { f.tensors.get('masks')!.data[1] = 0; }, 'actions[0, 0]'],
    ['a flag other than 0 or 1', (f) => { f.tensors.get('truncated')!.data[0] = 2; }, 'truncated[0]'],
    ['a non-finite reward', (f) => { f.tensors.get('rewards')!.data[1] = Infinity; }, 'rewards[1]'],
    ['steps that do not match the tensors', (f) => { f.metadata.steps = '3'; }, 'observations'],
    ['an observation space that does not match', (f) => { f.metadata.observation_space = JSON.stringify({ kind: 'box', shape: [4], low: ['-Infinity', '-Infinity', '-Infinity', '-Infinity'], high: ['Infinity', 'Infinity', 'Infinity', 'Infinity'] }); }, 'observations'],
    ['a missing tensor', (f) => { f.tensors.delete('slots'); }, 'slots'],
    ['an unknown metadata field', (f) => { f.metadata.extra = '1'; }, 'extra'],
    ['another format', (f) => { f.metadata.format = 'webppo-checkpoint'; }, 'format'],
  ];
  for (const [what, edit, field] of cases) {
    it(`rejects ${what}, naming ${field}`, () => {
      let error: unknown;
      try {
        loadDemonstration(resealed(edit));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).field).toBe(field);
    });
  }

  it('a resealed unedited file loads (the re-sealing in these tests is faithful)', () => {
    expect(loadDemonstration(resealed(() => {}))).toEqual(loadDemonstration(bytes));
  });
});

describe('demonstrationBatch', () => {
  it('discounts rewards per slot and stops at episode ends', () => {
    const recorder = new DemonstrationRecorder({ observationSpace: Box(3), actionSpace: Discrete(2) });
    const obs = new Float32Array(6), acts = new Int32Array(2), none = new Uint8Array(2);
    recorder.record(obs, acts, undefined, Float32Array.of(1, 10), none, none);
    recorder.record(obs, acts, undefined, Float32Array.of(2, 20), Uint8Array.of(1, 0), none);
    recorder.record(obs, acts, undefined, Float32Array.of(4, 40), none, Uint8Array.of(0, 1));
    const batch = demonstrationBatch(recorder.toDemonstration(), 0.5);
    expect(Array.from(batch.returns!)).toEqual([1 + 0.5 * 2, 10 + 0.5 * (20 + 0.5 * 40), 2, 20 + 0.5 * 40, 4, 40]);
    expect(batch.rows).toBe(6);
    expect(() => demonstrationBatch([recorder.toDemonstration(), { ...recorder.toDemonstration(), actionSpace: Discrete(3) }])).toThrow(/demonstrations\[1\]\.actionSpace/);
  });
});
