// The serve-env server: one env per connection, strict request/reply over 127.0.0.1 TCP or a Unix socket.
// Each connection owns one receive buffer and one reply buffer; requests are read and replies written
// through typed-array views over them, so a step allocates nothing on the JS side. A reply buffer is reused
// only after the client has read it (it sends the next request after the whole reply), so it is never
// overwritten while the socket still holds it.
import { createServer, type Server, type Socket } from 'node:net';
import { isVectorEnv, type Env, type VectorEnv } from '../../envs/env.js';
import { SyncVectorEnv } from '../../envs/vector.js';
import { fail } from '../../errors.js';
import { type BatchedEnv, type BatchViews, batchParallel, batchVector } from './batched.js';
import { isParallelEnv } from './parallel.js';
import { batchLayout, FLAG_FINAL_OBSERVATION, HEADER_BYTES, Op } from './protocol.js';

/** What a served module gives: a factory called once per connection (or one env, for one connection at a time). */
export type EnvSource = () => unknown;

export interface ServeEnvOptions {
  /** Copies of a single-agent Env per connection (ignored for VectorEnv and ParallelEnv). Default 1. */
  numEnvs?: number;
  /** TCP port on 127.0.0.1 (0 picks a free one). Default 0. */
  port?: number;
  /** 127.0.0.1 (default), ::1 or localhost: the server never listens beyond this machine. */
  host?: string;
  /** A Unix socket path instead of TCP. */
  path?: string;
}

export interface EnvServer {
  /** `tcp://127.0.0.1:PORT` or `unix:PATH`. */
  readonly address: string;
  close(): Promise<void>;
}

const LOCAL_HOSTS = ['127.0.0.1', '::1', 'localhost'];

/** Makes the batched form of whatever the factory returned. */
export function toBatched(value: unknown, numEnvs: number, make: EnvSource): BatchedEnv {
  if (isParallelEnv(value)) return batchParallel(value);
  if (isVectorEnv(value)) return batchVector(value as VectorEnv);
  const env = value as Env | null;
  if (typeof env?.step !== 'function' || typeof env?.reset !== 'function' || env.observationSpace === undefined) {
    fail('serve-env module', 'a factory returning an Env, a VectorEnv or a ParallelEnv', value);
  }
  const envs = [env as Env];
  for (let e = 1; e < numEnvs; e++) envs.push(make() as Env);
  return batchVector(new SyncVectorEnv(envs));
}

/** Serves envs from `make` until close(). */
export function serveEnv(make: EnvSource, options: ServeEnvOptions = {}): Promise<EnvServer> {
  const numEnvs = options.numEnvs ?? 1;
  if (!Number.isInteger(numEnvs) || numEnvs < 1) fail('numEnvs', 'an integer >= 1', numEnvs);
  const host = options.host ?? '127.0.0.1';
  if (options.path === undefined && !LOCAL_HOSTS.includes(host)) fail('host', `one of ${LOCAL_HOSTS.join(', ')} (serve-env listens on this machine only)`, host);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    try {
      serveConnection(socket, toBatched(make(), numEnvs, make));
    } catch (error) {
      socket.end(errorFrame(error));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      const a = server.address();
      const address = typeof a === 'string' ? `unix:${a}` : `tcp://${a!.family === 'IPv6' ? `[${a!.address}]` : a!.address}:${a!.port}`;
      resolve({
        address,
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    };
    if (options.path !== undefined) server.listen(options.path, listening);
    else server.listen(options.port ?? 0, host, listening);
  });
}

function errorFrame(error: unknown): Uint8Array {
  const message = new TextEncoder().encode(String((error as Error)?.message ?? error));
  const frame = new Uint8Array(HEADER_BYTES + message.length);
  new DataView(frame.buffer).setUint32(0, frame.length, true);
  frame[4] = Op.ERROR;
  frame.set(message, HEADER_BYTES);
  return frame;
}

function serveConnection(socket: Socket, env: BatchedEnv): void {
  const { rows, observationSize, actionSize } = env.spec;
  const categorical = (env.spec.actionSpace as { kind: string }).kind !== 'box';
  const layout = batchLayout(rows, observationSize);
  const reply = new Uint8Array(layout.withFinal);
  const replyView = new DataView(reply.buffer);
  const views: BatchViews = {
    observation: new Float32Array(reply.buffer, layout.observation, rows * observationSize),
    reward: new Float32Array(reply.buffer, layout.reward, rows),
    terminated: new Uint8Array(reply.buffer, layout.terminated, rows),
    truncated: new Uint8Array(reply.buffer, layout.truncated, rows),
    alive: new Uint8Array(reply.buffer, layout.alive, rows),
    finalObservation: new Float32Array(reply.buffer, layout.finalObservation, rows * observationSize),
  };
  const stepBytes = HEADER_BYTES + rows * actionSize * 4;
  const maxFrame = Math.max(stepBytes, HEADER_BYTES + 8);
  let inbox = new Uint8Array(2 * maxFrame);
  let inboxView = new DataView(inbox.buffer);
  let actions = categorical ? new Int32Array(inbox.buffer, HEADER_BYTES, rows * actionSize) : new Float32Array(inbox.buffer, HEADER_BYTES, rows * actionSize);
  let filled = 0;

  // The three reply lengths, as views made once: a step creates no objects on this side.
  const frames = new Map([layout.withoutFinal, layout.withFinal, HEADER_BYTES].map((n) => [n, reply.subarray(0, n)]));
  const send = (op: number, flags: number, length: number) => {
    replyView.setUint32(0, length, true);
    reply[4] = op;
    reply[5] = flags;
    socket.write(frames.get(length)!);
  };
  const handle = (op: number, length: number) => {
    switch (op) {
      case Op.HELLO: {
        const json = new TextEncoder().encode(JSON.stringify(env.spec));
        const frame = new Uint8Array(HEADER_BYTES + json.length);
        new DataView(frame.buffer).setUint32(0, frame.length, true);
        frame[4] = Op.HELLO;
        frame.set(json, HEADER_BYTES);
        socket.write(frame);
        return;
      }
      case Op.RESET: {
        if (length !== HEADER_BYTES + 8) fail('reset frame length', String(HEADER_BYTES + 8), length);
        const seeded = inboxView.getUint32(HEADER_BYTES, true) !== 0;
        env.reset(seeded ? inboxView.getUint32(HEADER_BYTES + 4, true) : undefined, views);
        send(Op.RESET, 0, layout.withoutFinal);
        return;
      }
      case Op.STEP: {
        if (length !== stepBytes) fail('step frame length', `${stepBytes} (${rows} rows x ${actionSize} actions x 4 bytes + header)`, length);
        const final = env.step(actions, views);
        send(Op.STEP, final ? FLAG_FINAL_OBSERVATION : 0, final ? layout.withFinal : layout.withoutFinal);
        return;
      }
      case Op.CLOSE: {
        reply.fill(0, 0, HEADER_BYTES);
        send(Op.CLOSE, 0, HEADER_BYTES);
        socket.end();
        return;
      }
      default:
        fail('opcode', 'HELLO, RESET, STEP or CLOSE', op);
    }
  };

  socket.on('data', (chunk: Uint8Array) => {
    if (filled + chunk.length > inbox.length) {
      // Several frames arrived at once (a client that pipelines): grow, keep the bytes.
      const bigger = new Uint8Array(Math.max(2 * inbox.length, filled + chunk.length));
      bigger.set(inbox.subarray(0, filled));
      inbox = bigger;
      inboxView = new DataView(inbox.buffer);
      actions = categorical ? new Int32Array(inbox.buffer, HEADER_BYTES, rows * actionSize) : new Float32Array(inbox.buffer, HEADER_BYTES, rows * actionSize);
    }
    inbox.set(chunk, filled);
    filled += chunk.length;
    while (filled >= HEADER_BYTES) {
      const length = inboxView.getUint32(0, true);
      if (length < HEADER_BYTES || length > maxFrame) {
        socket.end(errorFrame(new Error(`frame length: expected ${HEADER_BYTES} to ${maxFrame} bytes, got ${length}`)));
        return;
      }
      if (filled < length) break;
      try {
        handle(inbox[4], length);
      } catch (error) {
        socket.write(errorFrame(error));
      }
      inbox.copyWithin(0, length, filled);
      filled -= length;
    }
  });
  socket.on('close', () => env.close());
  socket.on('error', () => socket.destroy());
}
