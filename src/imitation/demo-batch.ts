// From recorded steps to what a trainer clones: the rows of one or more demonstrations (their spaces must
// match) with the discounted return of each step, computed per slot stream, and those streams.
import type { DemoBatch } from '../backend/trainer.js';
import { checkNumber, fail } from '../errors.js';
import { sameSpace } from '../policy/checkpoint.js';
import type { Demonstration } from './demonstration.js';

/**
 * Every step of `demonstrations` as one DemoBatch, with what a recurrent network replays them by: each slot of
 * each demonstration is one stream (`streams`), its episode ends (terminated or truncated) in `episodeEnds`.
 * returns[t] = r_t + gamma (1 - done_t) returns[t'] where t'
 * is the same slot's next step in the same demonstration; an episode that the recording cut off (no end
 * recorded) and a truncated one bootstrap from 0, since a demonstration holds no value estimates.
 */
export function demonstrationBatch(demonstrations: Demonstration | readonly Demonstration[], gamma = 0.99): DemoBatch {
  const list = Array.isArray(demonstrations) ? demonstrations : [demonstrations as Demonstration];
  if (list.length === 0) fail('demonstrations', 'at least one demonstration', list);
  checkNumber('gamma', gamma, 0, 1);
  const first = list[0];
  list.forEach((d, i) => {
    if (!sameSpace(d.observationSpace, first.observationSpace)) fail(`demonstrations[${i}].observationSpace`, 'the same space as demonstrations[0]', d.observationSpace);
    if (!sameSpace(d.actionSpace, first.actionSpace)) fail(`demonstrations[${i}].actionSpace`, 'the same space as demonstrations[0]', d.actionSpace);
  });
  const rows = list.reduce((s, d) => s + d.steps, 0);
  if (rows === 0) fail('demonstrations', 'at least one recorded step', 0);
  const concat = <A extends Float32Array | Int32Array | Uint8Array>(pick: (d: Demonstration) => A): A => {
    const parts = list.map(pick);
    const out = new (parts[0].constructor as { new (n: number): A })(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const returns = new Float32Array(rows);
  // A recorded agent is one slot of one demonstration: its steps there are in time order.
  const streams = new Int32Array(rows);
  const episodeEnds = new Uint8Array(rows);
  let offset = 0;
  let nextStream = 0;
  for (const d of list) {
    const ids = new Map<number, number>();
    for (let t = 0; t < d.steps; t++) {
      let id = ids.get(d.slots[t]);
      if (id === undefined) ids.set(d.slots[t], (id = nextStream++));
      streams[offset + t] = id;
      episodeEnds[offset + t] = d.terminated[t] | d.truncated[t];
    }
    offset += d.steps;
  }
  offset = 0;
  for (const d of list) {
    const following = new Map<number, number>();
    for (let t = d.steps - 1; t >= 0; t--) {
      const done = d.terminated[t] || d.truncated[t];
      const g = d.rewards[t] + (done ? 0 : gamma * (following.get(d.slots[t]) ?? 0));
      following.set(d.slots[t], g);
      returns[offset + t] = g;
    }
    offset += d.steps;
  }
  return {
    rows, observations: concat((d) => d.observations), actions: concat((d) => d.actions),
    ...(first.masks ? { masks: concat((d) => d.masks!) } : {}), returns, streams, episodeEnds,
  };
}
