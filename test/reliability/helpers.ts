// Shared by the reliability tests: a game loop driven by hand (act, env step, observe) on CartPole.
import type { Agent } from '../../src/agent.js';
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
