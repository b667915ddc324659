// An independent model of ML-Agents' GhostTrainer.advance() and GhostController for the self-play tests:
// written from ML-Agents' trainer as a direct transcription (a deque of team ids, a snapshot list indexed by
// a wrapping counter, ratings per snapshot id), sharing nothing with src/selfplay but the draw generator.
import { PCG32 } from '../../src/rng.js';
import { SELF_PLAY_RNG_STREAM } from '../../src/selfplay/self-play.js';

export interface ModelOptions {
  saveSteps: number;
  window: number;
  swapSteps: number;
  teamChange: number;
  playAgainstLatestModelRatio: number;
  initialElo: number;
  eloK: number;
  teams: number;
}

interface ModelOpponent {
  /** Index into snapshots, or 'current'. */
  x: number | 'current';
  /** The id of the snapshot it plays (its rating lives in `ratings`), or -1 for the current policy. */
  id: number;
  weights: Float32Array;
}

export class GhostModel {
  stepCount = 0;
  ghostStep = 0;
  lastSave = 0;
  lastSwap = 0;
  lastTeamChange = 0;
  queue: number[] = [];
  learningTeam = 0;
  snapshots: { id: number; weights: Float32Array }[] = [];
  snapshotCounter = 0;
  ratings = new Map<number, number>();
  currentElo: number;
  opponents = new Map<number, ModelOpponent>();
  private nextId = 0;
  private readonly rng: PCG32;

  constructor(readonly o: ModelOptions, initial: Float32Array, seed: number) {
    this.rng = new PCG32(seed, SELF_PLAY_RNG_STREAM);
    for (let t = 1; t < o.teams; t++) this.queue.push(t);
    this.currentElo = o.initialElo;
    this.saveSnapshot(initial);
    for (let t = 1; t < o.teams; t++) this.opponents.set(t, { x: 0, id: this.snapshots[0].id, weights: this.snapshots[0].weights });
  }

  advance(trainerSteps: number, ghostSteps: number, current: Float32Array): void {
    this.stepCount += trainerSteps;
    this.ghostStep += ghostSteps;
    const previous = this.learningTeam;
    if (this.stepCount - this.lastTeamChange > this.o.teamChange) {
      this.queue.push(this.learningTeam);
      this.learningTeam = this.queue.shift()!;
      this.lastTeamChange = this.stepCount;
    }
    if (this.stepCount - this.lastSave > this.o.saveSteps) {
      this.saveSnapshot(current);
      this.lastSave = this.stepCount;
    }
    if (previous !== this.learningTeam || this.ghostStep - this.lastSwap > this.o.swapSteps) {
      this.opponents.delete(this.learningTeam);
      for (let team = 0; team < this.o.teams; team++) {
        if (team === this.learningTeam) continue;
        if (this.rng.nextFloat() < 1 - this.o.playAgainstLatestModelRatio) {
          const x = Math.floor(this.rng.nextFloat() * this.snapshots.length);
          this.opponents.set(team, { x, id: this.snapshots[x].id, weights: this.snapshots[x].weights });
        } else {
          this.opponents.set(team, { x: 'current', id: -1, weights: current.slice() });
        }
      }
      this.lastSwap = this.ghostStep;
    }
  }

  /** result 1 / 0.5 / 0 from the learning team's side. */
  report(result: number, team: number): void {
    const opponent = this.opponents.get(team)!;
    if (opponent.id < 0) return; // against the learner's own rating: the changes cancel
    const r1 = 10 ** (this.currentElo / 400);
    const r2 = 10 ** (this.ratings.get(opponent.id)! / 400);
    const change = this.o.eloK * (result - r1 / (r1 + r2));
    this.ratings.set(opponent.id, this.ratings.get(opponent.id)! - change);
    this.currentElo += change;
  }

  private saveSnapshot(weights: Float32Array): void {
    const id = this.nextId++;
    this.ratings.set(id, this.currentElo);
    this.snapshots[this.snapshotCounter] = { id, weights: weights.slice() };
    this.snapshotCounter = (this.snapshotCounter + 1) % this.o.window;
  }
}
