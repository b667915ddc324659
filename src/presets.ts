// Tuned settings for the built-in envs: what `webppo train` and the learning benchmark use.
import type { AgentOptions } from './agent-options.js';

export interface Preset {
  totalSteps: number;
  agent: Omit<AgentOptions, 'observationSpace' | 'actionSpace'>;
}

const PRESETS: Record<string, Preset> = {
  // CleanRL's ppo.py settings: 4 envs x 128 steps, 4 epochs, 4 minibatches, lr 2.5e-4 annealed.
  'CartPole-v1': {
    totalSteps: 100_000,
    agent: { numAgents: 4, network: { hidden: [64, 64] }, ppo: { numSteps: 128, learningRate: 2.5e-4 } },
  },
  // CleanRL's ppo_continuous_action.py details: observation normalization, reward scaling, 2048-step rollouts.
  'Pendulum-v1': {
    totalSteps: 500_000,
    agent: {
      numAgents: 1,
      network: { hidden: [64, 64] },
      ppo: { numSteps: 2048, numMinibatches: 32, numEpochs: 10, learningRate: 3e-4, gamma: 0.99, entropyCoef: 0, normalizeObservations: true, normalizeRewards: true },
    },
  },
};

export function presetFor(id: string): Preset {
  return PRESETS[id] ?? { totalSteps: 100_000, agent: {} };
}
