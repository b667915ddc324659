// Behaviours options: the per-behaviour agent options, the options every behaviour shares, and their
// validation up front (every behaviour, before anything is built), with errors naming `behaviours.<name>.<field>`.
import type { AgentOptions, LoadOptions } from '../agent/agent.js';
import { resolveAgentOptions, type ResolvedAgentOptions } from '../agent/options.js';
import { DEFAULT_FRAME_BUDGET_MS } from '../agent/options.js';
import { checkInteger, checkKeys, checkNumber, checkObject, checkOneOf, fail } from '../errors.js';
import { checkLogOptions, type LogOptions } from '../log.js';
import { FNV_OFFSET, fnv1aUpdate } from '../policy/safetensors.js';
import type { BackendChoice } from '../backend/index.js';
import { checkTrainInWorker, type TrainInWorker } from '../worker/index.js';
import { prefixField } from './field-prefix.js';
import { checkBehaviourNames } from './names.js';

/** One behaviour's options: an agent's (see `AgentOptions`), except the frame budget, which all behaviours share. */
export type BehaviourOptions = Omit<AgentOptions, 'frameBudgetMs'>;

/**
 * Options every behaviour shares (the second argument of `Behaviours.create`). `backend`, `trainInWorker`,
 * `maxPendingUpdates`, `logLevel` and `logger` are defaults a behaviour's own options override.
 */
export interface BehavioursOptions extends LogOptions {
  /**
   * The most training work (ms) one event-loop turn does for ALL behaviours together (CPU backend in the
   * game's thread): each slice of an update takes an equal share over the behaviours that have work at that
   * moment, so an idle behaviour's share goes to the busy ones. 0 runs each update whole.
   * @default 2
   */
  frameBudgetMs?: number;
  /** Default trainer of every behaviour (see `AgentOptions.backend`). @default 'auto' */
  backend?: BackendChoice;
  /** Default for every behaviour (see `AgentOptions.trainInWorker`). @default false */
  trainInWorker?: TrainInWorker;
  /** Default for every behaviour (see `AgentOptions.maxPendingUpdates`). @default 4 */
  maxPendingUpdates?: number;
  /**
   * Seeds every behaviour that has no seed of its own: each gets one derived from this seed and its name, so
   * two behaviours never share a generator stream (an integer in [0, 2^32 - 1]).
   * @default 0
   */
  seed?: number;
}

/** Options of `Behaviours.load`: where and how the restored behaviours train (nothing here is saved). */
export interface BehavioursLoadOptions<N extends string = string> extends LogOptions {
  /** See `BehavioursOptions.frameBudgetMs`. @default 2 */
  frameBudgetMs?: number;
  /** The backend every behaviour trains on from now on. @default each behaviour's saved backend */
  backend?: BackendChoice;
  /** Where every behaviour trains (see `AgentOptions.trainInWorker`). @default false */
  trainInWorker?: TrainInWorker;
  /**
   * When given, the file must hold exactly these behaviours; each one's options are those of `Agent.load`
   * (its own backend, worker, log options and the spaces the file must have been saved for).
   */
  behaviours?: { [K in N]: Omit<LoadOptions, 'frameBudgetMs'> };
}

export const SHARED_KEYS = ['frameBudgetMs', 'backend', 'trainInWorker', 'maxPendingUpdates', 'seed', 'logLevel', 'logger'];
export const LOAD_KEYS = ['frameBudgetMs', 'backend', 'trainInWorker', 'behaviours', 'logLevel', 'logger'];
/** What one behaviour's entry of `options.behaviours` may hold: `Agent.load`'s options but the frame budget. */
const BEHAVIOUR_LOAD_KEYS = ['backend', 'trainInWorker', 'observationSpace', 'actionSpace', 'logLevel', 'logger'];
/** Shared options that are defaults of each behaviour's agent options. */
const DEFAULTED = ['backend', 'trainInWorker', 'maxPendingUpdates', 'logLevel', 'logger'] as const;

/** Every behaviour's agent options, validated and resolved, and the frame budget they share. */
export interface ResolvedBehaviours {
  names: string[];
  /** What each behaviour's `Agent.create` gets: its own options over the shared defaults (not resolved). */
  agents: Map<string, AgentOptions>;
  /** The same, validated and resolved (for the memory check before anything is built). */
  resolved: Map<string, ResolvedAgentOptions>;
  frameBudgetMs: number;
}

/** Validates the behaviours and the shared options; nothing is built. */
export function resolveBehaviours(behaviours: Record<string, BehaviourOptions>, shared: BehavioursOptions = {}): ResolvedBehaviours {
  checkObject('behaviours', behaviours);
  const names = checkBehaviourNames('behaviours', Object.keys(behaviours));
  checkKeys('options', shared, SHARED_KEYS, 'option');
  const frameBudgetMs = checkNumber('options.frameBudgetMs', shared.frameBudgetMs ?? DEFAULT_FRAME_BUDGET_MS, 0);
  const seed = checkInteger('options.seed', shared.seed ?? 0, 0, 2 ** 32 - 1);
  checkSharedTraining(shared);
  try {
    checkLogOptions(shared);
  } catch (error) {
    throw prefixField(error, 'options');
  }
  const agents = new Map<string, AgentOptions>();
  const resolved = new Map<string, ResolvedAgentOptions>();
  for (const name of names) {
    const own = checkObject(`behaviours.${name}`, behaviours[name]);
    if ('frameBudgetMs' in own) fail(`behaviours.${name}.frameBudgetMs`, 'undefined (the frame budget is shared: set options.frameBudgetMs)', (own as AgentOptions).frameBudgetMs);
    const merged: AgentOptions = { ...own, seed: own.seed ?? behaviourSeed(seed, name) };
    for (const key of DEFAULTED) if (merged[key] === undefined && shared[key] !== undefined) (merged as unknown as Record<string, unknown>)[key] = shared[key];
    try {
      resolved.set(name, resolveAgentOptions(merged));
    } catch (error) {
      throw prefixField(error, `behaviours.${name}`);
    }
    agents.set(name, merged);
  }
  return { names, agents, resolved, frameBudgetMs };
}

/** Validates the options of `Behaviours.load` (not the file). */
export function checkLoadOptions(options: BehavioursLoadOptions): number {
  checkKeys('options', options, LOAD_KEYS, 'option');
  if (options.behaviours !== undefined) {
    checkObject('options.behaviours', options.behaviours);
    checkBehaviourNames('options.behaviours', Object.keys(options.behaviours));
    for (const [name, own] of Object.entries(options.behaviours)) {
      checkObject(`options.behaviours.${name}`, own);
      if ('frameBudgetMs' in own) fail(`options.behaviours.${name}.frameBudgetMs`, 'undefined (the frame budget is shared: set options.frameBudgetMs)', (own as LoadOptions).frameBudgetMs);
      checkKeys(`options.behaviours.${name}`, own, BEHAVIOUR_LOAD_KEYS, 'option');
    }
  }
  checkSharedTraining(options);
  try {
    checkLogOptions(options);
  } catch (error) {
    throw prefixField(error, 'options');
  }
  return checkNumber('options.frameBudgetMs', options.frameBudgetMs ?? DEFAULT_FRAME_BUDGET_MS, 0);
}

/** The shared defaults of where and how updates run, named as the user wrote them (`options.backend`). */
function checkSharedTraining(options: { backend?: unknown; trainInWorker?: unknown; maxPendingUpdates?: unknown }): void {
  if (options.backend !== undefined) checkOneOf('options.backend', options.backend, ['auto', 'cpu', 'webgpu'] as const);
  if (options.trainInWorker !== undefined) checkTrainInWorker(options.trainInWorker, 'options.trainInWorker');
  if (options.maxPendingUpdates !== undefined) checkInteger('options.maxPendingUpdates', options.maxPendingUpdates, 1, 64);
}

/**
 * A behaviour's seed from the shared one and its name: FNV-1a of the name, xor the seed times an odd
 * constant (a bijection of the seed for each name, so distinct shared seeds give distinct behaviour seeds).
 */
export function behaviourSeed(seed: number, name: string): number {
  return (fnv1aUpdate(FNV_OFFSET, new TextEncoder().encode(name)) ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
}
