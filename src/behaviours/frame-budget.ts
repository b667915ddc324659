// One frame budget for all behaviours. An agent training on the CPU backend in the game's thread runs at most
// one slice of its update per event-loop turn. Each slice takes the budget over the behaviours that have work
// at that moment (those slicing in the game's thread with an update queued or running), so a turn's training
// work stays within the budget however many behaviours update at once, and an idle behaviour's share goes to
// those with work instead of being lost. (When an update starts while another's slice has already run in the
// same turn, that turn may go over by the difference of the two shares, once.) A game that drives its clock
// hands its spare time over with trainFor, which goes to the behaviours that have work as well.
import type { Agent } from '../agent/agent.js';

/** Whether the agent's updates run in the game's thread in frame-budget slices (CPU backend, no worker). */
export function slicesInThread(agent: Agent): boolean {
  return agent.backend === 'cpu' && agent.options.trainInWorker === false;
}

/**
 * Sets every agent's frameBudgetMs to its share of `budgetMs`: the budget over the agents that slice in the
 * game's thread (0 stays 0: updates run whole). Returns the share.
 */
export function shareFrameBudget(agents: readonly Agent[], budgetMs: number): number {
  let slicing = 0;
  for (const agent of agents) if (slicesInThread(agent)) slicing++;
  const share = budgetMs / Math.max(1, slicing);
  for (const agent of agents) agent.frameBudgetMs = share;
  return share;
}

/**
 * A slice's budget now: `budgetMs` over the agents that slice in the game's thread and have updates queued
 * or running (at least the one asking). Allocates nothing (read before every slice).
 */
export function activeShare(agents: readonly Agent[], budgetMs: number): number {
  let busy = 0;
  for (const agent of agents) if (agent.pendingUpdates > 0 && slicesInThread(agent)) busy++;
  return budgetMs / Math.max(1, busy);
}

/**
 * Runs the updates in progress for up to `ms` in all, starting with agent `first` and going round: each
 * agent with pending updates gets an equal part of what is left, so what one leaves unused goes to the next.
 * Returns the ms used. Allocates nothing (a game calls it every frame).
 */
export function spreadTraining(agents: readonly Agent[], ms: number, first: number): number {
  const n = agents.length;
  let busy = 0;
  for (const agent of agents) if (agent.pendingUpdates > 0) busy++;
  let used = 0;
  for (let i = 0; i < n && busy > 0; i++) {
    const agent = agents[(first + i) % n];
    if (agent.pendingUpdates === 0) continue;
    const part = (ms - used) / busy--;
    if (part <= 0) break;
    used += agent.trainFor(part);
  }
  return used;
}
