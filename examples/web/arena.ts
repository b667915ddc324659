// The demo game's rules, with no rendering: a square arena in which numAgents agents chase food and dodge
// moving hazards. It is a Gymnasium-style VectorEnv (one env per agent, all in one shared world, same-step
// autoreset), seeded and deterministic, so it runs headless in tests and benchmarks exactly as on screen.
// step() allocates nothing: the arrays it returns are reused and overwritten by the next step.
import { Box, Discrete, type VectorEnv } from 'webppo';

export interface ArenaOptions {
  numAgents?: number;
  numFood?: number;
  numHazards?: number;
  /** Steps after which an agent's episode is truncated. */
  maxEpisodeSteps?: number;
  seed?: number;
}

/** Floats per observation: velocity, position, then the 2 nearest foods and hazards (direction, closeness). */
export const ARENA_OBSERVATION_SIZE = 16;
/** Actions: stay, up, down, left, right. */
export const ARENA_ACTIONS = 5;

const AGENT_RADIUS = 0.016;
const FOOD_RADIUS = 0.01;
const SPEED = 0.009;
/** Fraction of the old velocity kept each step: agents glide instead of snapping between directions. */
const INERTIA = 0.55;
const HAZARD_SPEED = 0.0035;
/** Reward per unit of distance closed on the nearest food (a shaping term that speeds up learning). */
const APPROACH_REWARD = 2;
const FOOD_REWARD = 1;
const HAZARD_REWARD = -1;
const MOVES = [[0, 0], [0, -1], [0, 1], [-1, 0], [1, 0]] as const;

/** xorshift32 (Marsaglia): small, fast and seedable; good enough to place things in a game. */
class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed ^ 0x9e3779b9) >>> 0 || 1; for (let i = 0; i < 4; i++) this.next(); }
  next(): number {
    let s = this.s;
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    this.s = s;
    return s / 4294967296;
  }
}

function positiveInteger(field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`Arena ${field}: expected an integer >= ${min}, got ${value}`);
  return value;
}

export class Arena implements VectorEnv {
  readonly numEnvs: number;
  readonly numFood: number;
  readonly numHazards: number;
  readonly maxEpisodeSteps: number;
  readonly observationSpace = Box(ARENA_OBSERVATION_SIZE, -1, 1);
  readonly actionSpace = Discrete(ARENA_ACTIONS);

  // World state, read by the renderer.
  readonly agentX: Float32Array; readonly agentY: Float32Array;
  readonly agentVX: Float32Array; readonly agentVY: Float32Array;
  readonly foodX: Float32Array; readonly foodY: Float32Array;
  readonly hazardX: Float32Array; readonly hazardY: Float32Array;
  readonly hazardVX: Float32Array; readonly hazardVY: Float32Array; readonly hazardR: Float32Array;
  /** Steps and return of each agent's current episode. */
  readonly episodeLength: Int32Array; readonly episodeReturn: Float32Array;
  /** 1 where the agent ate this step (for effects). */
  readonly ate: Uint8Array;
  /** Where each agent's last episode ended (the agent itself has respawned elsewhere). */
  readonly endX: Float32Array; readonly endY: Float32Array;

  private readonly obs: Float32Array;
  private readonly finalObs: Float32Array;
  private readonly reward: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  /** Return of the episode that ended this step, NaN for agents whose episode goes on. */
  private readonly finishedReturn: Float32Array;
  private readonly targetFood: Int32Array;
  /** Bumped each time a food is placed, so a respawned food is not mistaken for the one being chased. */
  private readonly foodGeneration: Int32Array;
  private readonly targetGeneration: Int32Array;
  private readonly targetDistance: Float32Array;
  private readonly info: { finalObservation: Float32Array; episodeReturn: Float32Array };
  private rng: Rng;
  private seed: number;

  constructor(options: ArenaOptions = {}) {
    const n = this.numEnvs = positiveInteger('numAgents', options.numAgents ?? 16, 1);
    this.numFood = positiveInteger('numFood', options.numFood ?? Math.max(12, Math.round(n * 0.75)), 1);
    this.numHazards = positiveInteger('numHazards', options.numHazards ?? 5, 0);
    this.maxEpisodeSteps = positiveInteger('maxEpisodeSteps', options.maxEpisodeSteps ?? 400, 1);
    this.seed = options.seed ?? 0;
    this.rng = new Rng(this.seed);
    const f32 = (k: number) => new Float32Array(k);
    this.agentX = f32(n); this.agentY = f32(n); this.agentVX = f32(n); this.agentVY = f32(n);
    this.foodX = f32(this.numFood); this.foodY = f32(this.numFood);
    const h = this.numHazards;
    this.hazardX = f32(h); this.hazardY = f32(h); this.hazardVX = f32(h); this.hazardVY = f32(h); this.hazardR = f32(h);
    this.episodeLength = new Int32Array(n); this.episodeReturn = f32(n);
    this.ate = new Uint8Array(n);
    this.endX = f32(n); this.endY = f32(n);
    this.obs = f32(n * ARENA_OBSERVATION_SIZE); this.finalObs = f32(n * ARENA_OBSERVATION_SIZE);
    this.reward = f32(n); this.terminated = new Uint8Array(n); this.truncated = new Uint8Array(n);
    this.finishedReturn = f32(n).fill(NaN);
    this.targetFood = new Int32Array(n); this.targetDistance = f32(n);
    this.foodGeneration = new Int32Array(this.numFood); this.targetGeneration = new Int32Array(n);
    this.info = { finalObservation: this.finalObs, episodeReturn: this.finishedReturn };
  }

  /** Rebuilds the whole world from the seed (the last one given, or the constructor's). */
  reset(options: { seed?: number } = {}): { observation: Float32Array; info: Record<string, unknown> } {
    if (options.seed !== undefined) this.seed = options.seed;
    this.rng = new Rng(this.seed);
    for (let i = 0; i < this.numHazards; i++) {
      this.hazardR[i] = 0.035 + 0.025 * this.rng.next();
      this.hazardX[i] = 0.1 + 0.8 * this.rng.next();
      this.hazardY[i] = 0.1 + 0.8 * this.rng.next();
      const angle = 2 * Math.PI * this.rng.next();
      this.hazardVX[i] = HAZARD_SPEED * Math.cos(angle);
      this.hazardVY[i] = HAZARD_SPEED * Math.sin(angle);
    }
    for (let i = 0; i < this.numFood; i++) this.placeFood(i);
    for (let e = 0; e < this.numEnvs; e++) this.spawn(e);
    this.finishedReturn.fill(NaN);
    for (let e = 0; e < this.numEnvs; e++) this.observe(e, this.obs);
    return { observation: this.obs, info: {} };
  }

  /** actions: one of 0..4 per agent. */
  step(actions: Int32Array | Float32Array | ArrayLike<number>) {
    const n = this.numEnvs;
    if (actions.length !== n) throw new RangeError(`Arena step(actions): expected ${n} actions, got ${actions.length}`);
    for (let e = 0; e < n; e++) {
      const a = actions[e];
      if (!(a >= 0 && a < ARENA_ACTIONS) || a !== Math.floor(a)) throw new RangeError(`Arena step(actions)[${e}]: expected an integer in [0, ${ARENA_ACTIONS - 1}], got ${a}`);
    }
    this.moveHazards();
    for (let e = 0; e < n; e++) {
      const move = MOVES[actions[e]];
      this.agentVX[e] = INERTIA * this.agentVX[e] + (1 - INERTIA) * SPEED * move[0];
      this.agentVY[e] = INERTIA * this.agentVY[e] + (1 - INERTIA) * SPEED * move[1];
      this.agentX[e] = clamp(this.agentX[e] + this.agentVX[e], AGENT_RADIUS, 1 - AGENT_RADIUS);
      this.agentY[e] = clamp(this.agentY[e] + this.agentVY[e], AGENT_RADIUS, 1 - AGENT_RADIUS);
    }
    for (let e = 0; e < n; e++) {
      let reward = 0;
      // Shaping only while the same food stays the nearest: a jump to another food is not progress.
      const previous = this.targetFood[e];
      const previousGeneration = this.targetGeneration[e];
      const previousDistance = this.targetDistance[e];
      this.findTarget(e);
      if (this.targetFood[e] === previous && this.foodGeneration[previous] === previousGeneration) reward += APPROACH_REWARD * (previousDistance - this.targetDistance[e]);
      this.ate[e] = 0;
      const food = this.targetFood[e];
      if (this.targetDistance[e] < AGENT_RADIUS + FOOD_RADIUS) {
        reward += FOOD_REWARD;
        this.ate[e] = 1;
        this.placeFood(food);
      }
      let hit = false;
      for (let i = 0; i < this.numHazards; i++) {
        if (Math.hypot(this.agentX[e] - this.hazardX[i], this.agentY[e] - this.hazardY[i]) < this.hazardR[i] + AGENT_RADIUS) hit = true;
      }
      if (hit) reward += HAZARD_REWARD;
      this.reward[e] = reward;
      this.episodeReturn[e] += reward;
      this.episodeLength[e]++;
      this.terminated[e] = hit ? 1 : 0;
      this.truncated[e] = !hit && this.episodeLength[e] >= this.maxEpisodeSteps ? 1 : 0;
    }
    // Observations after everyone moved and ate; ended episodes keep theirs as final and respawn.
    for (let e = 0; e < n; e++) {
      if (this.terminated[e] || this.truncated[e]) {
        this.observe(e, this.finalObs);
        this.finishedReturn[e] = this.episodeReturn[e];
        this.endX[e] = this.agentX[e]; this.endY[e] = this.agentY[e];
        this.spawn(e);
      } else {
        this.finishedReturn[e] = NaN;
      }
      this.observe(e, this.obs);
    }
    return { observation: this.obs, reward: this.reward, terminated: this.terminated, truncated: this.truncated, info: this.info };
  }

  private spawn(e: number): void {
    // Away from hazards, so no episode starts with an unavoidable hit.
    for (let tries = 0; tries < 32; tries++) {
      this.agentX[e] = 0.05 + 0.9 * this.rng.next();
      this.agentY[e] = 0.05 + 0.9 * this.rng.next();
      if (this.hazardClearance(this.agentX[e], this.agentY[e]) > 0.08) break;
    }
    this.agentVX[e] = 0; this.agentVY[e] = 0;
    this.episodeLength[e] = 0; this.episodeReturn[e] = 0;
    this.findTarget(e);
  }

  private placeFood(i: number): void {
    this.foodGeneration[i]++;
    for (let tries = 0; tries < 32; tries++) {
      this.foodX[i] = 0.04 + 0.92 * this.rng.next();
      this.foodY[i] = 0.04 + 0.92 * this.rng.next();
      if (this.hazardClearance(this.foodX[i], this.foodY[i]) > 0.04) break;
    }
  }

  private hazardClearance(x: number, y: number): number {
    let clearance = Infinity;
    for (let i = 0; i < this.numHazards; i++) clearance = Math.min(clearance, Math.hypot(x - this.hazardX[i], y - this.hazardY[i]) - this.hazardR[i]);
    return clearance;
  }

  private moveHazards(): void {
    for (let i = 0; i < this.numHazards; i++) {
      const r = this.hazardR[i];
      this.hazardX[i] += this.hazardVX[i];
      this.hazardY[i] += this.hazardVY[i];
      if (this.hazardX[i] < r || this.hazardX[i] > 1 - r) { this.hazardVX[i] = -this.hazardVX[i]; this.hazardX[i] = clamp(this.hazardX[i], r, 1 - r); }
      if (this.hazardY[i] < r || this.hazardY[i] > 1 - r) { this.hazardVY[i] = -this.hazardVY[i]; this.hazardY[i] = clamp(this.hazardY[i], r, 1 - r); }
    }
  }

  private findTarget(e: number): void {
    let best = 0, bestDistance = Infinity;
    for (let i = 0; i < this.numFood; i++) {
      const d = Math.hypot(this.foodX[i] - this.agentX[e], this.foodY[i] - this.agentY[e]);
      if (d < bestDistance) { bestDistance = d; best = i; }
    }
    this.targetFood[e] = best;
    this.targetGeneration[e] = this.foodGeneration[best];
    this.targetDistance[e] = bestDistance;
  }

  /** Writes agent e's observation row: all entries in [-1, 1]. */
  private observe(e: number, out: Float32Array): void {
    const o = e * ARENA_OBSERVATION_SIZE;
    const x = this.agentX[e], y = this.agentY[e];
    out[o] = this.agentVX[e] / SPEED; out[o + 1] = this.agentVY[e] / SPEED;
    out[o + 2] = 2 * x - 1; out[o + 3] = 2 * y - 1;
    // Two nearest foods, then two nearest hazards (distance to their edge): unit direction and closeness.
    let f1 = -1, f2 = -1, d1 = Infinity, d2 = Infinity;
    for (let i = 0; i < this.numFood; i++) {
      const d = Math.hypot(this.foodX[i] - x, this.foodY[i] - y);
      if (d < d1) { f2 = f1; d2 = d1; f1 = i; d1 = d; } else if (d < d2) { f2 = i; d2 = d; }
    }
    writeThing(out, o + 4, x, y, this.foodX, this.foodY, f1, d1);
    writeThing(out, o + 7, x, y, this.foodX, this.foodY, f2, d2);
    let h1 = -1, h2 = -1, e1 = Infinity, e2 = Infinity;
    for (let i = 0; i < this.numHazards; i++) {
      const d = Math.hypot(this.hazardX[i] - x, this.hazardY[i] - y) - this.hazardR[i];
      if (d < e1) { h2 = h1; e2 = e1; h1 = i; e1 = d; } else if (d < e2) { h2 = i; e2 = d; }
    }
    writeThing(out, o + 10, x, y, this.hazardX, this.hazardY, h1, e1);
    writeThing(out, o + 13, x, y, this.hazardX, this.hazardY, h2, e2);
  }
}

/** Direction (unit vector) and closeness (1 at contact, 0 at distance >= 1) of thing i; zeros when absent. */
function writeThing(out: Float32Array, o: number, x: number, y: number, xs: Float32Array, ys: Float32Array, i: number, distance: number): void {
  if (i < 0) { out[o] = 0; out[o + 1] = 0; out[o + 2] = 0; return; }
  const dx = xs[i] - x, dy = ys[i] - y;
  const norm = Math.hypot(dx, dy) || 1;
  out[o] = dx / norm; out[o + 1] = dy / norm;
  out[o + 2] = 1 - clamp(distance, 0, 1);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
