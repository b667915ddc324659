// CpuPolicy's generator state, which checkpoints carry: restoring it replays the same sampled actions.
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuPolicy } from '../../src/backend/cpu/inference.js';
import { init } from '../../src/init.js';
import { resolveNetworkSpec } from '../../src/policy/network.js';
import { Box } from '../../src/spaces.js';

beforeAll(() => init());

describe('CpuPolicy generator state', () => {
  it('round-trips: the same draws after setRngState, and rejects malformed states untouched', () => {
    const policy = new CpuPolicy({ observationSize: 2, actionSpace: Box(3), network: resolveNetworkSpec({ hidden: [4] }) }, { seed: 9, maxAgents: 5 });
    const obs = new Float32Array(10).fill(0.3);
    const out = { actions: new Float32Array(15), logProbs: new Float32Array(5), values: new Float32Array(5) };
    const saved = policy.getRngState();
    policy.act(obs, out);
    const first = Array.from(out.actions);
    policy.act(obs, out);
    expect(Array.from(out.actions)).not.toEqual(first);
    expect(() => policy.setRngState([1n] as never)).toThrow(/rngState: expected two unsigned 64-bit bigints/);
    expect(() => policy.setRngState([1n, -1n])).toThrow(/rngState/);
    policy.setRngState(saved);
    policy.act(obs, out);
    expect(Array.from(out.actions)).toEqual(first);
    policy.dispose();
  });
});
