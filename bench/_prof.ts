import { init, Discrete, CpuPolicy, resolveNetworkSpec } from '/work/main/dist/index.js';
await init();
const n = 64;
const obs = new Float32Array(n * 4).map(() => Math.random());
const policy = new CpuPolicy({ observationSize: 4, actionSpace: Discrete(2), network: resolveNetworkSpec({}) } as any, { seed: 1 } as any);
const out = { actions: new Int32Array(n), logProbs: new Float32Array(n), values: new Float32Array(n) } as any;
for (let i = 0; i < 100000; i++) policy.act(obs, out);
