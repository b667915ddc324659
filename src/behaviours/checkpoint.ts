// The Behaviours checkpoint: ONE safetensors file holding every behaviour's agent checkpoint, each tensor and
// metadata field prefixed by its behaviour's name (`hunter.actor.0.weight`, `hunter.config`), so the file
// opens in PyTorch with readable names. Its own metadata: format, version, the behaviour names in order, and
// a checksum over the whole file. A behaviour's part, its prefix stripped, is byte for byte the file its
// agent saved (its own checksum included): `Agent.load` and `loadPolicy` take it as it is.
import { CheckpointError } from '../errors.js';
import { CHECKSUM_PLACEHOLDER, checksumAt, fileChecksum } from '../policy/checkpoint.js';
import { readSafetensors, type Tensor, writeSafetensors } from '../policy/safetensors.js';
import { isBehaviourName } from './names.js';

const FORMAT = 'webppo-behaviours';
const VERSION = '1';
const OWN_KEYS = ['format', 'version', 'behaviours', 'checksum'];

/** One file from each behaviour's agent checkpoint (names in order). */
export function packBehaviours(parts: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const tensors = new Map<string, Tensor>();
  const metadata: Record<string, string> = { format: FORMAT, version: VERSION, behaviours: JSON.stringify([...parts.keys()]) };
  for (const [name, bytes] of parts) {
    const part = readSafetensors(bytes);
    for (const [key, tensor] of part.tensors) tensors.set(`${name}.${key}`, tensor);
    for (const [key, value] of Object.entries(part.metadata)) metadata[`${name}.${key}`] = value;
  }
  metadata.checksum = CHECKSUM_PLACEHOLDER;
  const file = writeSafetensors(tensors, metadata);
  const at = checksumAt(file, CHECKSUM_PLACEHOLDER);
  file.set(new TextEncoder().encode(fileChecksum(file, at)), at);
  return file;
}

/**
 * Every behaviour's agent checkpoint, in the file's order, after checking the format, the whole-file
 * checksum and that every tensor and field belongs to a listed behaviour; a bad file throws a
 * `CheckpointError` naming the field (and the behaviour, when one part is to blame).
 */
export function unpackBehaviours(input: Uint8Array | ArrayBuffer): Map<string, Uint8Array> {
  const bytes = input instanceof Uint8Array ? input : input instanceof ArrayBuffer ? new Uint8Array(input) : undefined;
  if (!bytes) throw new CheckpointError(`checkpoint: expected a Uint8Array or ArrayBuffer, got ${typeof input}`);
  const file = readSafetensors(bytes);
  const { metadata } = file;
  if (metadata.format !== FORMAT) {
    const hint = metadata.format === 'webppo-checkpoint' ? ' (this is one agent\'s checkpoint: load it with Agent.load)' : '';
    throw new CheckpointError(`checkpoint: not a webppo behaviours checkpoint (metadata.format is ${JSON.stringify(metadata.format)})${hint}`, 'format');
  }
  if (metadata.version !== VERSION) throw new CheckpointError(`checkpoint: behaviours version ${JSON.stringify(metadata.version)} is not supported (expected ${VERSION})`, 'version');
  const recorded = metadata.checksum;
  if (typeof recorded !== 'string' || !/^[0-9a-f]{8}$/.test(recorded)) throw new CheckpointError(`checkpoint: metadata checksum: expected 8 hex digits, got ${JSON.stringify(recorded)}`, 'checksum');
  const checksum = fileChecksum(bytes, checksumAt(bytes, recorded));
  if (checksum !== recorded) throw new CheckpointError(`checkpoint: corrupted: checksum ${checksum} (over the header and every tensor byte) does not match the recorded ${recorded}`, 'checksum');
  const names = behaviourNames(metadata.behaviours);
  const parts = new Map(names.map((name) => [name, { tensors: new Map<string, Tensor>(), metadata: {} as Record<string, string> }]));
  const owner = (key: string, what: string) => {
    const dot = key.indexOf('.');
    const part = dot > 0 ? parts.get(key.slice(0, dot)) : undefined;
    if (!part) throw new CheckpointError(`checkpoint: unexpected ${what} ${key} (not prefixed by a behaviour of the file: ${names.join(', ')})`, key);
    return { part, key: key.slice(dot + 1) };
  };
  for (const [key, value] of Object.entries(metadata)) {
    if (OWN_KEYS.includes(key)) continue;
    const { part, key: own } = owner(key, 'metadata field');
    part.metadata[own] = value;
  }
  for (const [key, tensor] of file.tensors) {
    const { part, key: own } = owner(key, 'tensor');
    part.tensors.set(own, tensor);
  }
  const out = new Map<string, Uint8Array>();
  for (const [name, part] of parts) {
    if (Object.keys(part.metadata).length === 0) throw new CheckpointError(`checkpoint: behaviour ${name}: its checkpoint is missing (no ${name}.* metadata)`, name);
    out.set(name, writeSafetensors(part.tensors, part.metadata));
  }
  return out;
}

/**
 * One behaviour's checkpoint out of a Behaviours file, as its agent saved it: for `Agent.load`, or for
 * `loadPolicy` (play only). The whole file is checked first; an unknown name throws a `CheckpointError`.
 * @example
 * ```ts
 * import { Behaviours, Box, Discrete, extractBehaviour, loadPolicy } from 'webppo';
 * const behaviours = await Behaviours.create({
 *   hunter: { observationSpace: Box(4), actionSpace: Discrete(5) },
 *   prey: { observationSpace: Box(6), actionSpace: Discrete(3), numAgents: 4 },
 * }, { backend: 'cpu' });
 * const bytes = await behaviours.save();
 * const prey = await loadPolicy(extractBehaviour(bytes, 'prey'));
 * console.log(prey.numAgents === 4); // true
 * behaviours.dispose();
 * ```
 */
export function extractBehaviour(bytes: Uint8Array | ArrayBuffer, name: string): Uint8Array {
  const parts = unpackBehaviours(bytes);
  const part = parts.get(name);
  if (!part) throw new CheckpointError(`checkpoint: no behaviour ${JSON.stringify(name)} in this file (it holds ${[...parts.keys()].join(', ')})`, 'behaviours');
  return part;
}

function behaviourNames(text: string | undefined): string[] {
  let names: unknown;
  try {
    names = JSON.parse(text ?? '');
  } catch {
    throw new CheckpointError('checkpoint: metadata behaviours is missing or not valid JSON', 'behaviours');
  }
  const ok = Array.isArray(names) && names.length > 0 && names.every(isBehaviourName) && new Set(names).size === names.length;
  if (!ok || JSON.stringify(names) !== text) throw new CheckpointError(`checkpoint: metadata behaviours: expected a list of distinct behaviour names as webppo writes it, got ${text}`, 'behaviours');
  return names as string[];
}
