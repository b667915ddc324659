// The agent's side of imitation: the ImitationHost it lends to pretrain() and BehavioralCloning, and the
// checkpoint form of its behavioralCloning option (the settings travel in the config; demonstrations do not).
import type { OptimizerState, Trainer } from '../backend/trainer.js';
import { checkObject, checkOptions } from '../errors.js';
import type { BehavioralCloningOptions } from '../imitation/behavioral-cloning.js';
import type { ImitationHost } from '../imitation/host.js';
import type { ObservationNormalizer } from '../normalize.js';
import type { MemorySpec } from '../policy/network.js';
import type { ActionSpace, Space } from '../spaces.js';

/** `AgentOptions.behavioralCloning` without its demonstrations: what a checkpoint's config keeps. */
export type BehavioralCloningSettings = Omit<BehavioralCloningOptions, 'demonstrations'>;

const SETTINGS = ['demonstrations', 'strength', 'steps', 'batchSize', 'numEpoch', 'samplesPerUpdate', 'seed'];

/** Checks the option's keys (the values are checked when the agent builds its BehavioralCloning). */
export function checkBehavioralCloning(options: BehavioralCloningOptions | undefined): BehavioralCloningOptions | undefined {
  if (options === undefined) return undefined;
  checkObject('behavioralCloning', options);
  return checkOptions('behavioralCloning', options, SETTINGS) as BehavioralCloningOptions;
}

/** The settings a checkpoint saves: everything but the demonstrations. */
export function behavioralCloningSettings(options: BehavioralCloningOptions | undefined): BehavioralCloningSettings | undefined {
  if (options === undefined) return undefined;
  const { demonstrations: _left, ...settings } = options;
  return settings;
}

/** What an agent gives its host: live access to its trainer and normalizer, and its parameter hook. */
export interface HostParts {
  trainer(): Trainer;
  observationSpace: Space;
  actionSpace: ActionSpace;
  memory: MemorySpec | undefined;
  observationSize: number;
  normalizer: ObservationNormalizer | undefined;
  parametersChanged(parameters: Float32Array, optimizer: OptimizerState): void;
}

/**
 * The agent as an ImitationHost. With observation normalization, demonstrated rows first update the
 * running statistics (they are observations the policy will meet), then are normalized with them into a
 * new array, as act() would feed them. Rows prepared once (BehavioralCloning) keep that normalization.
 */
export function imitationHost(parts: HostParts): ImitationHost {
  const { normalizer, observationSize } = parts;
  return {
    get trainer() { return parts.trainer(); },
    observationSpace: parts.observationSpace,
    actionSpace: parts.actionSpace,
    ...(parts.memory === undefined ? {} : { memory: parts.memory }),
    ...(normalizer === undefined ? {} : {
      prepareObservations(raw: Float32Array, rows: number): Float32Array {
        const out = new Float32Array(rows * observationSize);
        normalizer.normalize(raw, out, rows, true); // merges the rows, then normalizes with the merged statistics
        return out;
      },
    }),
    parametersChanged: (parameters, optimizer) => parts.parametersChanged(parameters, optimizer),
  };
}
