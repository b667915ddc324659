// When self-play saves, swaps and changes the learning team: ML-Agents' GhostTrainer.advance() counters.
// Saves and team changes count trained steps (the learning team's); swaps count opponent ("ghost") steps,
// so teams of different sizes change opponents equally often per trained step. Each event fires once the
// steps since it last fired exceed its interval (strictly), and then restarts from the current count.

/** The counters the schedule keeps, as saved in checkpoints. */
export interface ScheduleCounters {
  /** Trained steps so far (ML-Agents' trainer step). */
  trainedSteps: number;
  /** Opponent steps so far (ML-Agents' ghost step). */
  opponentSteps: number;
  /** trainedSteps at the last snapshot. */
  lastSave: number;
  /** opponentSteps at the last opponent change. */
  lastSwap: number;
  /** trainedSteps at the last learning-team change. */
  lastTeamChange: number;
}

/** What one advance decided, in the order it applies them: team change, save, swap. */
export interface ScheduleEvents {
  /** The learning team changes (to the next team). */
  teamChange: boolean;
  /** A snapshot of the learning policy is taken. */
  save: boolean;
  /** The opponents change (always after a team change). */
  swap: boolean;
}

/** The self-play clock: step counters and the three intervals. */
export class SelfPlaySchedule implements ScheduleCounters {
  trainedSteps = 0;
  opponentSteps = 0;
  lastSave = 0;
  lastSwap = 0;
  lastTeamChange = 0;

  constructor(private readonly intervals: { saveSteps: number; swapSteps: number; teamChange: number }) {}

  /** Adds the steps since the last call and says which events fire now, updating their marks. */
  advance(trainedSteps: number, opponentSteps: number): ScheduleEvents {
    this.trainedSteps += trainedSteps;
    this.opponentSteps += opponentSteps;
    const { saveSteps, swapSteps, teamChange } = this.intervals;
    const changeTeam = this.trainedSteps - this.lastTeamChange > teamChange;
    if (changeTeam) this.lastTeamChange = this.trainedSteps;
    const save = this.trainedSteps - this.lastSave > saveSteps;
    if (save) this.lastSave = this.trainedSteps;
    const swap = changeTeam || this.opponentSteps - this.lastSwap > swapSteps;
    if (swap) this.lastSwap = this.opponentSteps;
    return { teamChange: changeTeam, save, swap };
  }

  /** The counters, for checkpoints. */
  counters(): ScheduleCounters {
    const { trainedSteps, opponentSteps, lastSave, lastSwap, lastTeamChange } = this;
    return { trainedSteps, opponentSteps, lastSave, lastSwap, lastTeamChange };
  }

  /** Restores counters saved by counters() (already validated). */
  setCounters(c: ScheduleCounters): void {
    this.trainedSteps = c.trainedSteps;
    this.opponentSteps = c.opponentSteps;
    this.lastSave = c.lastSave;
    this.lastSwap = c.lastSwap;
    this.lastTeamChange = c.lastTeamChange;
  }
}
