// Rollout core: webppo (wasm) against the plain-TypeScript peer in bench/peers/storage.ts, same run, same data.
import { bench, do_not_optimize, group, run } from 'mitata';
import { Discrete, init, RolloutBuffer, samplePrioritized } from '../dist/index.js';
import { PlainRolloutBuffer, plainGaeVtrace, plainPrioritized } from './peers/storage.ts';

await init();

const T = 128, OBS = 8;
let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
const floats = (n: number, f = () => random() * 2 - 1) => Float32Array.from({ length: n }, f);
const flags = (n: number, p: number) => Uint8Array.from({ length: n }, () => (random() < p ? 1 : 0));

const pairs: { name: string; webppo: string; peer: string }[] = [];
const pair = (name: string, webppo: () => unknown, peer: () => unknown) => {
  group(name, () => {
    bench(`webppo ${name}`, webppo);
    bench(`plain-ts ${name}`, peer);
  });
  pairs.push({ name, webppo: `webppo ${name}`, peer: `plain-ts ${name}` });
};

for (const N of [64, 1024]) {
  const step = {
    observations: floats(N * OBS), actions: Int32Array.from({ length: N }, () => Math.floor(random() * 4)),
    logProbs: floats(N, () => -random()), values: floats(N), rewards: floats(N),
    terminated: flags(N, 0.02), truncated: flags(N, 0.01), bootstrapValues: floats(N),
  };
  const buffer = RolloutBuffer.create({ numSteps: T, numEnvs: N, observationSize: OBS, actionSpace: Discrete(4) });
  const plain = new PlainRolloutBuffer(T, N, OBS, 4);
  pair(`add step (N=${N})`,
    () => { if (buffer.full) buffer.reset(); buffer.add(step); },
    () => { if (plain.step === T) plain.reset(); plain.add(step); });

  // A full buffer of random data for the advantage pass.
  const full = RolloutBuffer.create({ numSteps: T, numEnvs: N, observationSize: OBS, actionSpace: Discrete(4) });
  const fullPlain = new PlainRolloutBuffer(T, N, OBS, 4);
  for (let t = 0; t < T; t++) {
    const s = { ...step, rewards: floats(N), values: floats(N), terminated: flags(N, 0.02), truncated: flags(N, 0.01) };
    full.add(s);
    fullPlain.add(s);
  }
  const lastValues = floats(N);
  const ratios = floats(T * N, () => Math.exp((random() - 0.5) * 0.6));
  pair(`GAE + V-trace (T=${T}, N=${N})`,
    () => full.computeAdvantages({ lastValues, ratios, gamma: 0.99, gaeLambda: 0.95, rhoClip: 1, cClip: 1 }),
    () => plainGaeVtrace(fullPlain, lastValues, ratios, 0.99, 0.95, 1, 1));
}

for (const log2 of [14, 17, 20]) {
  const priorities = floats(2 ** log2, () => random() * 3);
  let s = 0;
  pair(`prioritized 256 of 2^${log2}`,
    () => do_not_optimize(samplePrioritized({ priorities, count: 256, alpha: 0.6, beta: 0.4, seed: s++ })),
    () => do_not_optimize(plainPrioritized(priorities, 256, 0.6, 0.4, random)));
}

const { benchmarks } = await run({ format: 'quiet' });
const avg = new Map(benchmarks.flatMap((b) => b.runs).map((r) => [r.name, r.stats?.avg ?? NaN]));
const time = (ns: number) => (ns < 1e3 ? `${ns.toFixed(0)} ns` : ns < 1e6 ? `${(ns / 1e3).toFixed(2)} µs` : `${(ns / 1e6).toFixed(2)} ms`);
console.log('| storage | webppo | plain TS | speedup |\n|---|---:|---:|---:|');
for (const p of pairs) {
  const w = avg.get(p.webppo)!, q = avg.get(p.peer)!;
  console.log(`| ${p.name} | ${time(w)} | ${time(q)} | ${(q / w).toFixed(2)}x |`);
}
