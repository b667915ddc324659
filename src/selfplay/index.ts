// Self-play: the snapshot pool, ELO ratings, the save / swap / team-change schedule, and the frozen
// opponents' batched CPU inference.
export { SelfPlay, SELF_PLAY_RNG_STREAM, type OpponentChoice, type OpponentSource, type OpponentSummary, type SnapshotInfo, type SelfPlayChanges, type SelfPlaySummary } from './self-play.js';
export { resolveSelfPlayOptions, MAX_TEAMS, MAX_WINDOW, type SelfPlayOptions, type ResolvedSelfPlayOptions } from './options.js';
export { expectedScore, eloChange, resultScore, type GameResult } from './elo.js';
export { OpponentPolicy, type OpponentPolicyOptions, type OpponentActOptions } from './opponent-policy.js';
export { SELF_PLAY_TENSORS } from './state.js';
