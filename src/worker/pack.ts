// Packs a batch and its minibatch plan into one buffer for a worker. The batch's arrays are views over wasm
// memory, which must never be transferred (that would detach the module's memory), so they are copied once
// into a staging buffer: an ArrayBuffer that travels to the worker and back (transferred, so no copy on
// the way and no allocation once the pool holds one), or a SharedArrayBuffer reused in place when the page
// is crossOriginIsolated.
import type { Batch, MinibatchPlan } from '../backend/trainer.js';

type Typed = Float32Array | Int32Array | Uint8Array;
type TypedName = 'f32' | 'i32' | 'u8';

/** Where each array of a packed batch lives in the staging buffer. */
export interface PackedField { name: string; type: TypedName; offset: number; length: number }

export interface PackedBatch {
  buffer: ArrayBuffer | SharedArrayBuffer;
  fields: PackedField[];
  numSteps: number;
  numEnvs: number;
  plan?: Omit<MinibatchPlan, 'indices' | 'weights'>;
}

const BATCH_ARRAYS = ['observations', 'actions', 'logProbs', 'values', 'advantages', 'returns', 'masks', 'weights', 'rewards',
  'terminated', 'truncated', 'bootstrapValues', 'lastValues', 'entropyNoise', 'hiddenStates'] as const;
/** Batch's array fields that BATCH_ARRAYS misses: a field added to Batch but not sent fails to compile here. */
type Unsent = Exclude<{ [K in keyof Batch]-?: NonNullable<Batch[K]> extends Typed ? K : never }[keyof Batch], typeof BATCH_ARRAYS[number]>;
const EVERY_ARRAY_SENT: [Unsent] extends [never] ? true : Unsent = true;
void EVERY_ARRAY_SENT;

function typeName(array: Typed): TypedName {
  if (array instanceof Float32Array) return 'f32';
  if (array instanceof Int32Array) return 'i32';
  if (array instanceof Uint8Array) return 'u8';
  throw new TypeError(`webppo worker: cannot send a ${(array as object).constructor.name}`);
}

function entries(batch: Batch, plan: MinibatchPlan | undefined): [string, Typed][] {
  const list: [string, Typed][] = [];
  for (const name of BATCH_ARRAYS) {
    const array = batch[name];
    if (array !== undefined) list.push([name, array]);
  }
  if (plan) {
    list.push(['plan.indices', plan.indices]);
    if (plan.weights) list.push(['plan.weights', plan.weights]);
  }
  return list;
}

/** Bytes a batch and plan need when packed (each array 8-byte aligned). */
export function packedBytes(batch: Batch, plan?: MinibatchPlan): number {
  let bytes = 0;
  for (const [, array] of entries(batch, plan)) bytes += Math.ceil(array.byteLength / 8) * 8;
  return bytes;
}

/** Copies batch and plan into `buffer` (at least packedBytes long). */
export function packBatch(batch: Batch, plan: MinibatchPlan | undefined, buffer: ArrayBuffer | SharedArrayBuffer): PackedBatch {
  const fields: PackedField[] = [];
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  for (const [name, array] of entries(batch, plan)) {
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    fields.push({ name, type: typeName(array), offset, length: array.length });
    offset += Math.ceil(array.byteLength / 8) * 8;
  }
  const packed: PackedBatch = { buffer, fields, numSteps: batch.numSteps, numEnvs: batch.numEnvs };
  if (plan) packed.plan = { unit: plan.unit, numEpochs: plan.numEpochs, numMinibatches: plan.numMinibatches, unitsPerMinibatch: plan.unitsPerMinibatch };
  return packed;
}

/** Views (no copies) over a packed batch, in the worker. */
export function unpackBatch(packed: PackedBatch): { batch: Batch; plan?: MinibatchPlan } {
  const views: Record<string, Typed> = {};
  for (const f of packed.fields) {
    views[f.name] = f.type === 'f32' ? new Float32Array(packed.buffer, f.offset, f.length)
      : f.type === 'i32' ? new Int32Array(packed.buffer, f.offset, f.length)
      : new Uint8Array(packed.buffer, f.offset, f.length);
  }
  const batch = { numSteps: packed.numSteps, numEnvs: packed.numEnvs } as Batch;
  for (const name of BATCH_ARRAYS) if (views[name]) (batch as unknown as Record<string, Typed>)[name] = views[name];
  const plan = packed.plan
    ? { ...packed.plan, indices: views['plan.indices'] as Int32Array, ...(views['plan.weights'] ? { weights: views['plan.weights'] as Float32Array } : {}) }
    : undefined;
  return { batch, plan };
}
