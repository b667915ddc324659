// The bridge benchmark's in-process reference: CartPole-v1 stepped by webppo's SyncVectorEnv in Node with
// random actions, no socket. Prints one JSON line {numEnvs, stepsPerSecond}.
//   node --import tsx python/bench/node_cartpole.ts 256 2
import { makeEnv } from '../../src/envs/registry.js';
import { vectorize } from '../../src/envs/vector.js';
import { PCG32 } from '../../src/rng.js';

const numEnvs = Number(process.argv[2] ?? 256);
const seconds = Number(process.argv[3] ?? 2);
const env = vectorize(() => makeEnv('CartPole-v1'), numEnvs);
env.reset({ seed: 0 });
const rng = new PCG32(0);
const actions = Array.from({ length: 1024 }, () => Int32Array.from({ length: numEnvs }, () => (rng.nextFloat() < 0.5 ? 0 : 1)));
for (let i = 0; i < 100; i++) env.step(actions[i & 1023]);
let steps = 0;
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  for (let i = 0; i < 64; i++) env.step(actions[i & 1023]);
  steps += 64;
}
console.log(JSON.stringify({ numEnvs, stepsPerSecond: (steps * numEnvs) / ((performance.now() - start) / 1000) }));
