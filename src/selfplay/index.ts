// Self-play: the snapshot pool, ELO ratings, the save / swap / team-change schedule, and the frozen
// opponents' batched CPU inference. How an agent drives it:
//   create:  selfPlay = new SelfPlay(options, frozenPolicy(initialParameters, normalizerStats?), seed);
//            opponent = new OpponentPolicy(policySpec, selfPlay.opponent(team).parameters, { maxRows, slots, seed, normalizeObservations })
//            (one per opponent team; a two-team game has one)
//   act:     learningTeam's slots act with the learner; each opponent team's slots with
//            opponent.act(observations, rows, count, actions); their steps are not stored for training
//            (a recurrent policy: opponent.resetStates(slot) where a slot's episode ends or its agent changes)
//   game end: selfPlay.reportResult('win' | 'draw' | 'loss') from the learning team's side
//   update:  changes = selfPlay.onTrainedSteps(learnerSteps, frozenPolicy(newParameters, normalizerStats?), opponentSteps);
//            changes.swapped -> opponent.load(selfPlay.opponent(team).parameters) for every opponent team;
//            changes.teamChanged -> the slots of selfPlay.learningTeam learn from now on
//   events:  selfPlay.summary();  save: selfPlay.state() as extra tensors;  load: SelfPlay.restore(...)
export { SelfPlay, SELF_PLAY_RNG_STREAM, type OpponentChoice, type OpponentSource, type OpponentSummary, type SnapshotInfo, type SelfPlayChanges, type SelfPlaySummary } from './self-play.js';
export { resolveSelfPlayOptions, MAX_TEAMS, MAX_WINDOW, type SelfPlayOptions, type ResolvedSelfPlayOptions } from './options.js';
export { expectedScore, eloChange, resultScore, type GameResult } from './elo.js';
export { OpponentPolicy, frozenPolicy, type OpponentPolicyOptions, type OpponentActOptions } from './opponent-policy.js';
export { SELF_PLAY_TENSORS } from './state.js';
