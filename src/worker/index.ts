// trainInWorker: where an Agent's trainer runs. The Agent asks this one function for its trainer.
import { type CreateTrainerOptions, createTrainer } from '../backend/index.js';
import type { Trainer } from '../backend/trainer.js';
import { fail } from '../errors.js';
import type { MessageEndpoint } from './protocol.js';
import { createWorkerTrainer, type WorkerSource } from './remote-trainer.js';

export { createWorkerTrainer, RemoteTrainer, type WorkerSource, type WorkerTrainerOptions } from './remote-trainer.js';
export { serveTrainer } from './serve.js';
export type { MessageEndpoint } from './protocol.js';
export type { NodeWorkerLike } from './link.js';

/**
 * false: train in this thread; true: in webppo's own worker (a Web Worker, or a worker thread in Node); or the
 * worker to use (its script URL, a Web or worker_threads Worker serving a trainer, or a MessagePort).
 */
export type TrainInWorker = boolean | WorkerSource;

/**
 * Whether updates surely run on another thread: a worker webppo starts, or a Worker the user gave (a plain
 * MessagePort may be served on this very thread). train() overlaps rollouts and updates only then.
 */
export function trainsOnAnotherThread(trainInWorker: TrainInWorker): boolean {
  if (trainInWorker === false) return false;
  if (trainInWorker === true || typeof trainInWorker === 'string' || trainInWorker instanceof URL) return true;
  const worker = trainInWorker as { terminate?: unknown; threadId?: unknown };
  return typeof worker.terminate === 'function';
}

export function checkTrainInWorker(value: unknown, field = 'trainInWorker'): TrainInWorker {
  if (value === undefined) return false;
  if (typeof value === 'boolean' || typeof value === 'string' || value instanceof URL) return value;
  if (typeof value === 'object' && value !== null && typeof (value as MessageEndpoint).postMessage === 'function') return value as MessageEndpoint;
  return fail(field, 'a boolean, a worker script URL, or a Worker', value);
}

/** The trainer an Agent uses: local, or in a worker. */
export function createAgentTrainer(options: CreateTrainerOptions, trainInWorker: TrainInWorker): Promise<Trainer> {
  if (trainInWorker === false) return createTrainer(options);
  const { onBackendReport: _report, measureWith: _measure, ...cloneable } = options; // functions cannot be posted
  return createWorkerTrainer({ ...cloneable, worker: trainInWorker === true ? undefined : trainInWorker });
}
