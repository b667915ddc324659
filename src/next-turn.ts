// One turn of the event loop: long work awaits this so that timers, rendering, input and AbortSignals run.

/** Resolves on a later macrotask (setImmediate in Node and Deno, a MessageChannel in browsers, else setTimeout). */
export function nextTurn(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => void };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
