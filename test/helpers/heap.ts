// Heap growth of a per-tick function, for the no-allocation tests of the game-loop paths.
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs `tick(t)` for `warmUp` ticks (JIT, views), then in windows of `window` ticks and returns the least heap
 * growth (bytes) of the windows that saw no garbage collection (up to 3 of 8 tries; Infinity when every window
 * collected). A late optimization of the engine's own shows in one window; an allocation per tick (16 bytes at the
 * very least, a typed-array view about 100) shows in all of them: 0.8 to 5 MB over 50k ticks.
 */
export async function leastHeapGrowth(tick: (t: number) => void, warmUp = 20_000, window = 50_000): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let t = 0;
  for (; t < warmUp; t++) tick(t);
  let collections = 0;
  const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
  observer.observe({ entryTypes: ['gc'] });
  let grown = Infinity;
  for (let attempt = 0, clean = 0; attempt < 8 && clean < 3; attempt++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    collections = 0;
    const before = process.memoryUsage().heapUsed;
    for (let end = t + window; t < end; t++) tick(t);
    const after = process.memoryUsage().heapUsed;
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (collections === 0) {
      grown = Math.min(grown, after - before);
      clean++;
    }
  }
  observer.disconnect();
  return grown;
}
