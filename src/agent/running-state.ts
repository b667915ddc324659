// The agent's running state in a checkpoint: the stored steps of the unfinished rollout and the generator
// states, written as tensors and read back with every shape and dtype checked.
import { CheckpointError, type Tensor, type TensorData } from '../policy/safetensors.js';
import type { PCG32 } from '../rng.js';
import type { RolloutBuffer } from '../storage/rollout-buffer.js';
import type { Slots } from './slots.js';
import type { Trajectories } from './trajectories.js';

/** The tensor `name` of a checkpoint, checked to be `dtype` with exactly `shape` (a `CheckpointError` otherwise). */
export function takeTensor<T extends TensorData>(extra: ReadonlyMap<string, Tensor>, name: string, dtype: Tensor['dtype'], shape: number[]): T {
  const t = extra.get(name);
  if (!t) throw new CheckpointError(`checkpoint: tensor ${name} is missing`);
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new CheckpointError(`checkpoint: tensor ${name}: expected ${dtype} [${shape}], got ${t.dtype} [${t.shape}]`);
  }
  return t.data as T;
}

/** Adds the buffer's complete steps to `extra` as `rollout.*` tensors ([steps, numEnvs, perRow]); nothing when empty. */
export function saveRollout(extra: Map<string, Tensor>, buffer: RolloutBuffer): void {
  const steps = buffer.step, n = buffer.numEnvs;
  if (steps === 0) return;
  const rows = steps * n;
  const put = (name: string, data: TensorData, perRow: number) => {
    const dtype = data instanceof Float32Array ? 'F32' : data instanceof Int32Array ? 'I32' : 'U8';
    extra.set(`rollout.${name}`, { dtype, shape: perRow === 0 ? [steps, n] : [steps, n, perRow], data: data.slice(0, rows * Math.max(1, perRow)) });
  };
  put('observations', buffer.observations, buffer.observationSize);
  put('actions', buffer.actions, buffer.actionSize);
  put('log_probs', buffer.logProbs, 0);
  put('values', buffer.values, 0);
  put('rewards', buffer.rewards, 0);
  put('terminated', buffer.terminated, 0);
  put('truncated', buffer.truncated, 0);
  put('bootstrap_values', buffer.bootstrapValues, 0);
  if (buffer.masks) put('masks', buffer.masks, buffer.maskSize);
}

/** Refills an empty buffer from the `rollout.*` tensors (each step checked as it is added); false when there are none. */
export function restoreRollout(extra: ReadonlyMap<string, Tensor>, buffer: RolloutBuffer): boolean {
  const observations = extra.get('rollout.observations');
  if (!observations) return false;
  const n = buffer.numEnvs, steps = observations.shape[0];
  if (!Number.isInteger(steps) || steps < 1 || steps > buffer.numSteps) {
    throw new CheckpointError(`checkpoint: rollout.observations: expected 1 to ${buffer.numSteps} steps, got ${steps}`);
  }
  const categorical = buffer.actionSpace.kind !== 'box';
  const obs = takeTensor<Float32Array>(extra, 'rollout.observations', 'F32', [steps, n, buffer.observationSize]);
  const actions = takeTensor<Float32Array | Int32Array>(extra, 'rollout.actions', categorical ? 'I32' : 'F32', [steps, n, buffer.actionSize]);
  const f = (name: string) => takeTensor<Float32Array>(extra, `rollout.${name}`, 'F32', [steps, n]);
  const u = (name: string) => takeTensor<Uint8Array>(extra, `rollout.${name}`, 'U8', [steps, n]);
  const [logProbs, values, rewards, bootstrap] = ['log_probs', 'values', 'rewards', 'bootstrap_values'].map(f);
  const [terminated, truncated] = ['terminated', 'truncated'].map(u);
  const masks = buffer.hasMasks ? takeTensor<Uint8Array>(extra, 'rollout.masks', 'U8', [steps, n, buffer.maskSize]) : undefined;
  try {
    for (let t = 0; t < steps; t++) {
      const row = (a: TensorData, per = 1) => a.subarray(t * n * per, (t + 1) * n * per);
      buffer.add({
        observations: row(obs, buffer.observationSize) as Float32Array, actions: row(actions, buffer.actionSize) as Float32Array | Int32Array,
        logProbs: row(logProbs) as Float32Array, values: row(values) as Float32Array, rewards: row(rewards) as Float32Array,
        terminated: row(terminated) as Uint8Array, truncated: row(truncated) as Uint8Array, bootstrapValues: row(bootstrap) as Float32Array,
        masks: masks ? row(masks, buffer.maskSize) as Uint8Array : undefined,
      });
    }
  } catch (error) {
    throw new CheckpointError(`checkpoint: the saved rollout is invalid: ${(error as Error).message}`);
  }
  return true;
}

/** A generator's state as text (`state:inc`), as checkpoints store it. */
export function rngToString(rng: PCG32): string {
  const { state, inc } = rng.getState();
  return `${state}:${inc}`;
}

/** Sets a generator from the text rngToString wrote (a `CheckpointError` when it is malformed). */
export function rngFromString(rng: PCG32, text: string): void {
  const match = /^(\d+):(\d+)$/.exec(text);
  if (!match) throw new CheckpointError(`checkpoint: bad generator state ${JSON.stringify(text)}`);
  rng.setState({ state: BigInt(match[1]), inc: BigInt(match[2]) });
}

/**
 * Whether the staging has the shape of a lockstep rollout: every slot the same number of steps, each closed
 * step's successor the next staged one (its next value is that step's value), the last one open or ending its
 * episode. Such staging is saved as the `rollout.*` tensors of [steps, numAgents] rows.
 */
export function lockstepStaging(staging: Trajectories): boolean {
  const { count, open, shape, terminated, truncated, next, values } = staging;
  const c = count[0];
  for (let e = 0; e < shape.slots; e++) {
    if (count[e] !== c) return false;
    const base = e * shape.capacity;
    for (let j = 0; j < c; j++) {
      const done = terminated[base + j] === 1 || truncated[base + j] === 1;
      const last = j === c - 1;
      if (last ? open[e] === 0 && !done : !done && next[base + j] !== values[base + j + 1]) return false;
    }
  }
  return true;
}

/** Writes lockstep staging (see lockstepStaging) into an empty buffer as complete time steps, slot e in column e. */
export function stagingToBuffer(staging: Trajectories, buffer: RolloutBuffer): void {
  const { shape } = staging, n = shape.slots, c = staging.count[0];
  const o = shape.observationSize, a = shape.actionSize, m = shape.maskSize;
  const obs = buffer.observations, act = buffer.actions, masks = buffer.masks;
  for (let e = 0; e < n; e++) {
    for (let t = 0; t < c; t++) {
      const src = e * shape.capacity + t, row = t * n + e;
      obs.set(staging.observations.subarray(src * o, (src + 1) * o), row * o);
      act.set(staging.actions.subarray(src * a, (src + 1) * a), row * a);
      if (masks) masks.set(staging.masks.subarray(src * m, (src + 1) * m), row * m);
      buffer.logProbs[row] = staging.logProbs[src];
      buffer.values[row] = staging.values[src];
      buffer.rewards[row] = staging.rewards[src];
      buffer.terminated[row] = staging.terminated[src];
      buffer.truncated[row] = staging.truncated[src];
      buffer.bootstrapValues[row] = staging.bootstrapValues[src];
    }
  }
  buffer.markFilled(c);
}

/**
 * Stages the complete time steps of a buffer as each slot's trajectory (column e = slot e): every step but
 * the last of each slot is closed at its successor's value; the last stays open unless it ended its episode.
 */
export function bufferToStaging(buffer: RolloutBuffer, staging: Trajectories, version: number): void {
  const n = buffer.numEnvs, steps = buffer.step;
  const obs = buffer.observations, act = buffer.actions, masks = buffer.masks;
  for (let e = 0; e < n; e++) {
    for (let t = 0; t < steps; t++) {
      const row = t * n + e;
      staging.push(e, obs, act, masks, row, buffer.logProbs[row], buffer.values[row], version);
      staging.addReward(e, buffer.rewards[row]);
      const done = buffer.terminated[row] === 1 || buffer.truncated[row] === 1;
      if (done) staging.end(e, buffer.terminated[row] === 1, buffer.truncated[row] === 1, buffer.bootstrapValues[row]);
      else if (t < steps - 1) staging.close(e, buffer.values[row + n]);
    }
  }
}

/** Checks a restored tensor's values: `(name, data, perRow)`, throwing a `CheckpointError` that names it. */
export type ValueCheck = (name: string, data: TensorData, per: number) => void;

/** The slot table and every slot's staged decisions as `slots.*` and `staging.*` tensors (whole arrays). */
export function saveSlots(extra: Map<string, Tensor>, slots: Slots, held: Int32Array | Float32Array, staging: Trajectories, version: number): void {
  const { slots: n, capacity: T, observationSize, actionSize, maskSize } = staging.shape;
  const put = (name: string, data: TensorData, shape: number[]) => {
    const dtype = data instanceof Float32Array ? 'F32' : data instanceof Int32Array ? 'I32' : 'U8';
    const copy = data.slice();
    // Rows past a slot's staged steps hold whatever earlier steps left there: saved as 0, so the bytes
    // depend on the staged steps only, not on how the agent got to them.
    if (shape.length > 1 && shape[1] === T && name.startsWith('staging.')) {
      const per = copy.length / (n * T);
      for (let e = 0; e < n; e++) copy.fill(0, (e * T + staging.count[e]) * per, (e + 1) * T * per);
    }
    extra.set(name, { dtype, shape, data: copy });
  };
  put('slots.alive', slots.alive, [n]);
  put('slots.requested', slots.requested, [n]);
  put('slots.fresh', slots.fresh, [n]);
  put('slots.ticks', slots.ticks, [n]);
  put('slots.actions', held, [n, actionSize]);
  put('staging.count', staging.count, [n]);
  put('staging.open', staging.open, [n]);
  put('staging.continues', staging.continues, [n]);
  put('staging.observations', staging.observations, [n, T, observationSize]);
  put('staging.actions', staging.actions, [n, T, actionSize]);
  if (maskSize > 0) put('staging.masks', staging.masks, [n, T, maskSize]);
  put('staging.log_probs', staging.logProbs, [n, T]);
  put('staging.values', staging.values, [n, T]);
  put('staging.rewards', staging.rewards, [n, T]);
  put('staging.bootstrap_values', staging.bootstrapValues, [n, T]);
  put('staging.next_values', staging.next, [n, T]);
  put('staging.terminated', staging.terminated, [n, T]);
  put('staging.truncated', staging.truncated, [n, T]);
  put('staging.lagged', Uint8Array.from(staging.versions, (v) => (v < version ? 1 : 0)), [n, T]);
}

/** Restores what saveSlots wrote (shapes already checked by the checkpoint reader), checking every value. */
export function restoreSlots(extra: ReadonlyMap<string, Tensor>, slots: Slots, held: Int32Array | Float32Array, staging: Trajectories, version: number, check: ValueCheck): void {
  const { slots: n, capacity: T, observationSize, actionSize, maskSize } = staging.shape;
  const get = <A extends TensorData>(name: string, per: number, into?: A): A => {
    const data = extra.get(name)!.data as A;
    check(name, data, per);
    if (into) (into as Float32Array).set(data as Float32Array);
    return data;
  };
  get('slots.alive', 1, slots.alive);
  get('slots.requested', 1, slots.requested);
  get('slots.fresh', 1, slots.fresh);
  get('slots.actions', actionSize, held);
  const ticks = get<Int32Array>('slots.ticks', 1);
  const count = get<Int32Array>('staging.count', 1);
  const open = get<Uint8Array>('staging.open', 1);
  for (let e = 0; e < n; e++) {
    if (ticks[e] < 0) throw new CheckpointError(`checkpoint: tensor slots.ticks[${e}]: expected an integer >= 0, got ${ticks[e]}`, 'slots.ticks');
    if (count[e] < 0 || count[e] > T) throw new CheckpointError(`checkpoint: tensor staging.count[${e}]: expected an integer in [0, ${T}], got ${count[e]}`, 'staging.count');
    if (open[e] > count[e]) throw new CheckpointError(`checkpoint: tensor staging.open[${e}]: expected 0 for a slot with no staged step, got ${open[e]}`, 'staging.open');
  }
  slots.ticks.set(ticks);
  staging.count.set(count);
  staging.open.set(open);
  get('staging.continues', 1, staging.continues);
  get('staging.observations', observationSize, staging.observations);
  get('staging.actions', actionSize, staging.actions);
  if (maskSize > 0) get('staging.masks', maskSize, staging.masks);
  get('staging.log_probs', 1, staging.logProbs);
  get('staging.values', 1, staging.values);
  get('staging.rewards', 1, staging.rewards);
  get('staging.bootstrap_values', 1, staging.bootstrapValues);
  get('staging.next_values', 1, staging.next);
  get('staging.terminated', 1, staging.terminated);
  get('staging.truncated', 1, staging.truncated);
  const lagged = get<Uint8Array>('staging.lagged', 1);
  for (let i = 0; i < lagged.length; i++) staging.versions[i] = lagged[i] === 1 ? -1 : version;
}
