import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { init } from '../../src/init.js';
import { makeEnv } from '../../src/envs/registry.js';
import { vectorize } from '../../src/envs/vector.js';
import type { Env } from '../../src/envs/env.js';
import { evaluateAgent, train, type ProgressEvent } from '../../src/train.js';
import { format, ProgressReporter } from '../../src/progress.js';
import { Box, Discrete } from '../../src/spaces.js';

beforeAll(() => init());

const cartpole = () => makeEnv('CartPole-v1');
const spaces = { observationSpace: cartpole().observationSpace, actionSpace: cartpole().actionSpace };

describe('train', () => {
  it('runs to totalSteps with progress events of every kind, then continues a loaded agent on the same VectorEnv', async () => {
    const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'cpu', seed: 1, ppo: { numSteps: 16 } });
    const events: ProgressEvent[] = [];
    const result = await train(agent, cartpole, { totalSteps: 128, evaluate: { every: 64, episodes: 2 }, onProgress: (e) => events.push(e) });
    expect(result.steps).toBe(128);
    expect(result.updates).toBe(4);
    expect(result.aborted).toBe(false);
    const kinds = new Set(events.map((e) => e.type));
    expect([...kinds].sort()).toEqual(['episode', 'eval', 'rollout', 'update']);
    expect(events.filter((e) => e.type === 'eval').map((e) => e.steps)).toEqual([64, 128]);
    expect(result.evaluations).toHaveLength(2);
    agent.dispose();
  });

  it('rejects mismatched envs and options before starting', async () => {
    const agent = await Agent.create({ ...spaces, numAgents: 2, backend: 'cpu', ppo: { numSteps: 8 } });
    await expect(train(agent, vectorize(cartpole, 3), { totalSteps: 10 })).rejects.toThrow(/env.numEnvs: expected 2/);
    await expect(train(agent, () => makeEnv('Pendulum-v1'), { totalSteps: 10 })).rejects.toThrow(/env.observationSpace/);
    await expect(train(agent, cartpole, { totalSteps: 0 })).rejects.toThrow(/totalSteps: expected an integer >= 1, got 0/);
    await expect(train(agent, vectorize(cartpole, 2), { totalSteps: 10, evaluate: { every: 5 } })).rejects.toThrow(/evaluate.env/);
    await expect(train(agent, cartpole, { totalSteps: 10, schedules: { learningRate: 'fast' as never } })).rejects.toThrow(/schedules.learningRate/);
    expect(agent.steps).toBe(0);
    agent.dispose();
  });

  it('trains an env written outside webppo (a plain object)', async () => {
    // Reach the right end of a line of 5 cells: +1 there, -0.01 per step.
    const line = (): Env => {
      let x = 0, t = 0;
      const obs = () => [x / 4];
      return {
        observationSpace: Box(1, 0, 1),
        actionSpace: Discrete(2),
        reset: () => { x = 0; t = 0; return { observation: obs(), info: {} }; },
        step: (a) => {
          x = Math.max(0, Math.min(4, x + (a === 1 ? 1 : -1)));
          t++;
          return { observation: obs(), reward: x === 4 ? 1 : -0.01, terminated: x === 4, truncated: t >= 20, info: {} };
        },
      };
    };
    const agent = await Agent.create({ observationSpace: Box(1, 0, 1), actionSpace: Discrete(2), numAgents: 4, backend: 'cpu', seed: 2, ppo: { numSteps: 32, learningRate: 3e-3 } });
    const before = await evaluateAgent(agent, line, 4);
    await train(agent, line, { totalSteps: 6000 });
    const after = await evaluateAgent(agent, line, 4);
    expect(after.every((r) => r > 0.9)).toBe(true);
    expect(Math.min(...after)).toBeGreaterThan(Math.min(...before));
    agent.dispose();
  });

  it('stops on abort with the agent intact, and resumes exactly from a checkpoint', async () => {
    const options = { ...spaces, numAgents: 2, backend: 'cpu' as const, seed: 5, ppo: { numSteps: 32, normalizeObservations: true, normalizeRewards: true } };
    // The resume contract at its own scale: ~20k steps, save, load, ~20k more equals ~40k straight (64 steps an update).
    const total = 40_960, half = 20_480;
    // Straight.
    const straight = await Agent.create(options);
    await train(straight, vectorize(cartpole, 2), { totalSteps: total });
    // Half, abort, save, load, the other half on the same VectorEnv.
    const first = await Agent.create(options);
    const venv = vectorize(cartpole, 2);
    const controller = new AbortController();
    const stopped = await train(first, venv, { totalSteps: total, signal: controller.signal, onProgress: (e) => { if (e.type === 'update' && e.steps >= half) controller.abort(); } });
    expect(stopped.aborted).toBe(true);
    expect(stopped.steps).toBe(half);
    const resumed = await Agent.load(await first.save());
    first.dispose();
    await train(resumed, venv, { totalSteps: total });
    expect(resumed.steps).toBe(total);
    expect(await resumed.getParameters()).toEqual(await straight.getParameters());
    expect(await resumed.save()).toEqual(await straight.save());
    straight.dispose();
    resumed.dispose();
  });

  it('learns CartPole: deterministic return clearly above the untrained policy', async () => {
    const agent = await Agent.create({ ...spaces, numAgents: 4, backend: 'cpu', seed: 1, ppo: { numSteps: 128, learningRate: 1e-3 } });
    const before = await evaluateAgent(agent, cartpole, 8, 99);
    await train(agent, cartpole, { totalSteps: 20_000 });
    const after = await evaluateAgent(agent, cartpole, 8, 99);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(after)).toBeGreaterThan(Math.max(100, 3 * mean(before)));
    agent.dispose();
  });
});

describe('progress line', () => {
  it('shows steps, SPS, mean return and ETA; a bar on a TTY', () => {
    const s = { steps: 500, totalSteps: 1000, startSteps: 0, elapsedMs: 1000, meanReturn: 21.5, updates: 1 };
    expect(format(s, 0)).toBe('webppo:  50% 500/1000 steps | 500 SPS | return 21.5 | ETA 1s');
    expect(format(s, 100)).toMatch(/^\[#+\.+\] {2}50% 500\/1000 steps/);
  });

  it('redraws one line on a TTY and prints throttled plain lines otherwise', () => {
    const s = { steps: 0, totalSteps: 100, startSteps: 0, elapsedMs: 0, meanReturn: undefined, updates: 0 };
    const tty: string[] = [], plain: string[] = [];
    const onTty = new ProgressReporter({ isTTY: true, columns: 80, write: (t) => tty.push(t) });
    const onPipe = new ProgressReporter({ write: (t) => plain.push(t) }, 2000);
    for (let ms = 0; ms <= 5000; ms += 50) {
      onTty.update({ ...s, steps: ms / 50, elapsedMs: ms }, ms);
      onPipe.update({ ...s, steps: ms / 50, elapsedMs: ms }, ms);
    }
    onTty.done({ ...s, steps: 100, elapsedMs: 5000 }, 5000);
    onPipe.done({ ...s, steps: 100, elapsedMs: 5000 }, 5000);
    expect(tty.every((t) => t.startsWith('\r[') || t === '\n')).toBe(true);
    expect(tty.at(-1)).toBe('\n');
    expect(plain).toHaveLength(4); // at 0, 2 s, 4 s, and the final line
    expect(plain.at(-1)).toBe('webppo: 100% 100/100 steps | 20 SPS | return - | ETA 0s\n');
  });
});
