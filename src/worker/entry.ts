// dist/worker.js: a module worker that serves one trainer to the page that started it (trainInWorker).
import { serveTrainer } from './serve.js';
import type { MessageEndpoint } from './protocol.js';

serveTrainer(globalThis as unknown as MessageEndpoint);
