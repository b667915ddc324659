// The wasm memory an agent will hold, computed in f64 from its options before anything is allocated, so a
// create (or a checkpoint) asking for more than wasm memory can give is rejected with the user's field named
// and nothing committed.
import type { ResolvedAgentOptions } from './options.js';
import { SizeError } from '../errors.js';
import { actorOutputSize } from '../policy/network.js';
import { actionSize, flatSize, logitCount } from '../spaces.js';
import { rolloutBufferBytes } from '../storage/rollout-buffer.js';
import { MAX_BLOCK_BYTES, wasmBytesFree } from '../wasm-memory.js';

/** Rollout buffers an agent keeps: the one collecting and the one training. */
const BUFFERS = 2;

interface Footprint {
  /** Bytes that grow with numAgents (everything but the parameters). */
  perAgent: number;
  fixed: number;
  /** The largest single blocks: one rollout buffer, and one update's plan. */
  rolloutBlock: number;
  planBlock: number;
}

function footprint(o: ResolvedAgentOptions, numAgents: number): Footprint {
  const obs = flatSize(o.observationSpace);
  const act = actionSize(o.actionSpace);
  const logits = logitCount(o.actionSpace);
  const T = o.ppo.numSteps;
  const rows = T * numAgents;
  const hidden = o.network.hidden.reduce((a, b) => a + b, 0);
  // Activations and their gradients per row: every hidden layer (twice without a shared trunk) and both heads.
  // A recurrent cell (one shared, or the actor's and the critic's) keeps gates, states and their gradients per
  // row: about (2 gates + 5) x size floats, here counted twice like a layer's width.
  const memory = o.network.memory;
  const cells = memory === undefined ? 0 : o.network.shared ? 1 : 2;
  const cellWidth = memory === undefined ? 0 : cells * Math.ceil(((2 * (memory.cell === 'lstm' ? 4 : 3) + 5) * memory.size) / 2);
  const width = (o.network.shared ? hidden : 2 * hidden) + actorOutputSize(o.actionSpace) + 1 + cellWidth;
  const noise = o.actionSpace.kind === 'box' ? o.ppo.samplesMcEntropy * act : 0;
  const rolloutBlock = rolloutBufferBytes({ numSteps: T, numEnvs: numAgents, observationSize: obs, actionSpace: o.actionSpace, masks: o.masks });
  const batchRow = 4 * (obs + act + 9 + noise) + logits + 2;
  const minibatchRow = 4 * (obs + act + 15 + noise) + 5 * logits + 2;
  const minibatch = Math.ceil(rows / o.ppo.numMinibatches);
  const trainer = rows * batchRow + minibatch * (minibatchRow + 8 * width);
  const inference = numAgents * (4 * obs + logits + 8 * act + 8 + 8 * width) * 2;
  const planBlock = o.ppo.numEpochs * rows * 4;
  const plan = 4 * planBlock + 8 * rows; // the plan drawn, and the trainer's copy of it
  let layers = 0, inputs = obs;
  for (const h of o.network.hidden) { layers += inputs * h; inputs = h; }
  const gates = memory === undefined ? 0 : (memory.cell === 'lstm' ? 4 : 3) * memory.size;
  const cellParameters = memory === undefined ? 0 : cells * gates * (inputs + memory.size + 2);
  if (memory !== undefined) inputs = memory.size;
  const parameters = (o.network.shared ? layers : 2 * layers) + cellParameters + (inputs + 1) * (actorOutputSize(o.actionSpace) + 1) + act;
  return { perAgent: (BUFFERS * rolloutBlock + trainer + inference + plan) / numAgents, fixed: 7 * 4 * parameters, rolloutBlock, planBlock };
}

/**
 * Throws a SizeError (naming numAgents, ppo.numSteps or ppo.numEpochs, with the largest value that fits) when
 * the agent these options describe cannot fit in wasm memory; costs a few multiplications.
 */
export function checkAgentFootprint(o: ResolvedAgentOptions): void {
  const f = footprint(o, o.numAgents);
  const free = wasmBytesFree();
  const rows = o.ppo.numSteps * o.numAgents;
  if ((16 * f.fixed) / 28 > MAX_BLOCK_BYTES || f.fixed > free) {
    // Blame the observation when it is wider than every layer, else the layers.
    const obs = flatSize(o.observationSpace);
    const [field, actual] = obs > Math.max(0, ...o.network.hidden) ? ['observationSpace', `${obs} floats per observation`] : ['network.hidden', o.network.hidden];
    throw new SizeError(field, `a network whose parameters fit in wasm memory (${f.fixed / 28} parameters need ${f.fixed} bytes)`, actual, f.fixed, Math.min(free, MAX_BLOCK_BYTES));
  }
  // Blame the larger of numAgents and ppo.numSteps: the rows are their product.
  const [field, value, other] = o.numAgents >= o.ppo.numSteps || o.ppo.numSteps === 1
    ? ['numAgents', o.numAgents, `ppo.numSteps = ${o.ppo.numSteps}`] : ['ppo.numSteps', o.ppo.numSteps, `numAgents = ${o.numAgents}`];
  const most = (limit: number, bytes: number) => Math.max(0, Math.floor((value * limit) / bytes));
  if (f.rolloutBlock > MAX_BLOCK_BYTES) {
    throw new SizeError(field, `at most about ${most(MAX_BLOCK_BYTES, f.rolloutBlock)} with ${other} (a rollout buffer must fit in one 1 GiB wasm block; this one needs ${f.rolloutBlock} bytes)`, value, f.rolloutBlock, MAX_BLOCK_BYTES);
  }
  if (f.planBlock > MAX_BLOCK_BYTES) {
    const fit = Math.max(1, Math.floor(MAX_BLOCK_BYTES / (rows * 4)));
    throw new SizeError('ppo.numEpochs', `at most ${fit} with numAgents x ppo.numSteps = ${rows} rows (one update's plan must fit in one 1 GiB wasm block; this one needs ${f.planBlock} bytes)`, o.ppo.numEpochs, f.planBlock, MAX_BLOCK_BYTES);
  }
  const total = f.fixed + f.perAgent * o.numAgents;
  if (total > free) {
    throw new SizeError(field, `at most about ${most(free - f.fixed, total - f.fixed)} with these spaces, network and ${other} (the agent needs ${total} bytes of wasm memory; ${free} are free)`, value, total, free);
  }
}
