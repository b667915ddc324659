// Demonstration files: safetensors with one tensor per recorded column and a metadata header describing the
// spaces, sealed by a checksum over every byte of the file (as checkpoints are). Loading checks the checksum,
// then every field, so a file is either one a recorder could have written or a CheckpointError naming the field.
import { CheckpointError } from '../errors.js';
import { checksumAt, fileChecksum, CHECKSUM_PLACEHOLDER, spaceFromJson, spaceToJson } from '../policy/checkpoint.js';
import { readSafetensors, writeSafetensors, type Tensor } from '../policy/safetensors.js';
import { actionSize, flatSize, logitCount } from '../spaces.js';
import type { Demonstration } from './demonstration.js';

const FORMAT = 'webppo-demonstration';
const VERSION = '1';
const METADATA_KEYS = ['format', 'version', 'observation_space', 'action_space', 'steps', 'checksum'];

/** A demonstration as safetensors bytes (DemonstrationRecorder.save() calls this). */
export function encodeDemonstration(demo: Demonstration): Uint8Array {
  const n = demo.steps;
  const tensors = new Map<string, Tensor>();
  tensors.set('observations', { dtype: 'F32', shape: [n, flatSize(demo.observationSpace)], data: demo.observations });
  const act = actionSize(demo.actionSpace);
  tensors.set('actions', demo.actions instanceof Int32Array ? { dtype: 'I32', shape: [n, act], data: demo.actions } : { dtype: 'F32', shape: [n, act], data: demo.actions });
  if (demo.masks) tensors.set('masks', { dtype: 'U8', shape: [n, logitCount(demo.actionSpace)], data: demo.masks });
  tensors.set('rewards', { dtype: 'F32', shape: [n], data: demo.rewards });
  tensors.set('terminated', { dtype: 'U8', shape: [n], data: demo.terminated });
  tensors.set('truncated', { dtype: 'U8', shape: [n], data: demo.truncated });
  tensors.set('slots', { dtype: 'I32', shape: [n], data: demo.slots });
  const bytes = writeSafetensors(tensors, {
    format: FORMAT, version: VERSION, observation_space: JSON.stringify(spaceToJson(demo.observationSpace)),
    action_space: JSON.stringify(spaceToJson(demo.actionSpace)), steps: String(n), checksum: CHECKSUM_PLACEHOLDER,
  });
  const at = checksumAt(bytes, CHECKSUM_PLACEHOLDER);
  bytes.set(new TextEncoder().encode(fileChecksum(bytes, at)), at);
  return bytes;
}

function corrupt(field: string, message: string): never {
  throw new CheckpointError(`demonstration: ${field}: ${message}`, field);
}

/**
 * Reads a demonstration file (from `DemonstrationRecorder.save()`). Rejects a file that is not one, was altered
 * (checksum), or holds inconsistent values (shapes that do not match the spaces, actions out of range or masked,
 * flags other than 0 and 1, non-finite numbers) with a CheckpointError whose `field` names the culprit.
 */
export function loadDemonstration(bytes: Uint8Array | ArrayBuffer): Demonstration {
  const file = readSafetensors(bytes);
  const { metadata, tensors } = file;
  if (metadata.format !== FORMAT) corrupt('format', `not a webppo demonstration (metadata.format is ${JSON.stringify(metadata.format)})`);
  if (metadata.version !== VERSION) corrupt('version', `version ${JSON.stringify(metadata.version)} is not supported (expected ${VERSION})`);
  for (const key of Object.keys(metadata)) if (!METADATA_KEYS.includes(key)) corrupt(key, `unexpected metadata field (known: ${METADATA_KEYS.join(', ')})`);
  const raw = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const recorded = metadata.checksum;
  if (typeof recorded !== 'string' || !/^[0-9a-f]{8}$/.test(recorded)) corrupt('checksum', `expected 8 hex digits, got ${JSON.stringify(recorded)}`);
  const checksum = fileChecksum(raw, checksumAt(raw, recorded));
  if (checksum !== recorded) corrupt('checksum', `corrupted: checksum ${checksum} (over every byte of the file) does not match the recorded ${recorded}`);

  const parse = (field: string) => {
    try {
      return JSON.parse(metadata[field] ?? '');
    } catch {
      return corrupt(field, 'not JSON');
    }
  };
  const observationSpace = spaceFromJson(parse('observation_space'), 'observation_space');
  const actionSpace = spaceFromJson(parse('action_space'), 'action_space');
  const steps = Number(metadata.steps);
  if (!Number.isInteger(steps) || steps < 0 || String(steps) !== metadata.steps) corrupt('steps', `expected an integer >= 0, got ${JSON.stringify(metadata.steps)}`);
  const box = actionSpace.kind === 'box';
  const logits = box ? 0 : logitCount(actionSpace);
  const expected: Record<string, [Tensor['dtype'], number[]]> = {
    observations: ['F32', [steps, flatSize(observationSpace)]],
    actions: [box ? 'F32' : 'I32', [steps, actionSize(actionSpace)]],
    ...(box ? {} : { masks: ['U8', [steps, logits]] as [Tensor['dtype'], number[]] }),
    rewards: ['F32', [steps]], terminated: ['U8', [steps]], truncated: ['U8', [steps]], slots: ['I32', [steps]],
  };
  for (const name of tensors.keys()) if (!(name in expected)) corrupt(name, 'unexpected tensor');
  const take = (name: string) => {
    const t = tensors.get(name);
    const [dtype, shape] = expected[name];
    if (!t) corrupt(name, 'missing tensor');
    if (t.dtype !== dtype || t.shape.join() !== shape.join()) corrupt(name, `expected ${dtype} [${shape}], got ${t.dtype} [${t.shape}]`);
    return t.data;
  };
  const demo: Demonstration = {
    observationSpace, actionSpace, steps,
    observations: take('observations') as Float32Array,
    actions: take('actions') as Int32Array | Float32Array,
    ...(box ? {} : { masks: take('masks') as Uint8Array }),
    rewards: take('rewards') as Float32Array,
    terminated: take('terminated') as Uint8Array,
    truncated: take('truncated') as Uint8Array,
    slots: take('slots') as Int32Array,
  };
  for (const name of ['observations', 'rewards', ...(box ? ['actions' as const] : [])] as const) {
    const data = demo[name] as Float32Array;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) corrupt(`${name}[${i}]`, `expected a finite number, got ${data[i]}`);
  }
  for (const name of ['terminated', 'truncated', 'masks'] as const) {
    const data = demo[name];
    if (data) for (let i = 0; i < data.length; i++) if (data[i] > 1) corrupt(`${name}[${i}]`, `expected 0 or 1, got ${data[i]}`);
  }
  for (let i = 0; i < steps; i++) if (demo.slots[i] < 0) corrupt(`slots[${i}]`, `expected a slot >= 0, got ${demo.slots[i]}`);
  if (!box) {
    const nvec = actionSpace.kind === 'discrete' ? [actionSpace.n] : actionSpace.nvec;
    for (let i = 0; i < steps; i++) {
      let base = 0;
      nvec.forEach((n, b) => {
        const a = demo.actions[i * nvec.length + b];
        if (!(a >= 0 && a < n)) corrupt(`actions[${i}, ${b}]`, `expected an integer in [0, ${n - 1}], got ${a}`);
        if (!demo.masks![i * logits + base + a]) corrupt(`actions[${i}, ${b}]`, `action ${a} is masked in that step`);
        base += n;
      });
    }
  }
  return demo;
}
