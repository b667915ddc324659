// The connection to a training worker: webppo's own worker (started here), a worker the user started, or any
// message endpoint. Whatever it is, a failure (a script that does not load, a crash, a message that cannot be
// read, a thread that exits) reaches the trainer as one WorkerError, so nothing waits forever.
//
// webppo's own worker is dist/worker.js: ONE self-contained file (the library and its wasm, no chunk imports),
// so it runs wherever it lands. The expression that starts it in a browser is kept in the exact literal form
// `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`: Vite and webpack 5 recognise it
// and emit the worker as its own bundle; esbuild and rollup leave it as is, and the URL then resolves to
// dist/worker.js copied next to the bundle. Node gets the same file through node:worker_threads; the URL there
// is built from a variable so that bundlers do not take it for a second worker or an asset.
import { WorkerError } from '../errors.js';
import type { MessageEndpoint } from './protocol.js';

/** A worker or endpoint the trainer talks to, with its failures reported once. */
export interface WorkerLink extends MessageEndpoint {
  /** Where the worker's script came from, for error messages. */
  readonly description: string;
  /** Calls `listener` when the worker fails; returns a function that stops listening. */
  onFailure(listener: (error: WorkerError) => void): () => void;
  /** Stops the worker (only when webppo started it). */
  terminate(): void;
}

/** A node:worker_threads Worker (or anything with its EventEmitter messaging). */
export interface NodeWorkerLike {
  /** Sends a message, moving the objects in `transfer` instead of copying them. */
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  /** Adds a listener for 'message', 'error', 'messageerror' or 'exit'. */
  on(event: string, listener: (...args: any[]) => void): unknown;
  /** Removes a listener added with `on`. */
  off(event: string, listener: (...args: any[]) => void): unknown;
  /** Keeps the process alive while the worker runs (used while webppo awaits an answer from a worker it started). */
  ref?(): void;
  /** Lets the process exit while the worker runs (a worker webppo started is unref'd when idle). */
  unref?(): void;
  /** Stops the worker (called only for a worker webppo started). */
  terminate?(): unknown;
}

/** Starts webppo's own worker (dist/worker.js next to this module), or the script at `url`. */
export async function startWorker(url?: URL | string): Promise<WorkerLink> {
  if (typeof Worker === 'function') {
    const worker = url === undefined
      ? new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'webppo-trainer' })
      : new Worker(url, { type: 'module', name: 'webppo-trainer' });
    return webLink(worker, String(url ?? 'webppo/dist/worker.js'), true);
  }
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (typeof node !== 'string') throw new WorkerError('E_WORKER_UNSUPPORTED', 'this runtime has neither Web Workers nor node:worker_threads');
  const threads = 'node:worker_threads'; // a variable: browser bundlers leave it alone
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ threads)) as typeof import('node:worker_threads');
  const script = './worker.js';
  const resolved = url === undefined ? new URL(script, import.meta.url) : new URL(url, `file://${(globalThis as unknown as { process: { cwd(): string } }).process.cwd()}/`);
  // The thread inherits Node's flags, except --input-type, which Node refuses for a worker's script file.
  const execArgv = (globalThis as unknown as { process: { execArgv: string[] } }).process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
  return nodeLink(new NodeWorker(resolved, { execArgv }), resolved.href, true);
}

/** Connects to an endpoint the user gave: a Web Worker, a node:worker_threads Worker, or a MessagePort. */
export function connect(endpoint: MessageEndpoint | NodeWorkerLike): WorkerLink {
  if (typeof (endpoint as MessageEndpoint).addEventListener === 'function') return webLink(endpoint as MessageEndpoint, 'the given worker', false);
  if (typeof (endpoint as NodeWorkerLike).on === 'function') return nodeLink(endpoint as NodeWorkerLike, 'the given worker', false);
  throw new WorkerError('E_WORKER_UNSUPPORTED', 'the given worker has neither addEventListener nor on (expected a Worker, a worker_threads Worker or a MessagePort)');
}

function webLink(endpoint: MessageEndpoint & Partial<Pick<Worker, 'terminate'>>, description: string, owned: boolean): WorkerLink {
  const target = endpoint as unknown as EventTarget;
  return {
    description,
    postMessage: (message, transfer) => endpoint.postMessage(message, transfer ?? []),
    addEventListener: (type, listener) => endpoint.addEventListener(type, listener),
    removeEventListener: (type, listener) => endpoint.removeEventListener(type, listener),
    start: () => endpoint.start?.(),
    onFailure(listener) {
      const onError = (event: Event) => {
        event.preventDefault?.(); // reported through the rejection, not also as an uncaught error
        const e = event as ErrorEvent;
        const where = e.filename ? ` at ${e.filename}:${e.lineno}` : '';
        const what = e.message || (e.error ? String(e.error) : 'the script could not be loaded or evaluated (a wrong URL, or a file the bundler did not emit?)');
        listener(new WorkerError('E_WORKER', `the training worker (${description}) failed: ${what}${where}`, { cause: e.error }));
      };
      const onMessageError = () => listener(new WorkerError('E_WORKER_MESSAGE', `a message from the training worker (${description}) could not be deserialized`));
      target.addEventListener('error', onError);
      target.addEventListener('messageerror', onMessageError);
      return () => {
        target.removeEventListener('error', onError);
        target.removeEventListener('messageerror', onMessageError);
      };
    },
    terminate: () => { if (owned) endpoint.terminate?.(); },
  };
}

/**
 * node:worker_threads speaks EventEmitter; this speaks MessageEndpoint. webppo's own thread is referenced only
 * while a message listener is attached (the trainer listens only while replies are due), so an idle agent does
 * not keep Node running; a worker the user gave keeps the lifetime the user gave it.
 */
function nodeLink(worker: NodeWorkerLike, description: string, owned: boolean): WorkerLink {
  const handlers = new Map<(event: MessageEvent) => void, (data: unknown) => void>();
  let terminating = false;
  const ref = (on: boolean) => { if (owned) (on ? worker.ref : worker.unref)?.call(worker); };
  ref(false);
  return {
    description,
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    addEventListener(_type, listener) {
      if (handlers.has(listener)) return;
      const handler = (data: unknown) => listener({ data } as MessageEvent);
      handlers.set(listener, handler);
      worker.on('message', handler);
      ref(true);
    },
    removeEventListener(_type, listener) {
      const handler = handlers.get(listener);
      if (!handler) return;
      handlers.delete(listener);
      worker.off('message', handler);
      if (handlers.size === 0) ref(false);
    },
    onFailure(listener) {
      const onError = (error: Error) => listener(new WorkerError('E_WORKER', `the training worker (${description}) failed: ${error?.message ?? error}`, { cause: error }));
      const onMessageError = (error: Error) => listener(new WorkerError('E_WORKER_MESSAGE', `a message from the training worker (${description}) could not be deserialized: ${error?.message ?? error}`, { cause: error }));
      const onExit = (code: number) => { if (!terminating) listener(new WorkerError('E_WORKER_EXITED', `the training worker (${description}) exited with code ${code}`)); };
      worker.on('error', onError);
      worker.on('messageerror', onMessageError);
      worker.on('exit', onExit);
      return () => {
        worker.off('error', onError);
        worker.off('messageerror', onMessageError);
        worker.off('exit', onExit);
      };
    },
    terminate() {
      if (!owned) return;
      terminating = true;
      void worker.terminate?.();
    },
  };
}
