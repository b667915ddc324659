// dist/worker.js: the training worker webppo starts for trainInWorker, built as ONE self-contained file (see
// rollup.config.mjs) so that it runs wherever a bundler puts it. In a Web Worker (browsers, Deno) it serves on
// the worker's global scope; in a Node worker thread on its parentPort. No top-level await: Vite re-bundles
// workers as classic scripts by default.
import type { MessageEndpoint } from './protocol.js';
import { serveTrainer } from './serve.js';

const scope = globalThis as unknown as Partial<MessageEndpoint>;
if (typeof scope.postMessage === 'function' && typeof scope.addEventListener === 'function') {
  serveTrainer(scope as MessageEndpoint);
} else {
  const threads = 'node:worker_threads'; // a variable: browser bundlers leave it alone
  void import(/* @vite-ignore */ /* webpackIgnore: true */ threads).then(({ parentPort }: typeof import('node:worker_threads')) => {
    serveTrainer(parentPort as unknown as MessageEndpoint);
  });
}
