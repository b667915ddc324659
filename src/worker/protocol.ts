// The messages between a RemoteTrainer (the page) and serveTrainer (a Web Worker): one request per Trainer
// call, answered in order with the same id.
import type { BackendChoice } from '../backend/index.js';
import type { Hyperparameters, LossStats, OptimizerState, TrainerOptions, UpdateStats } from '../backend/trainer.js';
import type { ParameterEntry } from '../policy/network.js';
import type { PackedBatch } from './pack.js';

/** Anything with a Worker's messaging: a Worker, a worker's global scope, a MessagePort. */
export interface MessageEndpoint {
  /** Sends a message (transferring the listed buffers). */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Listens for messages. */
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** Stops listening. */
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** Starts delivery (a MessagePort needs it). */
  start?(): void;
}

export type Request =
  | { op: 'create'; options: TrainerOptions & { backend?: BackendChoice } }
  | { op: 'update'; packed: PackedBatch }
  | { op: 'computeGradients'; packed: PackedBatch }
  | { op: 'getParameters' }
  | { op: 'setParameters'; flat: Float32Array }
  | { op: 'setHyperparameters'; values: Partial<Hyperparameters> }
  | { op: 'getOptimizerState' }
  | { op: 'setOptimizerState'; state: OptimizerState }
  | { op: 'dispose' };

export interface Results {
  create: { backend: 'webgpu' | 'cpu'; parameterLayout: ParameterEntry[] };
  update: { stats: UpdateStats; buffer: ArrayBuffer | SharedArrayBuffer };
  computeGradients: { grads: Float32Array; stats: LossStats; buffer: ArrayBuffer | SharedArrayBuffer };
  getParameters: Float32Array;
  setParameters: void;
  setHyperparameters: void;
  getOptimizerState: OptimizerState;
  setOptimizerState: void;
  dispose: void;
}

export type Message = Request & { id: number; webppo: 'trainer' };
export type Reply = { id: number; webppo: 'trainer'; result?: unknown; error?: { name: string; message: string; stack?: string } };

/** Rebuilds an error that crossed the worker boundary, keeping its name and the worker's stack. */
export function reviveError(error: NonNullable<Reply['error']>): Error {
  const revived = new Error(`${error.message} (in the training worker)`);
  revived.name = error.name;
  if (error.stack) revived.stack = `${revived.name}: ${revived.message}\n--- worker stack ---\n${error.stack}`;
  return revived;
}
