// Self-play opponents: OpponentPolicy acting for scattered slots against a plain CpuPolicy acting on the same
// rows already packed (the floor: what the gather and scatter cost on top; with an LSTM, the slots' states are
// gathered and scattered too, while the peer carries them in place), and switching opponents by load()
// against building a new CpuPolicy per snapshot (what one inference instance saves).
import { bench, do_not_optimize, group, run } from 'mitata';
import { CpuPolicy, Discrete, init, initialParameters, networkLayout, OpponentPolicy, resolveNetworkSpec } from '../dist/index.js';

await init();

const OBS = 16;
const policy = { observationSize: OBS, actionSpace: Discrete(6), network: resolveNetworkSpec({ hidden: [64, 64] }) };
const layout = networkLayout(policy);
const snapshots = [1, 2, 3, 4].map((seed) => initialParameters(layout, seed));
let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);

const pairs: { name: string; ours: string; peer: string }[] = [];
const pair = (name: string, ours: () => unknown, peer: () => unknown) => {
  group(name, () => {
    bench(`OpponentPolicy ${name}`, ours);
    bench(`CpuPolicy ${name}`, peer);
  });
  pairs.push({ name, ours: `OpponentPolicy ${name}`, peer: `CpuPolicy ${name}` });
};

for (const slots of [8, 128]) {
  const half = slots / 2;
  const observations = Float32Array.from({ length: slots * OBS }, () => random() * 2 - 1);
  const rows = Int32Array.from({ length: half }, (_, i) => 2 * i + 1); // every other slot: the opponent team
  const packed = Float32Array.from({ length: half * OBS }, (_, i) => observations[rows[Math.floor(i / OBS)] * OBS + (i % OBS)]);
  const actions = new Int32Array(slots);
  const opponent = new OpponentPolicy(policy, snapshots[0], { maxRows: half, seed: 1 });
  const cpu = new CpuPolicy(policy, { parameters: snapshots[0], seed: 1, maxAgents: half });
  const out = { actions: new Int32Array(half), logProbs: new Float32Array(half), values: new Float32Array(half) };
  pair(`act ${half} of ${slots} slots`, () => opponent.act(observations, rows, half, actions), () => cpu.act(packed, out));
}

{
  const recurrent = { ...policy, network: resolveNetworkSpec({ hidden: [64], memory: { cell: 'lstm', size: 64 } }) };
  const parameters = initialParameters(networkLayout(recurrent), 1);
  const slots = 128, half = slots / 2;
  const observations = Float32Array.from({ length: slots * OBS }, () => random() * 2 - 1);
  const rows = Int32Array.from({ length: half }, (_, i) => 2 * i + 1);
  const packed = Float32Array.from({ length: half * OBS }, (_, i) => observations[rows[Math.floor(i / OBS)] * OBS + (i % OBS)]);
  const actions = new Int32Array(slots);
  const opponent = new OpponentPolicy(recurrent, parameters, { maxRows: half, slots, seed: 1 });
  const cpu = new CpuPolicy(recurrent, { parameters, seed: 1, maxAgents: half });
  const out = { actions: new Int32Array(half), logProbs: new Float32Array(half), values: new Float32Array(half) };
  pair(`act ${half} of ${slots} slots, LSTM 64`, () => opponent.act(observations, rows, half, actions), () => cpu.act(packed, out));
}

const opponent = new OpponentPolicy(policy, snapshots[0], { maxRows: 64 });
let k = 0;
pair('switch snapshot (load vs new instance)',
  () => opponent.load(snapshots[k++ & 3]),
  () => {
    const fresh = new CpuPolicy(policy, { parameters: snapshots[k++ & 3], maxAgents: 64 });
    do_not_optimize(fresh);
    fresh.dispose();
  });

const { benchmarks } = await run({ format: 'quiet' });
const avg = new Map(benchmarks.flatMap((b) => b.runs).map((r) => [r.name, r.stats?.avg ?? NaN]));
const time = (ns: number) => (ns < 1e3 ? `${ns.toFixed(0)} ns` : ns < 1e6 ? `${(ns / 1e3).toFixed(2)} µs` : `${(ns / 1e6).toFixed(2)} ms`);
console.log('| self-play opponents | OpponentPolicy | CpuPolicy | ratio (CpuPolicy / OpponentPolicy) |\n|---|---:|---:|---:|');
for (const p of pairs) {
  const ours = avg.get(p.ours)!, peer = avg.get(p.peer)!;
  console.log(`| ${p.name} | ${time(ours)} | ${time(peer)} | ${(peer / ours).toFixed(2)}x |`);
}
