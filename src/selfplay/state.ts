// Self-play's part of a checkpoint: the pool, the ratings, the opponents, the schedule's counters and the
// draw generator, as `self_play.*` tensors. Loading checks every value and that the counters agree with each
// other and with the settings, so a restored SelfPlay continues exactly as the saved one would have.
// Opponents that left the pool are saved once per snapshot, not once per team: teams playing the same
// snapshot share its rating, so a game against one moves the rating the others see.
import { CheckpointError, type Tensor } from '../policy/safetensors.js';
import type { ResolvedSelfPlayOptions } from './options.js';
import type { Snapshot } from './pool.js';
import type { Opponent, SelfPlay } from './self-play.js';

/** The tensor names of self-play's checkpoint part. */
export const SELF_PLAY_TENSORS = [
  'self_play.pool.parameters', 'self_play.pool.elo', 'self_play.elo', 'self_play.counters',
  'self_play.opponent.slot', 'self_play.opponent.in_pool', 'self_play.opponent.elo', 'self_play.opponent.parameters', 'self_play.opponent.row', 'self_play.rng',
] as const;

/** The name of an opponent team's action-draw generator (saved by OpponentPolicy, not by SelfPlay). */
export function opponentRngTensor(team: number): string {
  return `self_play.opponent_rng.${team}`;
}

/** The name of a recurrent opponent team's slot states (saved by OpponentPolicy, not by SelfPlay). */
export function opponentMemoryTensor(team: number): string {
  return `self_play.opponent_memory.${team}`;
}

/** The order of `self_play.counters`. */
const COUNTERS = ['trainedSteps', 'opponentSteps', 'lastSave', 'lastSwap', 'lastTeamChange', 'learningTeam', 'nextSlot'] as const;
const LEARNING = -2;
const LATEST = -1;

/** Everything a SelfPlay needs to continue exactly, as `self_play.*` tensors. */
export function encodeSelfPlay(sp: SelfPlay): Map<string, Tensor> {
  const { pool, schedule, options } = sp;
  const P = pool.parameterCount;
  const teams = options.teams;
  const poolParameters = new Float32Array(pool.size * P);
  const poolElo = new Float64Array(pool.size);
  for (let i = 0; i < pool.size; i++) {
    poolParameters.set(pool.at(i).parameters, i * P);
    poolElo[i] = pool.at(i).elo;
  }
  const slot = new Int32Array(teams);
  const inPool = new Uint8Array(teams);
  const opponentElo = new Float64Array(teams);
  const row = new Int32Array(teams).fill(-1);
  // One row per distinct detached snapshot (or 'latest' freeze), in order of first appearance.
  const detached: Float32Array[] = [];
  sp.opponents.forEach((o, t) => {
    if (o === null) return void (slot[t] = LEARNING);
    slot[t] = o.snapshot === null ? LATEST : o.slot;
    inPool[t] = o.snapshot !== null && pool.at(o.slot) === o.snapshot ? 1 : 0;
    if (o.snapshot !== null) opponentElo[t] = o.snapshot.elo;
    if (inPool[t] === 1) return;
    const shared = sp.opponents.findIndex((other) => other !== null && (o.snapshot === null ? other.snapshot === null && other.parameters === o.parameters : other.snapshot === o.snapshot));
    row[t] = shared < t ? row[shared] : detached.push(o.parameters) - 1;
  });
  const opponentParameters = new Float32Array(detached.length * P);
  detached.forEach((p, i) => opponentParameters.set(p, i * P));
  const c = schedule.counters();
  const counters = Float64Array.from(COUNTERS.map((k) => (k === 'learningTeam' ? sp.team : k === 'nextSlot' ? pool.next : c[k])));
  const { state, inc } = sp.rng.getState();
  const rng = new Int32Array(4);
  new BigUint64Array(rng.buffer).set([state, inc]);
  return new Map<string, Tensor>([
    ['self_play.pool.parameters', { dtype: 'F32', shape: [pool.size, P], data: poolParameters }],
    ['self_play.pool.elo', { dtype: 'F64', shape: [pool.size], data: poolElo }],
    ['self_play.elo', { dtype: 'F64', shape: [1], data: Float64Array.of(sp.learnerElo) }],
    ['self_play.counters', { dtype: 'F64', shape: [COUNTERS.length], data: counters }],
    ['self_play.opponent.slot', { dtype: 'I32', shape: [teams], data: slot }],
    ['self_play.opponent.in_pool', { dtype: 'U8', shape: [teams], data: inPool }],
    ['self_play.opponent.elo', { dtype: 'F64', shape: [teams], data: opponentElo }],
    ['self_play.opponent.parameters', { dtype: 'F32', shape: [detached.length, P], data: opponentParameters }],
    ['self_play.opponent.row', { dtype: 'I32', shape: [teams], data: row }],
    ['self_play.rng', { dtype: 'I32', shape: [4], data: rng }],
  ]);
}

/** The decoded, validated contents of the `self_play.*` tensors, ready to install into a fresh SelfPlay. */
export interface DecodedSelfPlay {
  snapshots: Snapshot[];
  next: number;
  elo: number;
  team: number;
  counters: { trainedSteps: number; opponentSteps: number; lastSave: number; lastSwap: number; lastTeamChange: number };
  opponents: (Opponent | null)[];
  rng: { state: bigint; inc: bigint };
}

/**
 * Reads and checks the `self_play.*` tensors against the settings and the parameter count; any other tensor
 * in `tensors` is ignored. Throws a CheckpointError naming the tensor on anything webppo could not have saved.
 */
export function decodeSelfPlay(options: ResolvedSelfPlayOptions, parameterCount: number, tensors: ReadonlyMap<string, Tensor>): DecodedSelfPlay {
  const { teams, window } = options;
  const opponentTensors = Array.from({ length: teams }, (_, t) => [opponentRngTensor(t), opponentMemoryTensor(t)]).flat();
  for (const name of tensors.keys()) {
    if (name.startsWith('self_play.') && !(SELF_PLAY_TENSORS as readonly string[]).includes(name) && !opponentTensors.includes(name)) {
      bad(name, `a self-play tensor (${SELF_PLAY_TENSORS.join(', ')}, self_play.opponent_rng.<team>, self_play.opponent_memory.<team>)`, 'an unknown tensor');
    }
  }
  const P = parameterCount;
  const poolTensor = tensors.get('self_play.pool.parameters');
  const size = poolTensor?.shape[0] ?? 0;
  if (!Number.isInteger(size) || size < 1 || size > window) bad('self_play.pool.parameters', `F32 [1 to ${window} (selfPlay.window), ${P}]`, poolTensor ? `${poolTensor.dtype} [${poolTensor.shape}]` : 'missing');
  const poolParameters = finite('self_play.pool.parameters', take(tensors, 'self_play.pool.parameters', 'F32', [size, P]));
  const poolElo = finite('self_play.pool.elo', take(tensors, 'self_play.pool.elo', 'F64', [size]));
  const elo = finite('self_play.elo', take(tensors, 'self_play.elo', 'F64', [1]))[0];
  const raw = take(tensors, 'self_play.counters', 'F64', [COUNTERS.length]);
  const c = {} as Record<(typeof COUNTERS)[number], number>;
  COUNTERS.forEach((key, i) => {
    if (!Number.isSafeInteger(raw[i]) || raw[i] < 0) bad(`self_play.counters[${i}]`, `${key}: an integer >= 0`, raw[i]);
    c[key] = raw[i];
  });
  const counter = (key: (typeof COUNTERS)[number], ok: boolean, expected: string) => ok || bad(`self_play.counters[${COUNTERS.indexOf(key)}]`, `${key}: ${expected}`, c[key]);
  counter('lastSave', c.lastSave <= c.trainedSteps && c.trainedSteps - c.lastSave <= options.saveSteps, `in [trainedSteps - ${options.saveSteps} (selfPlay.saveSteps), trainedSteps = ${c.trainedSteps}]`);
  counter('lastTeamChange', c.lastTeamChange <= c.trainedSteps && c.trainedSteps - c.lastTeamChange <= options.teamChange, `in [trainedSteps - ${options.teamChange} (selfPlay.teamChange), trainedSteps = ${c.trainedSteps}]`);
  counter('lastSwap', c.lastSwap <= c.opponentSteps && c.opponentSteps - c.lastSwap <= options.swapSteps, `in [opponentSteps - ${options.swapSteps} (selfPlay.swapSteps), opponentSteps = ${c.opponentSteps}]`);
  counter('learningTeam', c.learningTeam < teams, `less than ${teams} (selfPlay.teams)`);
  counter('nextSlot', size < window ? c.nextSlot === size : c.nextSlot < window, size < window ? `${size} (the pool is not full)` : `less than ${window} (selfPlay.window)`);
  const snapshots: Snapshot[] = [];
  for (let i = 0; i < size; i++) snapshots.push({ parameters: poolParameters.slice(i * P, (i + 1) * P), elo: poolElo[i] });

  const slot = take(tensors, 'self_play.opponent.slot', 'I32', [teams]);
  const inPool = take(tensors, 'self_play.opponent.in_pool', 'U8', [teams]);
  const opponentElo = finite('self_play.opponent.elo', take(tensors, 'self_play.opponent.elo', 'F64', [teams]));
  // Checkpoints of the release before have no self_play.opponent.row: one row per detached team then.
  const savedRows = tensors.has('self_play.opponent.row') ? take(tensors, 'self_play.opponent.row', 'I32', [teams]) : null;
  let detached = 0;
  const rowOf = new Int32Array(teams).fill(-1);
  const firstTeamOf: number[] = [];
  for (let t = 0; t < teams; t++) {
    const learning = t === c.learningTeam;
    const s = slot[t];
    if (learning ? s !== LEARNING : s !== LATEST && !(s >= 0 && s < size)) bad(`self_play.opponent.slot[${t}]`, learning ? `${LEARNING} (team ${t} is learning)` : `-1 (latest) or a pool slot in [0, ${size - 1}]`, s);
    if (inPool[t] > 1 || (inPool[t] === 1 && s < 0)) bad(`self_play.opponent.in_pool[${t}]`, s < 0 ? '0 (no pool snapshot)' : '0 or 1', inPool[t]);
    const expectedElo = s < 0 ? 0 : inPool[t] === 1 ? poolElo[s] : opponentElo[t];
    if (opponentElo[t] !== expectedElo) bad(`self_play.opponent.elo[${t}]`, s < 0 ? '0 (no snapshot)' : `${expectedElo} (the rating of pool slot ${s})`, opponentElo[t]);
    const ownRow = !learning && inPool[t] === 0;
    // The release before saved one row per detached team, in team order.
    const r = savedRows === null ? (ownRow ? detached : -1) : savedRows[t];
    if (!ownRow) {
      if (r !== -1) bad(`self_play.opponent.row[${t}]`, `-1 (team ${t} ${learning ? 'is learning' : 'plays a pool snapshot'})`, r);
      continue;
    }
    // Rows are numbered in order of first appearance: a team reuses an earlier row or opens the next one.
    if (!(r >= 0 && r <= detached)) bad(`self_play.opponent.row[${t}]`, `a row in [0, ${detached}] (an earlier team's or the next one)`, r);
    if (r === detached) {
      firstTeamOf.push(t);
      detached++;
    } else {
      const first = firstTeamOf[r];
      if (slot[first] !== s || opponentElo[first] !== opponentElo[t]) {
        bad(`self_play.opponent.row[${t}]`, `a row whose snapshot has slot ${s} and rating ${opponentElo[t]} (row ${r} is team ${first}'s: slot ${slot[first]}, rating ${opponentElo[first]})`, r);
      }
    }
    rowOf[t] = r;
  }
  const opponentParameters = finite('self_play.opponent.parameters', take(tensors, 'self_play.opponent.parameters', 'F32', [detached, P]));
  const opponents: (Opponent | null)[] = [];
  for (let t = 0; t < teams; t++) {
    if (t === c.learningTeam) {
      opponents.push(null);
    } else if (inPool[t] === 1) {
      const snapshot = snapshots[slot[t]];
      opponents.push({ slot: slot[t], snapshot, parameters: snapshot.parameters });
    } else if (firstTeamOf[rowOf[t]] !== t) {
      opponents.push({ ...opponents[firstTeamOf[rowOf[t]]]!, slot: slot[t] }); // the same snapshot object: one rating
    } else {
      const parameters = opponentParameters.slice(rowOf[t] * P, (rowOf[t] + 1) * P);
      opponents.push({ slot: slot[t], snapshot: slot[t] === LATEST ? null : { parameters, elo: opponentElo[t] }, parameters });
    }
  }
  const words = take(tensors, 'self_play.rng', 'I32', [4]);
  const [state, inc] = new BigUint64Array(words.slice().buffer);
  if ((inc & 1n) === 0n) bad('self_play.rng', 'a PCG32 state whose increment is odd', `increment ${inc}`);
  const { trainedSteps, opponentSteps, lastSave, lastSwap, lastTeamChange } = c;
  return {
    snapshots, next: c.nextSlot, elo, team: c.learningTeam,
    counters: { trainedSteps, opponentSteps, lastSave, lastSwap, lastTeamChange }, opponents, rng: { state, inc },
  };
}

type DataOf<D extends Tensor['dtype']> = D extends 'F32' ? Float32Array : D extends 'F64' ? Float64Array : D extends 'I32' ? Int32Array : Uint8Array;

function take<D extends Tensor['dtype']>(tensors: ReadonlyMap<string, Tensor>, name: string, dtype: D, shape: readonly number[]): DataOf<D> {
  const t = tensors.get(name);
  if (!t) throw new CheckpointError(`checkpoint: tensor ${name} is missing (self-play state)`, name);
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) bad(name, `${dtype} [${shape}]`, `${t.dtype} [${t.shape}]`);
  return t.data as DataOf<D>;
}

function finite<T extends Float32Array | Float64Array>(name: string, data: T): T {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad(`${name}[${i}]`, 'a finite number', data[i]);
  return data;
}

function bad(field: string, expected: string, actual: unknown): never {
  const name = field.replace(/\[.*$/, '');
  throw new CheckpointError(`checkpoint: tensor ${field}: expected ${expected}, got ${typeof actual === 'string' ? actual : String(actual)}`, name);
}
