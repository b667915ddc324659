// trainInWorker: where an Agent's trainer runs. The Agent asks this one function for its trainer.
import { type CreateTrainerOptions, createTrainer } from '../backend/index.js';
import type { Trainer } from '../backend/trainer.js';
import { fail } from '../errors.js';
import type { MessageEndpoint } from './protocol.js';
import { createWorkerTrainer, type WorkerSource } from './remote-trainer.js';

export { createWorkerTrainer, RemoteTrainer, type WorkerSource, type WorkerTrainerOptions } from './remote-trainer.js';
export { serveTrainer } from './serve.js';
export type { MessageEndpoint } from './protocol.js';

/** false: train in this thread; true: in dist/worker.js; or the worker to use (its script URL, or a Worker). */
export type TrainInWorker = boolean | WorkerSource;

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
