// Device loss: when the WebGPU device goes away, the Agent replaces its trainer with a new one (a new device,
// or the WASM CPU backend when none can be had) built from the parameters and Adam state it mirrors on the
// CPU, and re-runs the update that was in flight. Nothing the agent collected is lost.
import { createTrainer } from '../backend/index.js';
import type { Trainer, TrainerOptions } from '../backend/trainer.js';
import type { TrainerState } from './divergence.js';

/** What the 'recovered' event reports: the trainer was rebuilt after its device was lost. */
export interface RecoveredEvent {
  /** Why the device was lost, as the device said. */
  reason: string;
  /** The backend of the new trainer ('cpu' when no new WebGPU device could be had). */
  backend: 'webgpu' | 'cpu';
  /** Device losses survived so far (this one included). */
  deviceLosses: number;
  /** Updates finished so far; the lost update is re-run after this event. */
  updates: number;
}

/** Whether an error says that the trainer's device is gone (DeviceLostError, also across module copies). */
export function isDeviceLost(error: unknown): error is Error & { reason?: string } {
  return error instanceof Error && error.name === 'DeviceLostError';
}

/**
 * A trainer resumed from `state` on a fresh device: the same backend when it can be had, else the CPU backend.
 * The lost trainer is disposed first (its buffers belong to the dead device).
 */
export async function rebuildTrainer(lost: Trainer, options: TrainerOptions, state: TrainerState): Promise<Trainer> {
  try { lost.dispose(); } catch { /* its device is gone already */ }
  const resumed = { ...options, parameters: state.parameters };
  let trainer: Trainer;
  try {
    trainer = await createTrainer({ ...resumed, backend: lost.backend });
  } catch {
    trainer = await createTrainer({ ...resumed, backend: 'cpu' });
  }
  try {
    trainer.setOptimizerState(state.optimizer);
  } catch (error) {
    trainer.dispose();
    throw error;
  }
  return trainer;
}
