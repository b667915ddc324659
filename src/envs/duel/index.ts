export { DUEL_PHYSICS, type DuelPhysics } from './physics.js';
export { PaddleDuel, DUEL_ACTIONS, type DuelSide, type DuelState, type DuelResultInfo, type PaddleDuelOptions } from './paddle-duel.js';
export { duelBaseline, type DuelBaselineOptions } from './baseline.js';
export { DuelVsBaseline, type DuelVsBaselineOptions } from './vs-baseline.js';
export { evaluateVersusBaseline, type EvaluateVersusBaselineOptions, type VersusBaselineResult } from './evaluate.js';
