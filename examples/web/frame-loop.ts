// The demo pages' frame loop: each animation frame runs up to `speed` game ticks (while training keeps up),
// draws, and every half second shows the frame rate and the page's own readout; the pause button stops the
// ticks and an error in a tick stops the loop's ticking with a message. The ?speed URL option may add a
// choice to the speed menu.

/** What a page gives its frame loop. */
export interface FrameLoopPage {
  /** Ticks per frame (a select whose values are numbers); `?speed=` selects or adds that value. */
  speed: HTMLSelectElement;
  /** Where the frame rate goes. */
  fps: HTMLElement;
  /** Pauses and resumes the ticks. */
  pause: HTMLButtonElement;
  /** The page state the loop reads and writes: `running` (the pause button's), `ready` (set by the page), `steps` (ticks run). */
  state: { running: boolean; ready: boolean; steps: number };
  /** Whether another tick may run in this frame (for example: training has few updates waiting). */
  keepsUp(): boolean;
  /** One game tick (act, step the game, observe); the loop counts it in `state.steps`. */
  tick(): void;
  /** Draws the frame. */
  draw(): void;
  /** Every half second: the seconds since the last readout and the ticks run in them. */
  readout(seconds: number, ticks: number): void;
  /** Shows a message (an error when `error`). */
  setStatus(text: string, error?: boolean): void;
}

/** Starts the page's frame loop (requestAnimationFrame) and wires its pause button and speed option. */
export function startFrameLoop(page: FrameLoopPage): void {
  const params = new URLSearchParams(location.search);
  if (params.has('speed')) {
    const speed = params.get('speed')!;
    if (![...page.speed.options].some((o) => o.value === speed)) page.speed.add(new Option(`${speed}×`, speed));
    page.speed.value = speed;
  }
  const { state } = page;
  page.pause.addEventListener('click', () => {
    state.running = !state.running;
    page.pause.textContent = state.running ? 'Pause' : 'Resume';
  });
  let frames = 0, clock = performance.now(), stepsAtClock = state.steps;
  const frame = (now: number): void => {
    try {
      if (state.running && state.ready) {
        for (let i = Number(page.speed.value); i > 0 && page.keepsUp(); i--) {
          page.tick();
          state.steps++;
        }
      }
      page.draw();
    } catch (error) {
      state.running = false;
      page.setStatus(`stopped: ${(error as Error).message}`, true);
      console.error(error);
    }
    frames++;
    if (now - clock >= 500) {
      const seconds = (now - clock) / 1000;
      page.fps.textContent = `${Math.round(frames / seconds)} fps`;
      page.readout(seconds, state.steps - stepsAtClock);
      frames = 0;
      clock = now;
      stepsAtClock = state.steps;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}
