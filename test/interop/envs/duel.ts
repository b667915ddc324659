// A small PettingZoo-style parallel env for the serve-env tests: two agents on a line of 9 cells, each sees
// [own position, other position, time left]; actions Discrete(3) move left / stay / right. Reaching a wall
// ends that agent's episode (terminated, reward -1, it leaves `agents`); everyone is truncated after 12 steps.
// Each step rewards +0.1 for every live agent and +1 to an agent standing on the other's cell.
import { Box, Discrete } from '../../../src/spaces.js';
import type { AgentAction, ParallelEnv } from '../../../src/interop/serve-env/parallel.js';
import { PCG32 } from '../../../src/rng.js';

const SIZE = 9;
const STEPS = 12;

export class Duel implements ParallelEnv {
  readonly possibleAgents = ['red', 'blue'];
  agents: string[] = [];
  private position: Record<string, number> = {};
  private t = 0;
  private rng = new PCG32(0);

  observationSpace() { return Box(3, 0, SIZE); }
  actionSpace() { return Discrete(3); }

  private observe(id: string): Float32Array {
    const other = id === 'red' ? 'blue' : 'red';
    return Float32Array.of(this.position[id], this.position[other], STEPS - this.t);
  }

  reset(options: { seed?: number } = {}) {
    if (options.seed !== undefined) this.rng = new PCG32(options.seed);
    this.t = 0;
    this.agents = [...this.possibleAgents];
    for (const id of this.agents) this.position[id] = 1 + Math.floor(this.rng.nextFloat() * (SIZE - 2));
    return { observations: Object.fromEntries(this.agents.map((id) => [id, this.observe(id)])), infos: {} };
  }

  step(actions: Record<string, AgentAction>) {
    this.t++;
    const rewards: Record<string, number> = {};
    const terminations: Record<string, boolean> = {};
    const truncations: Record<string, boolean> = {};
    for (const id of this.agents) this.position[id] += Number(actions[id]) - 1;
    const observations: Record<string, Float32Array> = {};
    for (const id of this.agents) {
      const other = id === 'red' ? 'blue' : 'red';
      const wall = this.position[id] <= 0 || this.position[id] >= SIZE - 1;
      rewards[id] = wall ? -1 : 0.1 + (this.agents.includes(other) && this.position[other] === this.position[id] ? 1 : 0);
      terminations[id] = wall;
      truncations[id] = !wall && this.t >= STEPS;
      observations[id] = this.observe(id);
    }
    this.agents = this.agents.filter((id) => !terminations[id] && !truncations[id]);
    return { observations, rewards, terminations, truncations, infos: {} };
  }
}

export default () => new Duel();
