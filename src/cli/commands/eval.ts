// `webppo eval <checkpoint>`: the mean return of deterministic episodes on the built-in env the checkpoint
// was trained on (found from its spaces), or on --env after checking that the checkpoint fits it.
import { readFile } from 'node:fs/promises';
import { Agent } from '../../agent/agent.js';
import { ENV_IDS, makeEnv } from '../../envs/registry.js';
import { sameSpace } from '../../policy/checkpoint.js';
import { evaluateAgent } from '../../train.js';
import { integerFlag, noExtraPositionals, positionalArg } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

/** The built-in envs whose spaces are the agent's. */
function matchingEnvs(agent: Agent): string[] {
  return ENV_IDS.filter((id) => {
    const env = makeEnv(id);
    return sameSpace(env.observationSpace, agent.observationSpace) && sameSpace(env.actionSpace, agent.actionSpace);
  });
}

export const evalCommand: Command = {
  usage: '<checkpoint> [--episodes N] [--env id]',
  summary: 'Loads a checkpoint and prints the mean return of N deterministic episodes (default 20) on its env.',
  flags: {
    episodes: { value: 'N', help: 'episodes to run, >= 1 (default 20)' },
    env: { value: 'id', help: 'the env (default: the built-in env matching the checkpoint)' },
  },
  async run(args, io) {
    const file = positionalArg(args, 1, 'the checkpoint file (eval <checkpoint>)');
    noExtraPositionals(args, 2);
    const episodes = integerFlag(args.flags, 'episodes', 20, 1);
    const asked = args.flags.get('env');
    if (asked !== undefined && !ENV_IDS.includes(asked)) throw new UsageError(`--env: unknown env ${JSON.stringify(asked)} (known: ${ENV_IDS.join(', ')})`);
    const agent = await Agent.load(new Uint8Array(await readFile(file)), { backend: 'cpu' });
    try {
      const matches = matchingEnvs(agent);
      if (asked !== undefined && !matches.includes(asked)) {
        const trainedOn = matches.length > 0 ? `this checkpoint was trained on ${matches.join(' or ')}` : 'this checkpoint fits no built-in env';
        throw new UsageError(`--env ${asked}: ${trainedOn}, not ${asked} (its spaces differ)`);
      }
      const id = asked ?? matches[0];
      if (id === undefined) throw new UsageError(`no built-in env matches the checkpoint's spaces (known: ${ENV_IDS.join(', ')})`);
      const returns = await evaluateAgent(agent, () => makeEnv(id), episodes, 12345);
      const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
      io.out(`webppo: ${id}: deterministic mean return over ${episodes} episodes: ${mean.toFixed(1)} (min ${Math.min(...returns).toFixed(1)}, max ${Math.max(...returns).toFixed(1)})`);
    } finally {
      agent.dispose();
    }
  },
};
