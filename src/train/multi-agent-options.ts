// The options, events and result of train() on a multi-agent (PettingZoo Parallel) env, and their checks.
import type { DivergedEvent, EpisodeEvent, RecoveredEvent, UpdateEvent } from '../agent/agent.js';
import { checkBoolean, checkInteger, checkKeys, fail } from '../errors.js';
import type { ParallelEnv } from '../envs/parallel.js';

/** Which behaviour acts for each env agent id: a function of the id, or an object keyed by id. */
export type PolicyMapping<N extends string = string> = ((id: string) => N) | Readonly<Record<string, N>>;

/** Periodic deterministic evaluation during multi-agent `train()`. */
export interface MultiAgentEvaluateOptions {
  /** Evaluate every this many agent steps (all behaviours together). */
  every: number;
  /**
   * Deterministic env episodes per evaluation.
   * @default 5
   */
  episodes?: number;
  /** A fresh env to evaluate on (the training env keeps its episodes running). */
  env: () => ParallelEnv;
}

/** Periodic checkpoints during multi-agent `train()`. */
export interface CheckpointOptions {
  /** Save every this many agent steps (all behaviours together). */
  every: number;
  /**
   * Receives each checkpoint: `Behaviours.save()`'s file (`Agent.save()`'s for a single agent), taken between
   * ticks with no update in flight. train() awaits it before going on.
   */
  save: (bytes: Uint8Array, steps: number) => void | Promise<void>;
}

/** Options of `train()` on a {@link ParallelEnv}. */
export interface MultiAgentTrainOptions<N extends string = string> {
  /**
   * Train until the behaviours' agents have taken this many steps in all (stored decisions, summed over the
   * behaviours; a loaded container continues where it stopped). Each agent's schedules run over its own horizon.
   */
  totalSteps: number;
  /** Which behaviour acts for each env agent id (required with Behaviours; with a single Agent every id is its). */
  policyMapping?: PolicyMapping<N>;
  /**
   * Evaluate every `evaluate.every` steps with deterministic actions on a fresh env.
   * @default no evaluation
   */
  evaluate?: MultiAgentEvaluateOptions;
  /**
   * Save a checkpoint every `checkpoint.every` steps.
   * @default no checkpoints
   */
  checkpoint?: CheckpointOptions;
  /** Called with every {@link MultiAgentProgressEvent}. */
  onProgress?: (event: MultiAgentProgressEvent<N>) => void;
  /**
   * A progress bar on a TTY, plain lines otherwise.
   * @default false
   */
  progress?: boolean;
  /** Stops training: seen within one turn of the event loop (train() yields at least every ~16 ms). */
  signal?: AbortSignal;
}

/**
 * What multi-agent `train()` passes to `onProgress`: the single-agent events, each tagged with the behaviour it
 * came from, an evaluation with each behaviour's mean return, and each checkpoint saved.
 * @property type Which event: `'rollout'`, `'update'`, `'episode'`, `'diverged'`, `'recovered'`, `'eval'` or `'checkpoint'`.
 * @property behaviour The behaviour the event came from (not on `'eval'` and `'checkpoint'`, which cover all).
 * @property steps Agent steps taken so far (`'rollout'`, `'eval'`, `'checkpoint'`: summed over the behaviours).
 * @property sps `'rollout'`: agent steps per second since train() started, over all behaviours.
 * @property meanReturns `'eval'`: per behaviour, the mean over episodes of its ids' mean return.
 * @property bytes `'checkpoint'`: the size of the file handed to `checkpoint.save`.
 */
export type MultiAgentProgressEvent<N extends string = string> =
  | { type: 'rollout'; behaviour: N; steps: number; sps: number }
  | ({ type: 'update'; behaviour: N } & UpdateEvent)
  | ({ type: 'episode'; behaviour: N } & EpisodeEvent)
  | ({ type: 'diverged'; behaviour: N } & DivergedEvent)
  | ({ type: 'recovered'; behaviour: N } & RecoveredEvent)
  /** An evaluation: per behaviour, the mean over episodes of its ids' mean return. */
  | { type: 'eval'; steps: number; meanReturns: Record<N, number> }
  /** A checkpoint was handed to `checkpoint.save`: its size in bytes. */
  | { type: 'checkpoint'; steps: number; bytes: number };

/** What multi-agent `train()` resolves to. */
export interface MultiAgentTrainResult<N extends string = string> {
  /** Agent steps taken in all, summed over the behaviours (including those before this call). */
  steps: number;
  /** Updates finished in all, summed over the behaviours. */
  updates: number;
  /** Episodes (of env agent ids) finished in all, summed over the behaviours. */
  episodes: number;
  /** Env steps of this call. */
  envSteps: number;
  /** Per behaviour, the mean return of its last (up to) 20 finished training episodes (absent before any). */
  meanReturns: Partial<Record<N, number>>;
  /**
   * Each evaluation of this run.
   * @property steps Agent steps when it ran.
   * @property meanReturns Per behaviour, its mean return.
   */
  evaluations: { steps: number; meanReturns: Record<N, number> }[];
  /** Wall time of this call in milliseconds. */
  elapsedMs: number;
  /** Whether `signal` stopped training before `totalSteps`. */
  aborted: boolean;
}

const OPTIONS = ['totalSteps', 'policyMapping', 'evaluate', 'checkpoint', 'onProgress', 'progress', 'signal'];

/** The options checked, defaults filled in; a `ValidationError` naming the field otherwise. */
export function checkMultiAgentOptions<N extends string>(options: MultiAgentTrainOptions<N>) {
  checkKeys('options', options, OPTIONS, 'option');
  const totalSteps = checkInteger('totalSteps', options.totalSteps, 1);
  if (options.progress !== undefined) checkBoolean('progress', options.progress);
  if (options.signal !== undefined && typeof (options.signal as { aborted?: unknown } | null)?.aborted !== 'boolean') fail('signal', 'an AbortSignal', options.signal);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') fail('onProgress', 'a function', options.onProgress);
  const mapping = options.policyMapping;
  if (mapping !== undefined && typeof mapping !== 'function' && (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping))) {
    fail('policyMapping', 'a function (id) => behaviour name, or an object keyed by agent id', mapping);
  }
  let evaluate: Required<MultiAgentEvaluateOptions> | undefined;
  if (options.evaluate !== undefined) {
    checkKeys('evaluate', options.evaluate, ['every', 'episodes', 'env'], 'option');
    const every = checkInteger('evaluate.every', options.evaluate.every, 1);
    const episodes = checkInteger('evaluate.episodes', options.evaluate.episodes ?? 5, 1);
    if (typeof options.evaluate.env !== 'function') fail('evaluate.env', 'a factory () => ParallelEnv', options.evaluate.env);
    evaluate = { every, episodes, env: options.evaluate.env };
  }
  let checkpoint: CheckpointOptions | undefined;
  if (options.checkpoint !== undefined) {
    checkKeys('checkpoint', options.checkpoint, ['every', 'save'], 'option');
    const every = checkInteger('checkpoint.every', options.checkpoint.every, 1);
    if (typeof options.checkpoint.save !== 'function') fail('checkpoint.save', 'a function (bytes, steps) => void | Promise<void>', options.checkpoint.save);
    checkpoint = { every, save: options.checkpoint.save };
  }
  return { totalSteps, mapping, evaluate, checkpoint, emit: options.onProgress ?? (() => {}), progress: options.progress === true, signal: options.signal };
}
