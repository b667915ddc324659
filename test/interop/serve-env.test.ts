// serve-env's server from a raw Node socket: the HELLO spec, batch frames against webppo's own SyncVectorEnv
// stepped with the same seed and actions, and every malformed request answered with an error frame that
// leaves the env as it was (or closes the connection when the framing itself is broken).
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEnv } from '../../src/envs/registry.js';
import { vectorize } from '../../src/envs/vector.js';
import { batchLayout, HEADER_BYTES, Op } from '../../src/interop/serve-env/protocol.js';
import { type EnvServer, serveEnv } from '../../src/interop/serve-env/server.js';
import { Discrete } from '../../src/spaces.js';
import { Duel } from './envs/duel.js';

let server: EnvServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

/** A minimal client: sends frames, reads whole reply frames. */
async function client(address: string) {
  const [host, port] = address.replace('tcp://', '').split(':');
  const socket: Socket = connect(Number(port), host);
  await new Promise<void>((done) => socket.once('connect', () => done()));
  let pending = Buffer.alloc(0);
  const waiters: ((frame: Buffer) => void)[] = [];
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER_BYTES && pending.length >= pending.readUInt32LE(0)) {
      const length = pending.readUInt32LE(0);
      waiters.shift()?.(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  });
  const closed = new Promise<void>((done) => socket.once('close', () => done()));
  return {
    request(op: number, payload: Uint8Array = new Uint8Array(0), length = HEADER_BYTES + payload.length): Promise<Buffer> {
      const frame = Buffer.alloc(HEADER_BYTES + payload.length);
      frame.writeUInt32LE(length, 0);
      frame[4] = op;
      frame.set(payload, HEADER_BYTES);
      socket.write(frame);
      return new Promise((resolve) => waiters.push(resolve));
    },
    closed,
    end: () => socket.destroy(),
  };
}

const text = (frame: Buffer) => frame.subarray(HEADER_BYTES).toString('utf8');
const seedPayload = (seed: number) => new Uint8Array(Uint32Array.of(1, seed).buffer);

describe('serve-env server', () => {
  it('answers HELLO with the spec and steps exactly as SyncVectorEnv does, final observations included', async () => {
    server = await serveEnv(() => makeEnv('CartPole-v1'), { numEnvs: 3 });
    const c = await client(server.address);
    const spec = JSON.parse(text(await c.request(Op.HELLO)));
    expect(spec).toMatchObject({ version: 1, kind: 'vector', rows: 3, observationSize: 4, actionSize: 1, autoreset: 'same-step', actionSpace: { kind: 'discrete', n: 2 } });
    const reference = vectorize(() => makeEnv('CartPole-v1'), 3);
    const layout = batchLayout(3, 4);
    const observation = (frame: Buffer, at = layout.observation) => Array.from(new Float32Array(frame.buffer.slice(frame.byteOffset + at, frame.byteOffset + at + 48)));
    expect(observation(await c.request(Op.RESET, seedPayload(9)))).toEqual(Array.from(reference.reset({ seed: 9 }).observation));
    let sawFinal = false;
    for (let t = 0; t < 60 && !sawFinal; t++) {
      const actions = Int32Array.of(1, t % 2, 0);
      const reply = await c.request(Op.STEP, new Uint8Array(actions.buffer));
      const expected = reference.step(actions);
      expect(observation(reply)).toEqual(Array.from(expected.observation));
      expect(Array.from(reply.subarray(layout.terminated, layout.terminated + 3))).toEqual(Array.from(expected.terminated));
      if (expected.info.finalObservation) {
        sawFinal = true;
        expect(reply[5] & 1).toBe(1);
        expect(reply.length).toBe(layout.withFinal);
        const ended = Array.from(expected.terminated, (v, e) => v || expected.truncated[e]);
        const finals = observation(reply, layout.finalObservation);
        ended.forEach((done, e) => { if (done) expect(finals.slice(4 * e, 4 * e + 4)).toEqual(Array.from(expected.info.finalObservation!.subarray(4 * e, 4 * e + 4))); });
      } else {
        expect(reply.length).toBe(layout.withoutFinal);
      }
    }
    expect(sawFinal).toBe(true);
    c.end();
  });

  it('refuses bad requests with an error frame and changes nothing', async () => {
    server = await serveEnv(() => makeEnv('CartPole-v1'), { numEnvs: 2 });
    const c = await client(server.address);
    await c.request(Op.HELLO);
    const first = await c.request(Op.RESET, seedPayload(4));
    const before = Buffer.from(first.subarray(HEADER_BYTES, HEADER_BYTES + 32));
    const bad = await c.request(Op.STEP, new Uint8Array(Int32Array.of(1, 2).buffer));
    expect(bad[4]).toBe(Op.ERROR);
    expect(text(bad)).toBe('actions[row 1, 0]: expected an integer in [0, 1], got 2');
    const short = await c.request(Op.STEP, new Uint8Array(4));
    expect(text(short)).toMatch(/step frame length: expected 16 \(2 rows x 1 actions x 4 bytes \+ header\), got 12/);
    expect(text(await c.request(9))).toMatch(/opcode: expected HELLO, RESET, STEP or CLOSE, got 9/);
    // The refused steps moved nothing: stepping now equals stepping right after the reset.
    const reference = vectorize(() => makeEnv('CartPole-v1'), 2);
    expect(Array.from(new Float32Array(before.buffer, before.byteOffset, 8))).toEqual(Array.from(reference.reset({ seed: 4 }).observation));
    const ok = await c.request(Op.STEP, new Uint8Array(Int32Array.of(1, 0).buffer));
    expect(ok[4]).toBe(Op.STEP);
    expect(Array.from(new Float32Array(ok.buffer.slice(ok.byteOffset + HEADER_BYTES, ok.byteOffset + HEADER_BYTES + 32)))).toEqual(Array.from(reference.step(Int32Array.of(1, 0)).observation));
    // A frame longer than any request is broken framing: an error, then the connection closes.
    const broken = await c.request(Op.STEP, new Uint8Array(0), 1 << 20);
    expect(text(broken)).toMatch(/frame length: expected 8 to 16 bytes, got 1048576/);
    await c.closed;
  });

  it('serves a parallel env with one row per agent, and refuses agents with different spaces', async () => {
    server = await serveEnv(() => new Duel());
    const c = await client(server.address);
    expect(JSON.parse(text(await c.request(Op.HELLO)))).toMatchObject({ kind: 'parallel', rows: 2, agents: ['red', 'blue'], autoreset: 'none' });
    const reset = await c.request(Op.RESET, seedPayload(1));
    const layout = batchLayout(2, 3);
    expect(Array.from(reset.subarray(layout.alive, layout.alive + 2))).toEqual([1, 1]);
    await server.close();

    const mixed = Object.assign(new Duel(), { actionSpace: (id: string) => (id === 'red' ? Discrete(3) : Discrete(4)) });
    server = await serveEnv(() => mixed);
    const m = await client(server.address);
    const refused = await m.request(Op.HELLO);
    expect(text(refused)).toMatch(/env.actionSpace\("blue"\): expected the same space as agent "red"/);
    await m.closed;
  });

  it('listens on this machine only', () => {
    expect(() => serveEnv(() => makeEnv('CartPole-v1'), { host: '0.0.0.0' })).toThrow(/host: expected one of 127.0.0.1, ::1, localhost/);
    expect(() => serveEnv(() => makeEnv('CartPole-v1'), { numEnvs: 0 })).toThrow(/numEnvs: expected an integer >= 1/);
  });
});
