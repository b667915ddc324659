// The serve-env wire format (docs/serve-env.md): little-endian frames, strict request/reply. Every frame
// starts with an 8-byte header (u32 frame length including the header, u8 opcode, u8 flags, u16 zero), so
// every payload starts 8-aligned and the JS side reads and writes it through typed-array views.
export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 8;

export const Op = {
  /** client: empty. server: the spec as UTF-8 JSON. */
  HELLO: 1,
  /** client: u32 hasSeed, u32 seed. server: a batch frame. */
  RESET: 2,
  /** client: the actions (i32 or f32, rows x actionSize). server: a batch frame. */
  STEP: 3,
  /** client: empty. server: an empty CLOSE frame, then closes the connection. */
  CLOSE: 4,
  /** server: UTF-8 message; the request failed and changed nothing the client can see. */
  ERROR: 5,
} as const;

/** Flag bit of a batch frame: the final observations follow. */
export const FLAG_FINAL_OBSERVATION = 1;

/** What HELLO answers: everything the client needs to size its buffers and build its spaces. */
export interface EnvSpec {
  version: number;
  /** 'vector': Gymnasium-style (an Env is served as a vector of numEnvs copies); 'parallel': PettingZoo-style. */
  kind: 'vector' | 'parallel';
  /** Rows per batch: envs, or the parallel env's possible agents. */
  rows: number;
  /** Agent ids, one per row ('parallel' only). */
  agents?: string[];
  observationSize: number;
  actionSize: number;
  /** Spaces as JSON (infinite bounds as "Infinity" / "-Infinity"); the same for every row. */
  observationSpace: unknown;
  actionSpace: unknown;
  /** 'vector': autoreset on the same step (final observations in the frame); 'parallel': none. */
  autoreset: 'same-step' | 'none';
}

/**
 * Byte offsets of a batch frame (reset and step replies), after the header: observation f32 [rows, obs],
 * reward f32 [rows], terminated u8 [rows], truncated u8 [rows], alive u8 [rows], zero padding to 4 bytes,
 * then, when FLAG_FINAL_OBSERVATION is set, finalObservation f32 [rows, obs].
 */
export function batchLayout(rows: number, observationSize: number) {
  const observation = HEADER_BYTES;
  const reward = observation + rows * observationSize * 4;
  const terminated = reward + rows * 4;
  const truncated = terminated + rows;
  const alive = truncated + rows;
  const finalObservation = Math.ceil((alive + rows) / 4) * 4;
  return { observation, reward, terminated, truncated, alive, finalObservation, withoutFinal: finalObservation, withFinal: finalObservation + rows * observationSize * 4 };
}
