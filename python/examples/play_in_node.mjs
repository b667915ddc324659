// Plays a checkpoint trained by ppo_cartpole.py in webppo (Node, after `npm run build`): the deterministic
// return per seed of the Python report, next to the return Python measured through the bridge.
//   node python/examples/play_in_node.mjs cartpole-torch.safetensors report.json
import { readFileSync } from 'node:fs';
import { Agent, evaluateAgent, init, makeEnv } from '../../dist/index.js';

const [checkpoint, reportFile] = process.argv.slice(2);
await init();
const agent = await Agent.load(new Uint8Array(readFileSync(checkpoint)), { backend: 'cpu' });
const { episodes } = JSON.parse(readFileSync(reportFile, 'utf8'));
for (const { seed, return: python } of episodes) {
  const [node] = await evaluateAgent(agent, () => makeEnv('CartPole-v1'), 1, seed);
  console.log(`seed ${seed}: webppo (Node) ${node}, PyTorch via serve-env ${python}${node === python ? '' : '  MISMATCH'}`);
}
agent.dispose();
