// The worker side: builds a real trainer (CPU or WebGPU) in the worker and answers a RemoteTrainer's calls.
// A worker script needs only `serveTrainer(self)` (dist/worker.js is exactly that).
import { createTrainer } from '../backend/index.js';
import type { Trainer } from '../backend/trainer.js';
import { init } from '../init.js';
import { type PackedBatch, unpackBatch } from './pack.js';
import { errorReply, type Message, type MessageEndpoint, type Reply } from './protocol.js';

/** Serves one trainer on `endpoint`; calls run one at a time, in the order they were sent. */
export function serveTrainer(endpoint: MessageEndpoint): void {
  let trainer: Trainer | undefined;
  let queue: Promise<void> = Promise.resolve();
  /** Worker-owned copy of a shared batch: some WebGPU implementations refuse shared memory in writeBuffer. */
  let local: ArrayBuffer | undefined;

  function unpack(packed: PackedBatch) {
    if (!isShared(packed.buffer)) return unpackBatch(packed);
    if (!local || local.byteLength < packed.buffer.byteLength) local = new ArrayBuffer(packed.buffer.byteLength);
    new Uint8Array(local).set(new Uint8Array(packed.buffer));
    return unpackBatch({ ...packed, buffer: local });
  }

  async function handle(message: Message): Promise<{ result?: unknown; transfer: Transferable[] }> {
    if (message.op === 'hello') return { result: { protocol: 1 }, transfer: [] };
    if (message.op === 'create') {
      await init();
      trainer?.dispose();
      trainer = await createTrainer(message.options);
      return { result: { backend: trainer.backend, parameterLayout: trainer.parameterLayout.map((e) => ({ ...e, shape: [...e.shape] })) }, transfer: [] };
    }
    if (!trainer) throw new Error('webppo worker: no trainer (create it first)');
    switch (message.op) {
      case 'update': {
        const { batch, plan } = unpack(message.packed);
        const stats = await trainer.update(batch, plan);
        return { result: { stats, buffer: message.packed.buffer }, transfer: transferable(message.packed.buffer) };
      }
      case 'computeGradients': {
        const { batch } = unpack(message.packed);
        const { grads, stats } = await trainer.computeGradients(batch);
        const copy = grads.slice();
        return { result: { grads: copy, stats, buffer: message.packed.buffer }, transfer: [copy.buffer, ...transferable(message.packed.buffer)] };
      }
      case 'imitate':
        return { result: await trainer.imitate(message.demo, message.plan, message.options), transfer: [] };
      case 'computeImitationGradients': {
        const { grads, stats } = await trainer.computeImitationGradients(message.demo, message.options);
        const copy = grads.slice();
        return { result: { grads: copy, stats }, transfer: [copy.buffer] };
      }
      case 'getParameters': {
        // A copy: the trainer's array may be a view over wasm memory, which must not be transferred.
        const copy = (await trainer.getParameters()).slice();
        return { result: copy, transfer: [copy.buffer] };
      }
      case 'setParameters':
        trainer.setParameters(message.flat);
        return { transfer: [] };
      case 'setHyperparameters':
        trainer.setHyperparameters(message.values);
        return { transfer: [] };
      case 'getOptimizerState': {
        const state = await trainer.getOptimizerState();
        const m = state.m.slice(), v = state.v.slice();
        return { result: { m, v, step: state.step }, transfer: [m.buffer, v.buffer] };
      }
      case 'setOptimizerState':
        trainer.setOptimizerState(message.state);
        return { transfer: [] };
      case 'dispose':
        trainer.dispose();
        trainer = undefined;
        return { transfer: [] };
    }
  }

  endpoint.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as Message;
    if (message?.webppo !== 'trainer') return;
    queue = queue.then(async () => {
      let reply: Reply, transfer: Transferable[] = [];
      try {
        const out = await handle(message);
        reply = { id: message.id, webppo: 'trainer', result: out.result };
        transfer = out.transfer;
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        reply = { id: message.id, webppo: 'trainer', error: errorReply(e) };
      }
      endpoint.postMessage(reply, transfer);
    });
  });
  endpoint.start?.();
}

function isShared(buffer: ArrayBuffer | SharedArrayBuffer): buffer is SharedArrayBuffer {
  return typeof SharedArrayBuffer === 'function' && buffer instanceof SharedArrayBuffer;
}

function transferable(buffer: ArrayBuffer | SharedArrayBuffer): Transferable[] {
  return isShared(buffer) ? [] : [buffer];
}
