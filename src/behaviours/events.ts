// One event stream for all behaviours: each agent's events, tagged with the behaviour they came from.
import type { AgentEvents } from '../agent/agent.js';

/**
 * An agent event tagged with its behaviour: the agent's payload plus `behaviour`; an `'error'` (an Error in
 * the agent's stream) arrives as `{ behaviour, error }`.
 */
export type Tagged<N extends string, E> = E extends Error
  ? {
    /** The behaviour whose agent reported the error. */
    behaviour: N;
    /** The agent's error. */
    error: E;
  }
  : E & {
    /** The behaviour whose agent emitted the event. */
    behaviour: N;
  };

/** Events of a Behaviours container and their payloads (`behaviours.on(name, listener)`): every agent event, tagged. */
export type BehavioursEvents<N extends string = string> = { [K in keyof AgentEvents]: Tagged<N, AgentEvents[K]> };

/** The tagged payload of one agent event (a fresh object: events are not on the hot path). */
export function tag<N extends string, E>(behaviour: N, event: E): Tagged<N, E> {
  return (event instanceof Error ? { behaviour, error: event } : { ...(event as object), behaviour }) as Tagged<N, E>;
}
