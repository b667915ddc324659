// A two-team competitive env: two paddles and one ball, first to `pointsToWin` points. Each side observes the
// world mirrored so that it always plays from the left, so one policy can play both sides (self-play).
import { checkInteger, checkKeys, checkNumber, fail, failState } from '../../errors.js';
import { PCG32 } from '../../rng.js';
import { Box, Discrete } from '../../spaces.js';
import type { EnvAction, Info } from '../env.js';
import type { ParallelEnv, ParallelResetResult, ParallelStepResult } from '../parallel.js';
import { DUEL_PHYSICS, type DuelPhysics, foldY } from './physics.js';
import type { GameResult } from '../../selfplay/elo.js';

/** The two sides of a {@link PaddleDuel}. */
export type DuelSide = 'left' | 'right';

/** Actions of a {@link PaddleDuel} side: move up (+y), stay, move down (-y). */
export const DUEL_ACTIONS = Object.freeze({ up: 0, stay: 1, down: 2 } as const);

/** Options of {@link PaddleDuel}. */
export interface PaddleDuelOptions {
  /** Points that win the game (default 5); reaching them terminates the episode. */
  pointsToWin?: number;
  /** Steps after which the game is cut short (truncated; default 3000); the side ahead wins. */
  maxSteps?: number;
  /** Shaping reward for returning the ball (default 0: rewards are zero-sum, +1 per point won, -1 per point lost). */
  hitReward?: number;
  /** Physical constants to change (defaults: {@link DUEL_PHYSICS}). */
  physics?: Partial<DuelPhysics>;
}

/**
 * The state of a {@link PaddleDuel} in field coordinates (x and y in [-1, 1], the left paddle at x = -paddleX).
 * Velocities are per step.
 */
export interface DuelState {
  /** Ball center x. */
  ballX: number;
  /** Ball center y. */
  ballY: number;
  /** Ball velocity x (per step). */
  ballVx: number;
  /** Ball velocity y (per step). */
  ballVy: number;
  /** Left paddle center y. */
  leftY: number;
  /** Right paddle center y. */
  rightY: number;
  /** Points of the left side. */
  leftScore: number;
  /** Points of the right side. */
  rightScore: number;
  /** Steps since reset. */
  steps: number;
}

/** The info each side gets in the step that ends the game. */
export interface DuelResultInfo extends Info {
  /** Win, draw or loss for this side. */
  result: GameResult;
  /** [this side's points, the opponent's points]. */
  score: [number, number];
}

const SIDES: readonly DuelSide[] = Object.freeze(['left', 'right']);
const OPTION_KEYS = ['pointsToWin', 'maxSteps', 'hitReward', 'physics'];

/**
 * Paddle duel: agents `'left'` and `'right'` each move a paddle up, not at all or down (`Discrete(3)`, see
 * {@link DUEL_ACTIONS}) to return one ball; a ball past a paddle is a point: +1 to the scorer, -1 to the other
 * (zero-sum unless `hitReward` shapes returns). Where the ball meets the paddle sets its angle (the center
 * sends it straight, the ends at `maxBounceAngle`), so a player can aim away from the opponent; every return
 * speeds the ball up a little. The game ends when a side reaches `pointsToWin` (terminated) or after
 * `maxSteps` (truncated); the last step's infos hold each side's {@link DuelResultInfo}.
 *
 * Observations (`Box(6)`) are mirrored so each side plays from the left: `[ball x, ball y, ball vx, ball vy,
 * own paddle y, opponent paddle y]`, positions in field units, velocities divided by the maximum speed; for the
 * right side x and vx change sign. Deterministic given the seed and the actions (PCG32 serves).
 */
export class PaddleDuel implements ParallelEnv<DuelSide> {
  /** `['left', 'right']`. */
  readonly possibleAgents: readonly DuelSide[] = SIDES;
  /** Both sides during a game; empty once it has ended. */
  agents: readonly DuelSide[] = [];
  /** The physics in use. */
  readonly physics: DuelPhysics;
  /** Points that win the game. */
  readonly pointsToWin: number;
  /** Steps after which the game is truncated. */
  readonly maxSteps: number;
  /** Shaping reward per return (0 by default). */
  readonly hitReward: number;
  private rng = new PCG32(0);
  private readonly s: DuelState = { ballX: 0, ballY: 0, ballVx: 0, ballVy: 0, leftY: 0, rightY: 0, leftScore: 0, rightScore: 0, steps: 0 };
  private readonly observationBox = Box(6, [-1, -1, -1, -1, -1, -1], [1, 1, 1, 1, 1, 1]);
  private readonly actionChoices = Discrete(3);

  /** A duel; see {@link PaddleDuelOptions} for the game length and the physics. */
  constructor(options: PaddleDuelOptions = {}) {
    checkKeys('PaddleDuel options', options, OPTION_KEYS, 'option');
    this.pointsToWin = checkInteger('PaddleDuel options.pointsToWin', options.pointsToWin ?? 5, 1);
    this.maxSteps = checkInteger('PaddleDuel options.maxSteps', options.maxSteps ?? 3000, 1);
    this.hitReward = checkNumber('PaddleDuel options.hitReward', options.hitReward ?? 0, 0);
    const physics = { ...DUEL_PHYSICS, ...checkKeys('PaddleDuel options.physics', options.physics ?? {}, Object.keys(DUEL_PHYSICS)) };
    for (const [key, value] of Object.entries(physics)) checkNumber(`PaddleDuel options.physics.${key}`, value, 0);
    if (!(physics.paddleHalf < 1 && physics.ballRadius < 1 - physics.paddleX && physics.paddleX < 1 && physics.dt > 0)) {
      fail('PaddleDuel options.physics', 'paddleHalf < 1, 0 < paddleX < 1 - ballRadius, dt > 0', physics);
    }
    this.physics = Object.freeze(physics);
  }

  /** `Box(6)` in [-1, 1] for either side (see the class description). */
  observationSpace(_id: DuelSide) { return this.observationBox; }

  /** `Discrete(3)` for either side: up, stay, down. */
  actionSpace(_id: DuelSide) { return this.actionChoices; }

  /** A copy of the world's state (field coordinates, not mirrored). */
  get state(): DuelState { return { ...this.s }; }

  /** Replaces the world's state (for tests and demos that set up a situation); the game goes on from it. */
  setState(state: DuelState): void {
    for (const key of Object.keys(this.s) as (keyof DuelState)[]) checkNumber(`setState(state).${key}`, state[key]);
    Object.assign(this.s, state);
    this.agents = SIDES;
  }

  /** Starts a game at 0 : 0 with the paddles centered and a serve in a random direction. */
  reset(options: { seed?: number } = {}): ParallelResetResult<DuelSide> {
    if (options.seed !== undefined) this.rng = new PCG32(options.seed);
    Object.assign(this.s, { leftY: 0, rightY: 0, leftScore: 0, rightScore: 0, steps: 0 });
    this.serve(this.rng.nextFloat() < 0.5 ? 'left' : 'right');
    this.agents = SIDES;
    return { observations: { left: this.observe('left'), right: this.observe('right') }, infos: { left: {}, right: {} } };
  }

  /** Moves both paddles, then the ball for one `dt`; both sides must act while the game runs. */
  step(actions: Partial<Record<DuelSide, EnvAction>>): ParallelStepResult<DuelSide> {
    if (this.agents.length === 0) failState('PaddleDuel.step()', 'reset() first (the game has ended)', 'a step after the end');
    const left = this.direction(actions, 'left');
    const right = this.direction(actions, 'right');
    const p = this.physics;
    const s = this.s;
    const move = p.paddleSpeed * p.dt;
    const reach = 1 - p.paddleHalf;
    s.leftY = Math.min(reach, Math.max(-reach, s.leftY + left * move));
    s.rightY = Math.min(reach, Math.max(-reach, s.rightY + right * move));
    s.steps++;
    const rewards = { left: 0, right: 0 };
    const hit = this.moveBall();
    if (hit) rewards[hit] += this.hitReward;
    let scorer: DuelSide | undefined;
    if (s.ballX < -1) scorer = 'right';
    else if (s.ballX > 1) scorer = 'left';
    if (scorer) {
      const loser = scorer === 'left' ? 'right' : 'left';
      rewards[scorer] += 1;
      rewards[loser] -= 1;
      if (scorer === 'left') s.leftScore++;
      else s.rightScore++;
      this.serve(loser);
    }
    const terminated = s.leftScore >= this.pointsToWin || s.rightScore >= this.pointsToWin;
    const truncated = !terminated && s.steps >= this.maxSteps;
    const infos: Partial<Record<DuelSide, Info>> = {};
    if (terminated || truncated) {
      const result = (own: number, other: number): GameResult => (own > other ? 'win' : own < other ? 'loss' : 'draw');
      infos.left = { result: result(s.leftScore, s.rightScore), score: [s.leftScore, s.rightScore] } satisfies DuelResultInfo;
      infos.right = { result: result(s.rightScore, s.leftScore), score: [s.rightScore, s.leftScore] } satisfies DuelResultInfo;
      this.agents = [];
    }
    return {
      observations: { left: this.observe('left'), right: this.observe('right') },
      rewards,
      terminations: { left: terminated, right: terminated },
      truncations: { left: truncated, right: truncated },
      infos,
    };
  }

  /** The observation of one side, mirrored so that it plays from the left. */
  observe(side: DuelSide): Float32Array {
    const s = this.s;
    const mirror = side === 'left' ? 1 : -1;
    const speed = this.physics.maxSpeed * this.physics.dt;
    // + 0 turns a mirrored -0 into 0, so the two sides' views of mirrored worlds are identical.
    return Float32Array.of(mirror * s.ballX + 0, s.ballY, (mirror * s.ballVx) / speed + 0, s.ballVy / speed,
      side === 'left' ? s.leftY : s.rightY, side === 'left' ? s.rightY : s.leftY);
  }

  private direction(actions: Partial<Record<DuelSide, EnvAction>>, side: DuelSide): number {
    const action = actions?.[side];
    if (action !== 0 && action !== 1 && action !== 2) fail(`PaddleDuel actions.${side}`, '0 (up), 1 (stay) or 2 (down)', action);
    return 1 - action;
  }

  /** Ball center at x = 0, y uniform in [-0.5, 0.5], heading to `toward` at the serve speed. */
  private serve(toward: DuelSide): void {
    const p = this.physics;
    const angle = (2 * this.rng.nextFloat() - 1) * p.serveAngle;
    const speed = p.serveSpeed * p.dt;
    this.s.ballX = 0;
    this.s.ballY = this.rng.nextFloat() - 0.5;
    this.s.ballVx = (toward === 'left' ? -1 : 1) * speed * Math.cos(angle);
    this.s.ballVy = speed * Math.sin(angle);
  }

  /** Moves the ball one step; a paddle that meets it sends it back. Returns the side that returned it. */
  private moveBall(): DuelSide | undefined {
    const p = this.physics;
    const s = this.s;
    const limit = 1 - p.ballRadius;
    const face = p.paddleX - p.ballRadius; // |x| of the ball's center when it touches a paddle's face
    const x1 = s.ballX + s.ballVx;
    const side: DuelSide | undefined = s.ballVx < 0 && s.ballX >= -face && x1 < -face ? 'left'
      : s.ballVx > 0 && s.ballX <= face && x1 > face ? 'right' : undefined;
    if (side) {
      const t = (face - Math.abs(s.ballX)) / Math.abs(s.ballVx); // fraction of the step before contact
      const contact = foldY(s.ballY + t * s.ballVy, limit).y;
      const offset = (contact - (side === 'left' ? s.leftY : s.rightY)) / (p.paddleHalf + p.ballRadius);
      if (Math.abs(offset) <= 1) {
        const speed = Math.min(Math.hypot(s.ballVx, s.ballVy) * p.speedup, p.maxSpeed * p.dt);
        const angle = offset * p.maxBounceAngle;
        s.ballVx = (side === 'left' ? 1 : -1) * speed * Math.cos(angle);
        s.ballVy = speed * Math.sin(angle);
        s.ballX = (side === 'left' ? -face : face) + (1 - t) * s.ballVx;
        const folded = foldY(contact + (1 - t) * s.ballVy, limit);
        s.ballY = folded.y;
        s.ballVy *= folded.sign;
        return side;
      }
    }
    s.ballX = x1;
    const folded = foldY(s.ballY + s.ballVy, limit);
    s.ballY = folded.y;
    s.ballVy *= folded.sign;
    return undefined;
  }
}
