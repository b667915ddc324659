// webppo checkpoints: one safetensors file holding everything needed to resume exactly. Tensors: the
// parameters under their PyTorch names (`actor.0.weight`, ...), Adam's moments (`optimizer.exp_avg.<name>`,
// `optimizer.exp_avg_sq.<name>`), normalization statistics (`obs_rms.*`, `return_rms.*`, f64). Metadata: the
// full config (JSON), optimizer step, RNG states, counters and a checksum of the tensor data.
import type { OptimizerState } from '../backend/trainer.js';
import type { RunningStats } from '../normalize.js';
import { Box, Discrete, MultiDiscrete, type Space } from '../spaces.js';
import type { NetworkLayout } from './network.js';
import { CheckpointError, fnv1a, readSafetensors, type Tensor, writeSafetensors } from './safetensors.js';

export { CheckpointError } from './safetensors.js';

const FORMAT = 'webppo-checkpoint';
const VERSION = '1';

export interface CheckpointContents<Config = unknown> {
  /** JSON-able description of the agent (spaces via spaceToJson). */
  config: Config;
  parameters: Float32Array;
  optimizer: OptimizerState;
  observationStats?: RunningStats;
  rewardStats?: RunningStats & { returns: Float64Array };
  /** State of the running game: the unfinished rollout (`rollout.*`) and episode tallies (`episode.*`). */
  extra?: ReadonlyMap<string, Tensor>;
  /** Named generator states (decimal strings). */
  rng: Record<string, string>;
  counters: Record<string, number>;
}

/** What decoding needs from the caller once the config is known: the layout and sizes it implies. */
export interface CheckpointShape {
  layout: NetworkLayout;
  observationSize: number;
  numAgents: number;
  normalizeObservations: boolean;
  normalizeRewards: boolean;
}

export function encodeCheckpoint(contents: CheckpointContents, layout: NetworkLayout): Uint8Array {
  const tensors = new Map<string, Tensor>();
  const f32 = (name: string, shape: readonly number[], data: Float32Array) => tensors.set(name, { dtype: 'F32', shape, data });
  const f64 = (name: string, data: Float64Array) => tensors.set(name, { dtype: 'F64', shape: [data.length], data });
  for (const p of layout.parameters) f32(p.name, p.shape, slice(contents.parameters, p.offset, p.shape));
  for (const p of layout.parameters) f32(`optimizer.exp_avg.${p.name}`, p.shape, slice(contents.optimizer.m, p.offset, p.shape));
  for (const p of layout.parameters) f32(`optimizer.exp_avg_sq.${p.name}`, p.shape, slice(contents.optimizer.v, p.offset, p.shape));
  for (const [prefix, stats] of [['obs_rms', contents.observationStats], ['return_rms', contents.rewardStats]] as const) {
    if (!stats) continue;
    f64(`${prefix}.mean`, stats.mean);
    f64(`${prefix}.var`, stats.var);
    f64(`${prefix}.count`, Float64Array.of(stats.count));
  }
  if (contents.rewardStats) f64('return_rms.returns', contents.rewardStats.returns);
  for (const [name, tensor] of contents.extra ?? []) {
    if (!isExtra(name)) throw new CheckpointError(`checkpoint: extra tensor ${name} must be named rollout.* or episode.*`);
    tensors.set(name, tensor);
  }
  const metadata = {
    format: FORMAT,
    version: VERSION,
    config: JSON.stringify(contents.config),
    'optimizer.step': String(contents.optimizer.step),
    rng: JSON.stringify(contents.rng),
    counters: JSON.stringify(contents.counters),
    checksum: '00000000',
  };
  const bytes = writeSafetensors(tensors, metadata);
  // Patch the checksum of the data section into its fixed-width placeholder.
  const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const placeholder = new TextEncoder().encode('"checksum":"00000000"');
  const at = indexOf(bytes.subarray(0, headerEnd), placeholder);
  bytes.set(new TextEncoder().encode(fnv1a(bytes.subarray(headerEnd))), at + placeholder.length - 9);
  return bytes;
}

/** Reads the metadata only (to learn the config), then `decodeCheckpoint` with the shape it implies. */
export function readCheckpointConfig(bytes: Uint8Array | ArrayBuffer): { config: unknown; file: ReturnType<typeof readSafetensors> } {
  const file = readSafetensors(bytes);
  const { metadata } = file;
  if (metadata.format !== FORMAT) throw new CheckpointError(`checkpoint: not a webppo checkpoint (metadata.format is ${JSON.stringify(metadata.format)})`);
  if (metadata.version !== VERSION) throw new CheckpointError(`checkpoint: version ${JSON.stringify(metadata.version)} is not supported (expected ${VERSION})`);
  const raw = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const headerEnd = 8 + Number(new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getBigUint64(0, true));
  const checksum = fnv1a(raw.subarray(headerEnd));
  if (metadata.checksum !== checksum) throw new CheckpointError(`checkpoint: corrupted: tensor data checksum ${checksum} does not match the recorded ${metadata.checksum}`);
  return { config: parseJson('config', metadata.config), file };
}

export function decodeCheckpoint(file: ReturnType<typeof readSafetensors>, config: unknown, shape: CheckpointShape): CheckpointContents {
  const { tensors, metadata } = file;
  const { layout } = shape;
  const take = (name: string, dims: readonly number[], dtype: 'F32' | 'F64') => {
    const t = tensors.get(name);
    if (!t) throw new CheckpointError(`checkpoint: tensor ${name} is missing (the file does not match this network)`);
    if (t.dtype !== dtype || t.shape.length !== dims.length || t.shape.some((d, i) => d !== dims[i])) {
      throw new CheckpointError(`checkpoint: tensor ${name}: expected ${dtype} [${dims}], got ${t.dtype} [${t.shape}] (the file does not match this network)`);
    }
    return t.data;
  };
  const parameters = new Float32Array(layout.size);
  const m = new Float32Array(layout.size);
  const v = new Float32Array(layout.size);
  const expected = new Set<string>();
  for (const p of layout.parameters) {
    for (const [prefix, target] of [['', parameters], ['optimizer.exp_avg.', m], ['optimizer.exp_avg_sq.', v]] as const) {
      target.set(take(prefix + p.name, p.shape, 'F32'), p.offset);
      expected.add(prefix + p.name);
    }
  }
  const stats = (prefix: string, size: number): RunningStats => {
    for (const s of ['mean', 'var', 'count']) expected.add(`${prefix}.${s}`);
    return {
      mean: take(`${prefix}.mean`, [size], 'F64') as Float64Array,
      var: take(`${prefix}.var`, [size], 'F64') as Float64Array,
      count: take(`${prefix}.count`, [1], 'F64')[0],
    };
  };
  const observationStats = shape.normalizeObservations ? stats('obs_rms', shape.observationSize) : undefined;
  let rewardStats: CheckpointContents['rewardStats'];
  if (shape.normalizeRewards) {
    rewardStats = { ...stats('return_rms', 1), returns: take('return_rms.returns', [shape.numAgents], 'F64') as Float64Array };
    expected.add('return_rms.returns');
  }
  const extra = new Map<string, Tensor>();
  for (const [name, tensor] of tensors) {
    if (isExtra(name)) extra.set(name, tensor);
    else if (!expected.has(name)) throw new CheckpointError(`checkpoint: unexpected tensor ${name} (the file does not match this network)`);
  }
  const step = Number(metadata['optimizer.step']);
  if (!Number.isInteger(step) || step < 0) throw new CheckpointError(`checkpoint: metadata optimizer.step: expected an integer >= 0, got ${JSON.stringify(metadata['optimizer.step'])}`);
  return {
    config,
    parameters,
    optimizer: { m, v, step },
    observationStats,
    rewardStats,
    extra,
    rng: parseJson('rng', metadata.rng) as Record<string, string>,
    counters: parseJson('counters', metadata.counters) as Record<string, number>,
  };
}

function isExtra(name: string): boolean {
  return name.startsWith('rollout.') || name.startsWith('episode.');
}

function parseJson(field: string, text: string | undefined): unknown {
  if (typeof text !== 'string') throw new CheckpointError(`checkpoint: metadata ${field} is missing`);
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckpointError(`checkpoint: metadata ${field} is not valid JSON`);
  }
}

function slice(flat: Float32Array, offset: number, shape: readonly number[]): Float32Array {
  return flat.subarray(offset, offset + shape.reduce((a, b) => a * b, 1));
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new CheckpointError('checkpoint: checksum placeholder not found');
}

/** A space as JSON (infinite bounds as strings). */
export function spaceToJson(space: Space): unknown {
  if (space.kind !== 'box') return space;
  const bound = (v: number) => (Number.isFinite(v) ? v : String(v));
  return { kind: 'box', shape: space.shape, low: Array.from(space.low, bound), high: Array.from(space.high, bound) };
}

export function spaceFromJson(json: unknown, field: string): Space {
  const s = json as { kind?: string; n?: number; nvec?: number[]; shape?: number[]; low?: unknown[]; high?: unknown[] } | null;
  try {
    if (s?.kind === 'discrete') return Discrete(s.n as number);
    if (s?.kind === 'multi_discrete') return MultiDiscrete(s.nvec as number[]);
    if (s?.kind === 'box' && Array.isArray(s.low) && Array.isArray(s.high)) return Box(s.shape as number[], s.low.map(Number), s.high.map(Number));
  } catch (error) {
    throw new CheckpointError(`checkpoint: config ${field}: ${(error as Error).message}`);
  }
  throw new CheckpointError(`checkpoint: config ${field}: not a space (${JSON.stringify(json)})`);
}

/** Whether two spaces are the same (kind, sizes, bounds). */
export function sameSpace(a: Space, b: Space): boolean {
  return JSON.stringify(spaceToJson(a)) === JSON.stringify(spaceToJson(b));
}
