// Shared by the reliability tests: a game loop driven by hand (act, env step, observe) on CartPole.
import { expect } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import type { DivergedEvent } from '../../src/agent/divergence.js';
import { makeEnv } from '../../src/envs/registry.js';
import { vectorize } from '../../src/envs/vector.js';

export const cartpole = () => makeEnv('CartPole-v1');
export const spaces = { observationSpace: cartpole().observationSpace, actionSpace: cartpole().actionSpace };

/** A CartPole game loop for `agent`: each call to tick() is one act/step/observe; `reward` rewrites rewards. */
export function gameLoop(agent: Agent, reward?: (tick: number, rewards: Float32Array) => void, options?: { masks?: Uint8Array }) {
  const venv = vectorize(cartpole, agent.numAgents);
  const obs = Float32Array.from(venv.reset({ seed: 7 }).observation);
  let ticks = 0;
  return {
    obs,
    tick(): void {
      const out = venv.step(agent.act(obs, options?.masks ? { masks: options.masks } : undefined));
      reward?.(ticks, out.reward);
      agent.observe(out.reward, out.terminated, out.truncated, { finalObservations: out.info.finalObservation });
      obs.set(out.observation);
      ticks++;
    },
  };
}

/** Yields one event-loop turn. */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const F32_MAX = 3.4e38;

/** The three known ways to diverge, each with the cause the event must name. */
export const DIVERGING = [
  { name: 'a reward of 3.4e38', options: {}, reward: (t: number, r: Float32Array) => { if (t === 2) r[0] = F32_MAX; }, cause: /rewards reach 3\.4e38.*ppo\.normalizeRewards/ },
  { name: 'adamEps 0 with an always-masked action', options: { masks: true, ppo: { adamEps: 0 } }, masks: true, cause: /adamEps is 0/ },
  { name: 'a huge learning rate', options: { ppo: { learningRate: 1e38, annealLearningRate: false } }, cause: /learningRate is 1e38/ },
] as const;

export async function divergesAndRollsBack(backend: 'cpu' | 'webgpu', c: (typeof DIVERGING)[number]): Promise<void> {
  const { ppo, ...rest } = c.options as { ppo?: object };
  const agent = await Agent.create({ ...spaces, numAgents: 2, backend, seed: 4, ppo: { numSteps: 4, numEpochs: 1, numMinibatches: 2, ...ppo }, ...rest } as never);
  const diverged: DivergedEvent[] = [];
  agent.on('diverged', (e) => diverged.push(e));
  const masks = 'masks' in c ? new Uint8Array([1, 0, 1, 0]) : undefined;
  const game = gameLoop(agent, 'reward' in c ? c.reward : undefined, { masks });
  const before = await agent.getParameters();
  const actionsBefore = Array.from(agent.predict(game.obs, masks ? { masks } : undefined));
  for (let t = 0; t < 4; t++) game.tick();
  game.tick(); // the next act() starts the update of the full rollout
  await agent.whenIdle();
  expect(diverged.length).toBe(1);
  const event = diverged[0];
  expect(event.what).toMatch(/ is (NaN|-?Infinity)$/);
  expect(event.cause).toMatch(c.cause);
  expect(event.message).toBe(`${event.what}: ${event.cause}`);
  expect(event.divergences).toBe(1);
  expect(agent.health.divergences).toBe(1);
  expect(agent.updates).toBe(0);
  // Rolled back: the parameters and the policy are those from before the update.
  expect(await agent.getParameters()).toEqual(before);
  expect(Array.from(agent.predict(game.obs, masks ? { masks } : undefined))).toEqual(actionsBefore);
  // save() writes the good state, and it loads.
  const loaded = await Agent.load(await agent.save(), { backend: 'cpu' });
  expect(await loaded.getParameters()).toEqual(before);
  loaded.dispose();
  agent.dispose();
}

