// A small page as a game developer writes it: the installed package, trainInWorker: true, nothing configured
// for the worker or the wasm. It trains until two updates finish and leaves the outcome in window.webppoResult.
import { Agent, makeEnv, train, vectorize } from 'webppo';

async function main() {
  const env = () => makeEnv('CartPole-v1');
  const agent = await Agent.create({
    observationSpace: env().observationSpace, actionSpace: env().actionSpace, numAgents: 4, backend: 'cpu', seed: 1,
    network: { hidden: [16] }, ppo: { numSteps: 32 }, trainInWorker: true,
  });
  const lagged = [];
  agent.on('update', (event) => lagged.push(event.lagged));
  const result = await train(agent, vectorize(env, 4), { totalSteps: 4 * 32 * 2 });
  agent.dispose();
  return { ok: true, updates: result.updates, lagged, backend: agent.backend };
}

main().then(
  (result) => { window.webppoResult = result; },
  (error) => { window.webppoResult = { ok: false, error: `${error?.name}: ${error?.message}`, code: error?.code }; },
);
