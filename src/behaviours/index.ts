// Several behaviours in one game: the container, its options, its tagged events and its checkpoint.
export { Behaviours } from './behaviours.js';
export type { BehaviourOptions, BehavioursOptions, BehavioursLoadOptions } from './options.js';
export type { BehavioursEvents, Tagged } from './events.js';
export { extractBehaviour } from './checkpoint.js';
