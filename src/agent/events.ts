// The agent's events: their payloads, and the emitter that calls listeners without ever letting one stop the agent.
import type { DivergedEvent } from './divergence.js';
import type { Logger } from '../log.js';
import type { UpdateStats, Hyperparameters } from '../backend/trainer.js';
import type { RecoveredEvent } from './recovery.js';
import { fail } from '../errors.js';
import type { SelfPlaySummary } from '../selfplay/self-play.js';
import type { SelfPlayEvent } from './self-play.js';

/** What `agent.on('update', ...)` receives after each finished update. */
export interface UpdateEvent {
  /** Updates finished so far (this one included). */
  updates: number;
  /** Agent steps (ticks x agents) taken when this update's rollout was complete. */
  steps: number;
  /** Loss statistics of the update: means over the minibatches it ran. */
  stats: UpdateStats;
  /** The learning rate, entropy coefficient and clip this update used (after schedules and anneal). */
  hyperparameters: Hyperparameters;
  /** Whether the batch was collected under an older policy (V-trace corrected). */
  lagged: boolean;
  /** Wall time of the update in milliseconds, from its start to the new parameters reaching inference. */
  durationMs: number;
  /** Self-play's state after this update (with `AgentOptions.selfPlay` only). */
  selfPlay?: SelfPlaySummary;
}

/** What `agent.on('episode', ...)` receives each time an agent's episode ends (terminated or truncated). */
export interface EpisodeEvent {
  /** Index of the agent (its row in observations and actions). */
  agent: number;
  /** Sum of the raw (unscaled) rewards of the episode. */
  return: number;
  /** Steps in the episode. */
  length: number;
  /** true when the episode terminated, false when it was truncated. */
  terminated: boolean;
  /** Agent steps taken so far. */
  steps: number;
}

/** What the 'dropped' event reports: a full rollout was not trained because maxPendingUpdates were waiting. */
export interface DroppedEvent {
  /** Agent steps in the dropped rollout (numSteps x numAgents). */
  steps: number;
  /** Agent steps dropped so far. */
  droppedSteps: number;
  /** Updates queued or running when it was dropped. */
  pendingUpdates: number;
}

/** Faults the agent survived, counted since it was created or loaded. */
export interface AgentHealth {
  /** Updates rolled back because they produced a non-finite loss, parameter or Adam moment. */
  divergences: number;
  /** Lost WebGPU devices the agent rebuilt its trainer after. */
  deviceLosses: number;
  /** Agent steps collected but not trained (backpressure: maxPendingUpdates). */
  droppedSteps: number;
  /** Errors thrown by event listeners (routed to 'error' listeners, or reported once). */
  listenerErrors: number;
}

/** Events and their payloads (`agent.on(name, listener)`). */
export interface AgentEvents {
  /** An update finished: its losses and statistics. */
  update: UpdateEvent;
  /** An agent's episode ended (seen through `observe`'s terminated/truncated flags): its return and length. */
  episode: EpisodeEvent;
  /** An update that failed, or a listener that threw. */
  error: Error;
  /** An update produced non-finite values and was rolled back; the agent keeps acting with its last good policy. */
  diverged: DivergedEvent;
  /** The WebGPU device was lost and the trainer was rebuilt; the lost update is re-run. */
  recovered: RecoveredEvent;
  /** A full rollout was dropped (backpressure). */
  dropped: DroppedEvent;
  /** Self-play saved a snapshot, swapped opponents or changed the learning team (after an update). */
  selfPlay: SelfPlayEvent;
}

/** The event names `agent.on` accepts. */
export const EVENT_NAMES = ['update', 'episode', 'error', 'diverged', 'recovered', 'dropped', 'selfPlay'] as const;

type Listeners = { [K in keyof AgentEvents]: Set<(event: AgentEvents[K]) => void> };

/** The listeners of each event; a listener that throws never stops the agent. */
export class AgentEmitter {
  private readonly listeners: Listeners = {
    update: new Set(), episode: new Set(), error: new Set(), diverged: new Set(), recovered: new Set(), dropped: new Set(), selfPlay: new Set(),
  };
  private reported = false;

  /** @param log where a listener error goes when no 'error' listener takes it; @param counted counts every listener error. */
  constructor(private readonly log: Logger, private readonly counted: () => void) {}

  /** Whether anyone listens to `event` (payloads are only built when someone does). */
  has(event: keyof AgentEvents): boolean {
    return this.listeners[event].size > 0;
  }

  /** Adds a listener after checking both arguments; returns the function that removes it. */
  on<K extends keyof AgentEvents>(event: K, listener: (event: AgentEvents[K]) => void): () => void {
    if (!(EVENT_NAMES as readonly string[]).includes(event)) fail('event', EVENT_NAMES.map((e) => `'${e}'`).join(' | '), event);
    if (typeof listener !== 'function') fail('listener', 'a function', listener);
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /**
   * Calls the listeners of one event. A listener that throws never stops the agent: its error goes to the
   * 'error' listeners (wrapped, naming the event), or, when there are none or they throw too, is reported
   * once on the console; every such error is counted.
   */
  emit<K extends keyof AgentEvents>(event: K, payload: AgentEvents[K]): void {
    for (const listener of this.listeners[event]) {
      try {
        listener(payload);
      } catch (error) {
        this.counted();
        const wrapped = new Error(`webppo: an '${event}' listener threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        if (event !== 'error' && this.listeners.error.size > 0) this.emit('error', wrapped);
        else if (!this.reported) {
          this.reported = true;
          this.log.error(`${wrapped.message} (reported once; agent.health.listenerErrors counts them all)`, error);
        }
      }
    }
  }
}
