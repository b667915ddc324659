// The built package trains under Deno: the WASM CPU backend learns CartPole-v1, and Deno's own WebGPU
// runs the same first update as the CPU backend (same seed, same batch) to float tolerance.
import { Agent, makeEnv, train, vectorize } from '../../dist/index.js';

function check(condition: unknown, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

const cartpole = () => makeEnv('CartPole-v1');
const spaces = { observationSpace: cartpole().observationSpace, actionSpace: cartpole().actionSpace };

// CPU: learns. A random policy averages about 22 steps per episode.
{
  const agent = await Agent.create({ ...spaces, numAgents: 8, backend: 'cpu', seed: 1, ppo: { numSteps: 128, learningRate: 1e-3 } });
  const started = performance.now();
  const result = await train(agent, vectorize(cartpole, 8), { totalSteps: 40_000 });
  const seconds = (performance.now() - started) / 1000;
  check(agent.backend === 'cpu', 'the CPU backend trains');
  check(result.meanReturn !== undefined && result.meanReturn > 100, `CartPole-v1 mean return ${result.meanReturn?.toFixed(1)} > 100 after ${result.steps} steps (${seconds.toFixed(1)} s)`);
  agent.dispose();
}

// WebGPU: one update on each backend from the same seed and the same rollout gives the same parameters.
{
  const make = (backend: 'cpu' | 'webgpu') => Agent.create({ ...spaces, numAgents: 4, backend, seed: 7, network: { hidden: [16] }, ppo: { numSteps: 16, numEpochs: 2, numMinibatches: 2 } });
  const [cpu, gpu] = [await make('cpu'), await make('webgpu')];
  check(gpu.backend === 'webgpu', "Deno's navigator.gpu runs the WebGPU backend");
  const before = await gpu.getParameters();
  check((await cpu.getParameters()).every((v, i) => v === before[i]), 'both backends start from the same parameters');
  for (const agent of [cpu, gpu]) await train(agent, vectorize(cartpole, 4), { totalSteps: 64 });
  const [a, b] = [await cpu.getParameters(), await gpu.getParameters()];
  let moved = 0, worst = 0;
  for (let i = 0; i < a.length; i++) { moved = Math.max(moved, Math.abs(b[i] - before[i])); worst = Math.max(worst, Math.abs(a[i] - b[i])); }
  check(gpu.updates === 1 && moved > 1e-4, `the WebGPU update changed the parameters (max change ${moved.toExponential(2)})`);
  check(worst < 1e-3, `WebGPU and CPU parameters agree after the update (max difference ${worst.toExponential(2)})`);
  cpu.dispose();
  gpu.dispose();
}
