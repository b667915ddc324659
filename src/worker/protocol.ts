// The messages between a RemoteTrainer (the page) and serveTrainer (a Web Worker): one request per Trainer
// call, answered in order with the same id.
import { CheckpointError, type ErrorCode, SizeError, StateError, UnknownOptionError, ValidationError, WebppoError } from '../errors.js';
import type { BackendChoice } from '../backend/index.js';
import type {
  DemoBatch, Hyperparameters, ImitationOptions, ImitationStats, ImitationUpdateStats, LossStats, MinibatchPlan, OptimizerState,
  TrainerOptions, UpdateStats,
} from '../backend/trainer.js';
import type { ParameterEntry } from '../policy/network.js';
import type { PackedBatch } from './pack.js';

/** Anything with a Worker's messaging: a Worker, a worker's global scope, a MessagePort. */
export interface MessageEndpoint {
  /**
   * Sends a message, moving the objects in `transfer` instead of copying them. `unknown[]`, not DOM's
   * Transferable[]: the published types must compile in projects without the DOM lib.
   */
  postMessage(message: unknown, transfer?: unknown[]): void;
  /** Calls `listener` with each message that arrives. */
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** Stops listening. */
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** Starts delivery (a MessagePort needs it). */
  start?(): void;
}

export type Request =
  | { op: 'hello' }
  | { op: 'create'; options: TrainerOptions & { backend?: BackendChoice } }
  | { op: 'update'; packed: PackedBatch }
  | { op: 'computeGradients'; packed: PackedBatch }
  | { op: 'imitate'; demo: DemoBatch; plan?: MinibatchPlan; options?: ImitationOptions }
  | { op: 'computeImitationGradients'; demo: DemoBatch; options?: ImitationOptions }
  | { op: 'getParameters' }
  | { op: 'setParameters'; flat: Float32Array }
  | { op: 'setHyperparameters'; values: Partial<Hyperparameters> }
  | { op: 'getOptimizerState' }
  | { op: 'setOptimizerState'; state: OptimizerState }
  | { op: 'dispose' };

export interface Results {
  /** The worker runs and reads messages: answered at once, before any trainer exists. */
  hello: { protocol: 1 };
  create: { backend: 'webgpu' | 'cpu'; parameterLayout: ParameterEntry[] };
  update: { stats: UpdateStats; buffer: ArrayBuffer | SharedArrayBuffer };
  computeGradients: { grads: Float32Array; stats: LossStats; buffer: ArrayBuffer | SharedArrayBuffer };
  imitate: ImitationUpdateStats;
  computeImitationGradients: { grads: Float32Array; stats: ImitationStats };
  getParameters: Float32Array;
  setParameters: void;
  setHyperparameters: void;
  getOptimizerState: OptimizerState;
  setOptimizerState: void;
  dispose: void;
}

export type Message = Request & { id: number; webppo: 'trainer' };
export type Reply = { id: number; webppo: 'trainer'; result?: unknown; error?: { name: string; message: string; stack?: string; code?: ErrorCode; field?: string } };

const CLASSES: Record<string, { prototype: WebppoError }> = {
  ValidationError, UnknownOptionError, StateError, SizeError, CheckpointError, WebppoError,
};

/** What of an error crosses the worker boundary: its name, message, stack, and a webppo error's code and field. */
export function errorReply(e: Error): NonNullable<Reply['error']> {
  const { code, field } = e as Partial<ValidationError>;
  return { name: e.name, message: e.message, stack: e.stack, ...(e instanceof WebppoError ? { code, field } : {}) };
}

/**
 * Rebuilds an error that crossed the worker boundary, keeping its name and the worker's stack; webppo's
 * documented errors come back as their own class with their code and field.
 */
export function reviveError(error: NonNullable<Reply['error']>): Error {
  const revived = new Error(`${error.message} (in the training worker)`);
  const documented = error.code !== undefined ? CLASSES[error.name] ?? WebppoError : undefined;
  if (documented) {
    Object.setPrototypeOf(revived, documented.prototype);
    Object.defineProperties(revived, { code: { value: error.code, enumerable: true }, field: { value: error.field, enumerable: true } });
  }
  revived.name = error.name;
  if (error.stack) revived.stack = `${revived.name}: ${revived.message}\n--- worker stack ---\n${error.stack}`;
  return revived;
}
