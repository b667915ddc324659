// Recording heuristic slots (one of them trained on) allocates nothing per tick. In a file of its own: the
// measurement is of one agent's shapes, as a game runs it, not of code made polymorphic by other tests.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PerformanceObserver } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, Box, DemonstrationRecorder, Discrete } from '../../src/index.js';
import { init } from '../../src/init.js';

beforeAll(() => init());

describe('zero allocation per tick while recording', () => {
  it('act, observe, addReward, leave and spawn with recorded heuristics (one trained on) allocate nothing once the recorder holds its chunk', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const n = 6;
    // numSteps so large that no rollout fills: the update is not on the per-tick path.
    const agent = await Agent.create({ observationSpace: Box(2), actionSpace: Discrete(3), numAgents: n, masks: true, decisionPeriod: 2, backend: 'cpu', network: { hidden: [8] }, ppo: { numSteps: 65536, numMinibatches: 2 } });
    const obs = new Float32Array(n * 2).fill(0.25), rewards = new Float32Array(n).fill(0.5), masks = new Uint8Array(n * 3).fill(1);
    const terminated = new Uint8Array(n), truncated = new Uint8Array(n);
    const withMasks = { masks };
    agent.setHeuristic(1, (slot, _o, actions) => { actions[slot] = 2; });
    agent.setHeuristic(4, (slot, o, actions) => { actions[slot] = o[slot * 2] > 0 ? 1 : 0; }, { train: true });
    // One chunk, reused once full: the recorder allocates nothing after the warm-up.
    const recorder = new DemonstrationRecorder({ observationSpace: Box(2), actionSpace: Discrete(3), chunkSteps: 4096, maxSteps: 4096 });
    agent.record(recorder, [1, 4]);
    const tick = (t: number) => {
      obs[8] = (t % 5) - 2;
      agent.act(obs, withMasks);
      if (agent.alive[t % n]) agent.addReward(t % n, 1);
      terminated[(t * 7) % n] = t % 4 === 0 ? 1 : 0;
      agent.observe(rewards, terminated, truncated);
      const slot = (t * 5) % n;
      if (agent.alive[slot] && t % 3 === 0) agent.leave(slot);
      if (t % 2 === 1 && agent.alive.indexOf(0) >= 0) agent.spawn();
    };
    let t = 0;
    for (; t < 20_000; t++) tick(t);
    expect(recorder.droppedSteps).toBeGreaterThan(0); // the chunk is being reused
    let collections = 0;
    const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
    observer.observe({ entryTypes: ['gc'] });
    let grown = Infinity;
    for (let attempt = 0, clean = 0; attempt < 8 && clean < 3; attempt++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
      collections = 0;
      const before = process.memoryUsage().heapUsed;
      for (let end = t + 50_000; t < end; t++) tick(t);
      const after = process.memoryUsage().heapUsed;
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (collections === 0) {
        grown = Math.min(grown, after - before);
        clean++;
      }
    }
    observer.disconnect();
    expect(grown).toBeLessThan(700_000);
    agent.dispose();
  });
});
