// The batches an agent trains on, captured as its trainer receives them, for replaying them in the oracle.
import type { Agent } from '../../src/agent/agent.js';
import type { Batch, MinibatchPlan, Trainer } from '../../src/backend/trainer.js';

/** Records every batch the agent's trainer updates on (copies: the agent reuses its staging batch). */
export function captureBatches(agent: Agent): Batch[] {
  const trainer = (agent as unknown as { trainer: Trainer }).trainer;
  const batches: Batch[] = [];
  const update = trainer.update.bind(trainer);
  trainer.update = (batch: Batch, plan?: MinibatchPlan) => {
    batches.push(structuredClone(batch));
    return update(batch, plan);
  };
  return batches;
}
