// Random checkpoint mutations: bit flips anywhere, header edits, swapped same-size tensor ranges, and files
// re-sealed with a correct checksum around semantically bad values. Each must load into an agent whose
// save() equals the original byte for byte, or be rejected with a CheckpointError: never anything else.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, CheckpointError, readSafetensors, type Tensor, writeSafetensors } from '../../src/index.js';
import { wasmBytesInUse } from '../../src/wasm-memory.js';
import { RUNS, SEED, same, trainedAgent, wasmMemoryBytes } from './helpers.js';

let original: Uint8Array;
const tally = { tried: 0, loaded: 0, rejected: 0 };

beforeAll(async () => {
  const agent = await trainedAgent(6);
  original = await agent.save();
  agent.dispose();
});

afterAll(() => {
  console.log(`checkpoint mutants: ${tally.tried} tried, ${tally.rejected} rejected with CheckpointError, ${tally.loaded} loaded byte-identical`);
});

/** Loads a mutant: it must be rejected with CheckpointError, or load and save the original bytes. */
async function judge(bytes: Uint8Array): Promise<'loaded' | 'rejected'> {
  tally.tried++;
  let agent: Agent;
  try {
    agent = await Agent.load(bytes);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw new Error(`not a CheckpointError: ${(error as Error)?.stack ?? error}`);
    expect(error.code).toBe('E_CHECKPOINT');
    tally.rejected++;
    return 'rejected';
  }
  try {
    const saved = await agent.save();
    if (!same(saved, original)) throw new Error('a mutant loaded as a different agent');
  } finally {
    agent.dispose();
  }
  tally.loaded++;
  return 'loaded';
}

function headerEnd(bytes: Uint8Array): number {
  return 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
}

/** FNV-1a, written here apart from the implementation: the checksum a forger would recompute. */
function fnv(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Rewrites the file with edited tensors / metadata and a correct checksum over the whole file. */
function reseal(edit: (tensors: Map<string, Tensor>, metadata: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = readSafetensors(original.slice());
  edit(tensors, metadata);
  metadata.checksum = '00000000';
  const bytes = writeSafetensors(tensors, metadata);
  const text = new TextDecoder().decode(bytes.subarray(0, headerEnd(bytes)));
  const at = text.indexOf('"checksum":"00000000"') + '"checksum":"'.length;
  bytes.set(new TextEncoder().encode(fnv(bytes)), at);
  return bytes;
}

const json = (m: Record<string, string>, field: string, edit: (value: Record<string, unknown>) => void) => {
  const value = JSON.parse(m[field]);
  edit(value);
  m[field] = JSON.stringify(value);
};
const tensor = (t: Map<string, Tensor>, name: string, index: (n: number) => number, value: number) => {
  const data = t.get(name)!.data;
  data[index(data.length) % data.length] = value;
};

/** Semantically bad edits, each re-sealed with a correct checksum: all must be rejected. */
const BAD: [string, (pick: number) => (t: Map<string, Tensor>, m: Record<string, string>) => void][] = [
  ['parameter NaN', (k) => (t) => tensor(t, 'actor.0.weight', () => k, NaN)],
  ['parameter Infinity', (k) => (t) => tensor(t, 'critic.2.bias', () => k, Infinity)],
  ['exp_avg NaN', (k) => (t) => tensor(t, 'optimizer.exp_avg.actor.2.weight', () => k, NaN)],
  ['exp_avg_sq < 0', (k) => (t) => tensor(t, 'optimizer.exp_avg_sq.critic.0.weight', () => k, -1e-3)],
  ['obs_rms.var = -1', (k) => (t) => tensor(t, 'obs_rms.var', () => k, -1)],
  ['obs_rms.mean NaN', (k) => (t) => tensor(t, 'obs_rms.mean', () => k, NaN)],
  ['obs_rms.count = 0', () => (t) => tensor(t, 'obs_rms.count', () => 0, 0)],
  ['return_rms.count < 0', () => (t) => tensor(t, 'return_rms.count', () => 0, -5)],
  ['return_rms.returns Infinity', (k) => (t) => tensor(t, 'return_rms.returns', () => k, -Infinity)],
  ['episode.lengths < 0', (k) => (t) => tensor(t, 'episode.lengths', () => k, -1)],
  ['episode.returns NaN', (k) => (t) => tensor(t, 'episode.returns', () => k, NaN)],
  ['rollout reward NaN', (k) => (t) => tensor(t, 'rollout.rewards', () => k, NaN)],
  ['rollout action out of range', (k) => (t) => tensor(t, 'rollout.actions', () => k, 3 + (k % 5))],
  ['rollout flag 2', (k) => (t) => tensor(t, 'rollout.terminated', () => k, 2)],
  ['updates 1e300', () => (_t, m) => json(m, 'counters', (c) => { c.updates = 1e300; })],
  ['updates beyond steps', () => (_t, m) => json(m, 'counters', (c) => { c.updates = 99; })],
  ['steps fractional', () => (_t, m) => json(m, 'counters', (c) => { c.steps = 12.5; })],
  ['steps not a multiple of numAgents', () => (_t, m) => json(m, 'counters', (c) => { c.steps = 13; })],
  ['episodes negative', () => (_t, m) => json(m, 'counters', (c) => { c.episodes = -1; })],
  ['awaitingBootstrap 2', () => (_t, m) => json(m, 'counters', (c) => { c.awaitingBootstrap = 2; })],
  ['unknown counter', () => (_t, m) => json(m, 'counters', (c) => { c.bonus = 1; })],
  ['optimizer.step ""', () => (_t, m) => { m['optimizer.step'] = ''; }],
  ['optimizer.step 1.5', () => (_t, m) => { m['optimizer.step'] = '1.5'; }],
  ['optimizer.step -1', () => (_t, m) => { m['optimizer.step'] = '-1'; }],
  ['optimizer.step 1e300', () => (_t, m) => { m['optimizer.step'] = '1e300'; }],
  ['rng malformed', () => (_t, m) => json(m, 'rng', (r) => { r.plan = 'abc'; })],
  ['rng even inc', () => (_t, m) => json(m, 'rng', (r) => { r.noise = '1:2'; })],
  ['rng above 2^64', () => (_t, m) => json(m, 'rng', (r) => { r.inference = '18446744073709551616:1'; })],
  ['rng missing', () => (_t, m) => json(m, 'rng', (r) => { delete r.inference; })],
  ['config numAgents 100000', () => (_t, m) => json(m, 'config', (c) => { c.numAgents = 100000; })],
  ['config numEpochs 2^28', () => (_t, m) => json(m, 'config', (c) => { (c.ppo as Record<string, unknown>).numEpochs = 2 ** 28; })],
  ['config unknown field', () => (_t, m) => json(m, 'config', (c) => { c.turbo = true; })],
  ['config discrete n "4"', () => (_t, m) => json(m, 'config', (c) => { (c.actionSpace as Record<string, unknown>).n = '3'; })],
  ['config gamma 2', () => (_t, m) => json(m, 'config', (c) => { (c.ppo as Record<string, unknown>).gamma = 2; })],
  ['config reformatted', () => (_t, m) => { m.config = JSON.stringify(JSON.parse(m.config), null, 1); }],
  ['unknown metadata', () => (_t, m) => { m.note = 'hi'; }],
  ['extra tensor', () => (t) => { t.set('rollout.extra', { dtype: 'F32', shape: [1], data: new Float32Array(1) }); }],
  ['missing tensor', () => (t) => { t.delete('episode.lengths'); }],
  ['rollout longer than numSteps', () => (t) => {
    for (const [name, x] of t) if (name.startsWith('rollout.')) t.set(name, { ...x, shape: [9, ...x.shape.slice(1)], data: new (x.data.constructor as Float32ArrayConstructor)(9 * x.data.length / x.shape[0]) });
  }],
];

const runs = (n: number) => ({ seed: SEED, numRuns: RUNS ?? n, endOnFailure: true });

describe('checkpoint mutations', () => {
  it('the original loads and saves itself', async () => {
    expect(await judge(original)).toBe('loaded');
  });

  it('bit flips anywhere are rejected', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
      const bytes = original.slice();
      bytes[at % bytes.length] ^= 1 << bit;
      expect(await judge(bytes)).toBe('rejected');
    }), runs(300));
  }, 120_000);

  it('header edits (same or other length, header length fixed up) are rejected', async () => {
    const end = headerEnd(original);
    await fc.assert(fc.asyncProperty(fc.nat(), fc.nat({ max: 12 }), fc.string({ maxLength: 12 }), async (at, cut, insert) => {
      const header = new TextDecoder().decode(original.subarray(8, end));
      const i = at % header.length;
      const edited = new TextEncoder().encode(header.slice(0, i) + insert + header.slice(i + cut));
      const bytes = new Uint8Array(8 + edited.length + original.length - end);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(edited.length), true);
      bytes.set(edited, 8);
      bytes.set(original.subarray(end), 8 + edited.length);
      const verdict = await judge(bytes);
      if (!same(bytes, original)) expect(verdict).toBe('rejected');
    }), runs(200));
  }, 120_000);

  it('swapped same-size ranges of tensor data are rejected', async () => {
    const end = headerEnd(original);
    const data = original.length - end;
    await fc.assert(fc.asyncProperty(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 64 }), async (a, b, size) => {
      const i = end + (a % (data - size)), j = end + (b % (data - size));
      const bytes = original.slice();
      const first = bytes.slice(i, i + size);
      bytes.copyWithin(i, j, j + size);
      bytes.set(first, j);
      const verdict = await judge(bytes);
      if (!same(bytes, original)) expect(verdict).toBe('rejected');
    }), runs(200));
  }, 120_000);

  it('re-sealed files with semantically bad values are rejected, before any memory is taken', async () => {
    const memory = wasmMemoryBytes(), inUse = wasmBytesInUse();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: BAD.length - 1 }), fc.nat(), async (which, pick) => {
      const [name, make] = BAD[which];
      const bytes = reseal(make(pick));
      let error: unknown;
      try { await Agent.load(bytes); } catch (e) { error = e; }
      tally.tried++;
      expect(error, name).toBeInstanceOf(CheckpointError);
      tally.rejected++;
    }), runs(200));
    for (const [name, make] of BAD) {
      let error: unknown;
      try { await Agent.load(reseal(make(1))); } catch (e) { error = e; }
      expect(error, name).toBeInstanceOf(CheckpointError);
      expect((error as Error).message, name).not.toMatch(/\(Object\)|\[object/);
    }
    expect(wasmMemoryBytes()).toBe(memory);
    expect(wasmBytesInUse()).toBe(inUse);
    // Re-sealing itself is sound: an untouched re-sealed file loads as the original.
    expect(await judge(reseal(() => {}))).toBe('loaded');
  }, 120_000);
});
