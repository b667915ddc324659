import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type Tensor } from '../../src/policy/safetensors.js';
import { decodeCheckpoint, encodeCheckpoint, readCheckpointConfig, sameSpace, spaceFromJson, spaceToJson, type CheckpointContents } from '../../src/policy/checkpoint.js';
import { networkLayout, resolveNetworkSpec } from '../../src/policy/network.js';
import { Box, Discrete, MultiDiscrete } from '../../src/spaces.js';

const policy = { observationSize: 3, actionSpace: Box(1, -2, 2), network: resolveNetworkSpec({ hidden: [4] }) };
const layout = networkLayout(policy);
const filled = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 3);

function contents(): CheckpointContents {
  return {
    config: { hello: 'world', spaces: [spaceToJson(policy.actionSpace)] },
    parameters: filled(layout.size, 1),
    optimizer: { m: filled(layout.size, 2), v: filled(layout.size, 3).map(Math.abs), step: 17 },
    observationStats: { mean: Float64Array.of(0.1, 0.2, 1 / 3), var: Float64Array.of(1, 2, Math.PI), count: 1234.0001 },
    rewardStats: { mean: Float64Array.of(0.5), var: Float64Array.of(7), count: 99.0001, returns: Float64Array.of(1.5, -2 / 3) },
    rng: { sampler: '123456789012345678901234567890' },
    counters: { steps: 4096, updates: 8 },
  };
}
const shape = { layout, observationSize: 3, numAgents: 2, normalizeObservations: true, normalizeRewards: true };

describe('safetensors', () => {
  it('writes the documented layout: u64 LE header length, JSON header, packed LE data, 8-aligned', () => {
    const tensors = new Map<string, Tensor>([['a.weight', { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, -2, 3.5, 4) }], ['b', { dtype: 'F64', shape: [1], data: Float64Array.of(Math.E) }]]);
    const bytes = writeSafetensors(tensors, { note: 'x' });
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({ __metadata__: { note: 'x' }, 'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F64', shape: [1], data_offsets: [16, 24] } });
    expect(view.getFloat32(8 + n + 8, true)).toBe(3.5);
    expect(view.getFloat64(8 + n + 16, true)).toBe(Math.E);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ note: 'x' });
    expect(Array.from(back.tensors.get('a.weight')!.data)).toEqual([1, -2, 3.5, 4]);
  });

  it('rejects truncated, non-JSON and inconsistent files with a clear error', () => {
    const bytes = writeSafetensors(new Map([['a', { dtype: 'F32', shape: [3], data: Float32Array.of(1, 2, 3) }]]));
    expect(() => readSafetensors(bytes.subarray(0, 5))).toThrow(/truncated: 5 bytes/);
    expect(() => readSafetensors(bytes.subarray(0, 20))).toThrow(/header length \d+ exceeds/);
    expect(() => readSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated: tensor a ends at byte 12 of a 8-byte data section/);
    const extra = new Uint8Array(bytes.length + 4); extra.set(bytes);
    expect(() => readSafetensors(extra)).toThrow(/4 bytes after the last tensor/);
    const broken = bytes.slice(); broken[9] = 0x7b; broken[10] = 0x7b;
    expect(() => readSafetensors(broken)).toThrow(/corrupted header/);
    const lie = (header: object) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + 12);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expect(() => readSafetensors(lie({ a: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }))).toThrow(/unsupported dtype "BF16"/);
    expect(() => readSafetensors(lie({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } }))).toThrow(/span 12 bytes, shape \[4\] needs 16/);
    expect(() => readSafetensors(lie({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }))).toThrow(/gap or overlap/);
    expect(() => readSafetensors(lie({ __metadata__: { a: 1 } }))).toThrow(/__metadata__/);
  });
});

describe('webppo checkpoint', () => {
  it('round-trips parameters, Adam state, normalization stats, RNG, counters and config bit for bit', () => {
    const c = contents();
    const bytes = encodeCheckpoint(c, layout);
    const { config, file } = readCheckpointConfig(bytes);
    expect(config).toEqual(c.config);
    expect([...file.tensors.keys()]).toContain('actor.0.weight');
    expect([...file.tensors.keys()]).toContain('optimizer.exp_avg_sq.log_std');
    const back = decodeCheckpoint(file, config, shape);
    expect(back.parameters).toEqual(c.parameters);
    expect(back.optimizer).toEqual(c.optimizer);
    expect(back.observationStats).toEqual(c.observationStats);
    expect(back.rewardStats).toEqual(c.rewardStats);
    expect(back.rng).toEqual(c.rng);
    expect(back.counters).toEqual(c.counters);
  });

  it('rejects corrupted data, foreign files and files of another network', () => {
    const bytes = encodeCheckpoint(contents(), layout);
    const flipped = bytes.slice(); flipped[flipped.length - 3] ^= 0x10;
    expect(() => readCheckpointConfig(flipped)).toThrow(/corrupted: tensor data checksum/);
    const foreign = writeSafetensors(new Map([['w', { dtype: 'F32', shape: [1], data: Float32Array.of(1) }]]), { format: 'pt' });
    expect(() => readCheckpointConfig(foreign)).toThrow(/not a webppo checkpoint/);
    const { file, config } = readCheckpointConfig(bytes);
    const wider = networkLayout({ ...policy, network: resolveNetworkSpec({ hidden: [5] }) });
    expect(() => decodeCheckpoint(file, config, { ...shape, layout: wider })).toThrow(/tensor actor.0.weight: expected F32 \[5,3\], got F32 \[4,3\]/);
    const deeper = networkLayout({ ...policy, network: resolveNetworkSpec({ hidden: [4, 4] }) });
    expect(() => decodeCheckpoint(file, config, { ...shape, layout: deeper })).toThrow(/tensor actor.2.weight/);
    expect(() => decodeCheckpoint(file, config, { ...shape, numAgents: 3 })).toThrow(/return_rms.returns: expected F64 \[3\]/);
    expect(() => decodeCheckpoint(file, config, { ...shape, normalizeRewards: false })).toThrow(/unexpected tensor return_rms/);
  });

  it('stores spaces as JSON, infinite bounds included', () => {
    for (const space of [Discrete(3), MultiDiscrete([2, 3]), Box(2, -Infinity, Infinity), Box([2, 2], -1, 1)]) {
      const back = spaceFromJson(JSON.parse(JSON.stringify(spaceToJson(space))), 'space');
      expect(sameSpace(back, space)).toBe(true);
    }
    expect(sameSpace(Box(2), Box(3))).toBe(false);
    expect(() => spaceFromJson({ kind: 'torus' }, 'observationSpace')).toThrow(/config observationSpace: not a space/);
  });
});
