// webppo checkpoints: one safetensors file holding everything needed to resume exactly. Tensors: the
// parameters under their PyTorch names (`actor.0.weight`, ...), Adam's moments (`optimizer.exp_avg.<name>`,
// `optimizer.exp_avg_sq.<name>`), normalization statistics (`obs_rms.*`, `return_rms.*`, f64). Metadata: the
// full config (JSON), optimizer step, RNG states, counters and a checksum of the whole file (header and
// tensor bytes). Loading checks the checksum, then every value: a file is either one webppo could have
// written, or rejected with a CheckpointError naming the tensor or field.
import type { OptimizerState } from '../backend/trainer.js';
import type { RunningStats } from '../normalize.js';
import { Box, Discrete, MultiDiscrete, type Space } from '../spaces.js';
import type { NetworkLayout } from './network.js';
import { CheckpointError, FNV_OFFSET, fnv1a, fnv1aUpdate, readSafetensors, type Tensor, writeSafetensors } from './safetensors.js';

export { CheckpointError } from './safetensors.js';

const FORMAT = 'webppo-checkpoint';
const VERSION = '2';
export const CHECKPOINT_VERSION = VERSION;
/** Version 1 files checksummed the tensor data only; they still load. */
const LEGACY_VERSION = '1';
const METADATA_KEYS = ['format', 'version', 'config', 'optimizer.step', 'rng', 'counters', 'checksum'];
const PLACEHOLDER = '00000000';
/** What the checksum field holds while the checksum is computed (see fileChecksum). */
export const CHECKSUM_PLACEHOLDER = PLACEHOLDER;

export interface CheckpointContents<Config = unknown> {
  /** JSON-able description of the agent (spaces via spaceToJson). */
  config: Config;
  parameters: Float32Array;
  optimizer: OptimizerState;
  observationStats?: RunningStats;
  rewardStats?: RunningStats & { returns: Float64Array };
  /** State of the running game: the unfinished rollout (`rollout.*`), episode tallies (`episode.*`) and self-play (`self_play.*`). */
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
  /** When given (agents), the running state (`episode.*`, `rollout.*`) and the counters are checked too. */
  running?: RunningShape;
  /** With `running`: the agent plays itself, so `self_play.*` tensors are expected (and checked by SelfPlay.restore). */
  selfPlay?: boolean;
}

/** The sizes of an agent's running state: what its `episode.*` and `rollout.*` tensors must look like. */
export interface RunningShape {
  numSteps: number;
  actionSize: number;
  categorical: boolean;
  /** Logits per row when the agent takes masks, else 0. */
  maskSize: number;
  /** A recurrent policy's state size (0 or absent: feed-forward, no `memory.*` tensors). */
  stateSize?: number;
  /** ... and its stored states per staged stretch, ceil(numSteps / sequenceLength). */
  sequences?: number;
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
    if (!isExtra(name)) throw new CheckpointError(`checkpoint: extra tensor ${name} must be named rollout.*, episode.*, slots.*, staging.*, stream.*, memory.* or self_play.*`);
    tensors.set(name, tensor);
  }
  const metadata = {
    format: FORMAT,
    version: VERSION,
    config: JSON.stringify(contents.config),
    'optimizer.step': String(contents.optimizer.step),
    rng: JSON.stringify(contents.rng),
    counters: JSON.stringify(contents.counters),
    checksum: PLACEHOLDER,
  };
  const bytes = writeSafetensors(tensors, metadata);
  // The checksum covers every byte of the file, with its own 8 digits read as the placeholder.
  const at = checksumAt(bytes, PLACEHOLDER);
  bytes.set(new TextEncoder().encode(fileChecksum(bytes, at)), at);
  return bytes;
}

/** Reads the metadata only (to learn the config), then `decodeCheckpoint` with the shape it implies. */
export function readCheckpointConfig(bytes: Uint8Array | ArrayBuffer): { config: unknown; file: ReturnType<typeof readSafetensors> } {
  const file = readSafetensors(bytes);
  const { metadata } = file;
  if (metadata.format !== FORMAT) throw new CheckpointError(`checkpoint: not a webppo checkpoint (metadata.format is ${JSON.stringify(metadata.format)})`, 'format');
  if (metadata.version !== VERSION && metadata.version !== LEGACY_VERSION) {
    throw new CheckpointError(`checkpoint: version ${JSON.stringify(metadata.version)} is not supported (expected ${VERSION} or ${LEGACY_VERSION})`, 'version');
  }
  for (const key of Object.keys(metadata)) {
    if (!METADATA_KEYS.includes(key)) throw new CheckpointError(`checkpoint: unexpected metadata field ${JSON.stringify(key)} (known: ${METADATA_KEYS.join(', ')})`, key);
  }
  const raw = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const recorded = metadata.checksum;
  if (typeof recorded !== 'string' || !/^[0-9a-f]{8}$/.test(recorded)) throw new CheckpointError(`checkpoint: metadata checksum: expected 8 hex digits, got ${JSON.stringify(recorded)}`, 'checksum');
  let checksum: string;
  if (metadata.version === LEGACY_VERSION) {
    checksum = fnv1a(raw.subarray(8 + Number(new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getBigUint64(0, true))));
  } else {
    checksum = fileChecksum(raw, checksumAt(raw, recorded));
  }
  if (recorded !== checksum) throw new CheckpointError(`checkpoint: corrupted: tensor data checksum ${checksum} (over the header and every tensor byte) does not match the recorded ${recorded}`, 'checksum');
  return { config: parseJson('config', metadata.config), file };
}

/** Where the 8 digits of the one `"checksum":"..."` field lie in the header. */
export function checksumAt(bytes: Uint8Array, digits: string): number {
  const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const needle = new TextEncoder().encode(`"checksum":"${digits}"`);
  const header = bytes.subarray(0, headerEnd);
  const at = indexOf(header, needle, 0);
  if (at < 0 || indexOf(header, needle, at + 1) >= 0) throw new CheckpointError('checkpoint: corrupted: the header must hold exactly one checksum field', 'checksum');
  return at + needle.length - 9;
}

/** FNV-1a over the whole file, reading the 8 checksum digits at `at` as the placeholder. */
export function fileChecksum(bytes: Uint8Array, at: number): string {
  const h = fnv1aUpdate(fnv1aUpdate(fnv1aUpdate(FNV_OFFSET, bytes.subarray(0, at)), PLACEHOLDER_BYTES), bytes.subarray(at + 8));
  return (h >>> 0).toString(16).padStart(8, '0');
}
const PLACEHOLDER_BYTES = new TextEncoder().encode(PLACEHOLDER);

export function decodeCheckpoint(file: ReturnType<typeof readSafetensors>, config: unknown, shape: CheckpointShape): CheckpointContents {
  const { tensors, metadata } = file;
  const { layout } = shape;
  const take = (name: string, dims: readonly number[], dtype: Tensor['dtype']) => {
    const t = tensors.get(name);
    if (!t) throw new CheckpointError(`checkpoint: tensor ${name} is missing (the file does not match this network)`, name);
    if (t.dtype !== dtype || t.shape.length !== dims.length || t.shape.some((d, i) => d !== dims[i])) {
      throw new CheckpointError(`checkpoint: tensor ${name}: expected ${dtype} [${dims}], got ${t.dtype} [${t.shape}] (the file does not match this network)`, name);
    }
    return t.data;
  };
  const parameters = new Float32Array(layout.size);
  const m = new Float32Array(layout.size);
  const v = new Float32Array(layout.size);
  const expected = new Set<string>();
  for (const p of layout.parameters) {
    for (const [prefix, target, min] of [['', parameters, -Infinity], ['optimizer.exp_avg.', m, -Infinity], ['optimizer.exp_avg_sq.', v, 0]] as const) {
      target.set(checkValues(prefix + p.name, take(prefix + p.name, p.shape, 'F32'), min), p.offset);
      expected.add(prefix + p.name);
    }
  }
  const stats = (prefix: string, size: number): RunningStats => {
    for (const s of ['mean', 'var', 'count']) expected.add(`${prefix}.${s}`);
    const count = checkValues(`${prefix}.count`, take(`${prefix}.count`, [1], 'F64'), 0)[0];
    if (!(count > 0)) throw new CheckpointError(`checkpoint: tensor ${prefix}.count: expected a count > 0, got ${count}`, `${prefix}.count`);
    return {
      mean: checkValues(`${prefix}.mean`, take(`${prefix}.mean`, [size], 'F64'), -Infinity) as Float64Array,
      var: checkValues(`${prefix}.var`, take(`${prefix}.var`, [size], 'F64'), 0) as Float64Array,
      count,
    };
  };
  const observationStats = shape.normalizeObservations ? stats('obs_rms', shape.observationSize) : undefined;
  let rewardStats: CheckpointContents['rewardStats'];
  if (shape.normalizeRewards) {
    rewardStats = { ...stats('return_rms', 1), returns: checkValues('return_rms.returns', take('return_rms.returns', [shape.numAgents], 'F64'), -Infinity) as Float64Array };
    expected.add('return_rms.returns');
  }
  const extra = new Map<string, Tensor>();
  const running = shape.running ? runningTensors(shape.numAgents, shape.observationSize, shape.running, tensors) : undefined;
  for (const [name, tensor] of tensors) {
    // self_play.* tensors are checked by SelfPlay.restore, which knows the settings they must agree with.
    if (running ? running.has(name) || (shape.selfPlay === true && isSelfPlay(name)) : isExtra(name)) extra.set(name, tensor);
    else if (!expected.has(name)) throw new CheckpointError(`checkpoint: unexpected tensor ${name} (the file does not match this network)`, name);
  }
  if (running) for (const [name, [dtype, dims]] of running) take(name, dims, dtype);
  const stepText = metadata['optimizer.step'];
  const step = Number(stepText);
  if (typeof stepText !== 'string' || !/^(0|[1-9]\d*)$/.test(stepText) || !Number.isSafeInteger(step)) {
    throw new CheckpointError(`checkpoint: metadata optimizer.step: expected an integer >= 0, got ${JSON.stringify(stepText)}`, 'optimizer.step');
  }
  const rng = parseJson('rng', metadata.rng) as Record<string, string>;
  const counters = parseJson('counters', metadata.counters) as Record<string, number>;
  if (shape.running) {
    if (metadata.version === VERSION) for (const [field, value] of [['rng', rng], ['counters', counters]] as const) checkCanonical(field, metadata[field], value);
    checkRng(rng);
    // Agents that come and go store decisions, not ticks x agents: their steps need not be a multiple.
    const slots = tensors.has('slots.alive');
    checkCounters(counters, shape.numAgents * shape.running.numSteps, slots ? 1 : shape.numAgents);
    if (step > (counters.updates + 1) * MAX_OPTIMIZER_STEPS_PER_UPDATE) {
      throw new CheckpointError(`checkpoint: metadata optimizer.step: expected at most ${MAX_OPTIMIZER_STEPS_PER_UPDATE} per update (${counters.updates} updates), got ${step}`, 'optimizer.step');
    }
    const lengths = extra.get('episode.lengths')!.data;
    for (let e = 0; e < lengths.length; e++) {
      if (slots) {
        if (lengths[e] < 0) throw new CheckpointError(`checkpoint: tensor episode.lengths[${e}]: expected an integer >= 0, got ${lengths[e]}`, 'episode.lengths');
      } else if (lengths[e] < 0 || lengths[e] > counters.steps) throw new CheckpointError(`checkpoint: tensor episode.lengths[${e}]: expected an integer in [0, ${counters.steps}] (counters.steps), got ${lengths[e]}`, 'episode.lengths');
    }
    checkValues('episode.returns', extra.get('episode.returns')!.data, -Infinity);
  }
  return { config, parameters, optimizer: { m, v, step }, observationStats, rewardStats, extra, rng, counters };
}

/** A metadata field must read exactly as webppo writes it (JSON.stringify of its value): an edit that parses the same is still an edit. */
export function checkCanonical(field: string, text: string | undefined, value: unknown): void {
  if (JSON.stringify(value) !== text) throw new CheckpointError(`checkpoint: metadata ${field} is not in the form webppo writes`, field);
}

/** A generous bound on Adam steps per update (epochs x minibatches), so a counter edited to 1e300 is caught. */
const MAX_OPTIMIZER_STEPS_PER_UPDATE = 2 ** 32;

/** Every value finite and >= min; names the tensor and the index. */
function checkValues<T extends ArrayLike<number>>(name: string, data: T, min: number): T {
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (!Number.isFinite(x) || x < min) {
      throw new CheckpointError(`checkpoint: tensor ${name}[${i}]: expected a finite number${min === -Infinity ? '' : ` >= ${min}`}, got ${x}`, name);
    }
  }
  return data;
}

/** The running-state tensors an agent of this shape saves: names, dtypes and shapes (rollout.* only if present). */
function runningTensors(n: number, observationSize: number, r: RunningShape, tensors: ReadonlyMap<string, Tensor>): Map<string, [Tensor['dtype'], number[]]> {
  const out = new Map<string, [Tensor['dtype'], number[]]>([['episode.returns', ['F64', [n]]], ['episode.lengths', ['I32', [n]]]]);
  const S = r.stateSize ?? 0;
  if (S > 0) {
    // A recurrent policy's memory: each slot's state in play and in predict(), and the states its staged
    // stretches start their sequences from.
    out.set('memory.play', ['F32', [n, S]]);
    out.set('memory.predict', ['F32', [n, S]]);
    out.set('memory.staging', ['F32', [n, r.sequences!, S]]);
  }
  if (tensors.has('slots.alive')) {
    // Agents that come and go: the slot table, every slot's staged decisions, and the rows already written
    // into the unfinished rollout (in stream order, absent when none).
    const T = r.numSteps;
    for (const name of ['alive', 'requested', 'fresh']) out.set(`slots.${name}`, ['U8', [n]]);
    out.set('slots.ticks', ['I32', [n]]);
    out.set('slots.actions', [r.categorical ? 'I32' : 'F32', [n, r.actionSize]]);
    out.set('staging.count', ['I32', [n]]);
    for (const name of ['open', 'continues']) out.set(`staging.${name}`, ['U8', [n]]);
    out.set('staging.observations', ['F32', [n, T, observationSize]]);
    out.set('staging.actions', [r.categorical ? 'I32' : 'F32', [n, T, r.actionSize]]);
    for (const name of ['log_probs', 'values', 'rewards', 'bootstrap_values', 'next_values']) out.set(`staging.${name}`, ['F32', [n, T]]);
    for (const name of ['terminated', 'truncated', 'lagged']) out.set(`staging.${name}`, ['U8', [n, T]]);
    if (r.maskSize > 0) out.set('staging.masks', ['U8', [n, T, r.maskSize]]);
    const stream = tensors.get('stream.observations');
    if (!stream) return out;
    const rows = stream.shape[0];
    if (!Number.isInteger(rows) || rows < 1 || rows >= T * n) {
      throw new CheckpointError(`checkpoint: tensor stream.observations: expected 1 to ${T * n - 1} rows (numSteps x numAgents - 1), got ${rows}`, 'stream.observations');
    }
    out.set('stream.observations', ['F32', [rows, observationSize]]);
    out.set('stream.actions', [r.categorical ? 'I32' : 'F32', [rows, r.actionSize]]);
    for (const name of ['log_probs', 'values', 'rewards', 'bootstrap_values']) out.set(`stream.${name}`, ['F32', [rows]]);
    for (const name of ['terminated', 'truncated']) out.set(`stream.${name}`, ['U8', [rows]]);
    if (r.maskSize > 0) out.set('stream.masks', ['U8', [rows, r.maskSize]]);
    out.set('stream.last_values', ['F32', [n]]);
    out.set('stream.pending', ['I32', [3]]);
    out.set('stream.pending_next', ['F32', [1]]);
    if (S > 0) out.set('stream.hidden_states', ['F32', [r.sequences!, n, S]]);
    return out;
  }
  const observations = tensors.get('rollout.observations');
  if (!observations) return out;
  const steps = observations.shape[0];
  if (!Number.isInteger(steps) || steps < 1 || steps > r.numSteps) {
    throw new CheckpointError(`checkpoint: tensor rollout.observations: expected 1 to ${r.numSteps} steps (ppo.numSteps), got ${steps}`, 'rollout.observations');
  }
  out.set('rollout.observations', ['F32', [steps, n, observationSize]]);
  out.set('rollout.actions', [r.categorical ? 'I32' : 'F32', [steps, n, r.actionSize]]);
  for (const name of ['log_probs', 'values', 'rewards', 'bootstrap_values']) out.set(`rollout.${name}`, ['F32', [steps, n]]);
  for (const name of ['terminated', 'truncated']) out.set(`rollout.${name}`, ['U8', [steps, n]]);
  if (r.maskSize > 0) out.set('rollout.masks', ['U8', [steps, n, r.maskSize]]);
  return out;
}

const U64 = 1n << 64n;

/** Generator states as webppo writes them: exactly inference, plan and noise, each "state:inc" (u64, inc odd). */
function checkRng(rng: unknown): void {
  const keys = ['inference', 'plan', 'noise'];
  if (typeof rng !== 'object' || rng === null || Array.isArray(rng)) throw new CheckpointError('checkpoint: metadata rng: expected an object of generator states', 'rng');
  for (const key of Object.keys(rng)) if (!keys.includes(key)) throw new CheckpointError(`checkpoint: metadata rng.${key}: not a generator webppo saves (${keys.join(', ')})`, `rng.${key}`);
  for (const key of keys) {
    const text = (rng as Record<string, unknown>)[key];
    const match = typeof text === 'string' ? /^(0|[1-9]\d{0,19}):([1-9]\d{0,19})$/.exec(text) : null;
    const ok = match !== null && BigInt(match[1]) < U64 && BigInt(match[2]) < U64 && (BigInt(match[2]) & 1n) === 1n;
    if (!ok) throw new CheckpointError(`checkpoint: metadata rng.${key}: expected "state:inc" (unsigned 64-bit integers, inc odd), got ${JSON.stringify(text)}`, `rng.${key}`);
  }
}

/** Counters as an agent keeps them: integers, consistent with each other and with the agent's sizes. */
function checkCounters(counters: unknown, rolloutSteps: number, numAgents: number): void {
  const keys = ['steps', 'updates', 'episodes', 'awaitingBootstrap', 'rolloutLagged'];
  if (typeof counters !== 'object' || counters === null || Array.isArray(counters)) throw new CheckpointError('checkpoint: metadata counters: expected an object', 'counters');
  const c = counters as Record<string, unknown>;
  for (const key of Object.keys(c)) if (!keys.includes(key)) throw new CheckpointError(`checkpoint: metadata counters.${key}: not a counter webppo saves (${keys.join(', ')})`, `counters.${key}`);
  const bad = (key: string, expected: string): never => {
    throw new CheckpointError(`checkpoint: metadata counters.${key}: expected ${expected}, got ${JSON.stringify(c[key])}`, `counters.${key}`);
  };
  for (const key of keys) if (typeof c[key] !== 'number' || !Number.isSafeInteger(c[key]) || (c[key] as number) < 0) bad(key, 'an integer >= 0');
  const steps = c.steps as number;
  if (steps % numAgents !== 0) bad('steps', `a multiple of numAgents (${numAgents})`);
  if ((c.updates as number) * rolloutSteps > steps) bad('updates', `at most counters.steps / (numAgents x ppo.numSteps) = ${Math.floor(steps / rolloutSteps)}`);
  if ((c.episodes as number) > steps) bad('episodes', `at most counters.steps (${steps})`);
  for (const key of ['awaitingBootstrap', 'rolloutLagged']) if (c[key] !== 0 && c[key] !== 1) bad(key, '0 or 1');
}

function isExtra(name: string): boolean {
  return ['rollout.', 'episode.', 'slots.', 'staging.', 'stream.', 'memory.'].some((prefix) => name.startsWith(prefix)) || isSelfPlay(name);
}

function isSelfPlay(name: string): boolean {
  return name.startsWith('self_play.');
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

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
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
