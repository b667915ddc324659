// The interop subcommands through the CLI's own entry: export-onnx writes a model onnxruntime loads, and
// usage mistakes exit with 2 and a message naming the problem.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { Box, Discrete } from '../../src/spaces.js';
import { checkpointFor } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'webppo-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('webppo export-onnx / serve-env', () => {
  it('export-onnx writes <checkpoint>.onnx that onnxruntime runs', async () => {
    const file = join(dir, 'agent.safetensors');
    writeFileSync(file, checkpointFor({ observationSpace: Box(4), actionSpace: Discrete(2) }, 3).bytes);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['export-onnx', file])).toBe(0);
    log.mockRestore();
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'agent.onnx')));
    expect(session.inputNames).toEqual(['observation']);
    expect(session.outputNames).toEqual(['logits', 'action', 'value']);
    await session.release();
  });

  it('usage mistakes exit with 2 and say what is wrong; a bad checkpoint exits with 1', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => { errors.push(m); });
    expect(await main(['export-onnx'])).toBe(2);
    expect(await main(['serve-env', 'CartPole-v1', '--colour', 'red'])).toBe(2);
    expect(await main(['serve-env', 'CartPole-v1', '--port', '1', '--socket', '/tmp/x'])).toBe(2);
    expect(await main(['serve-env', './no-such-module.js'])).toBe(2);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, new Uint8Array(4));
    expect(await main(['export-onnx', bad])).toBe(1);
    spy.mockRestore();
    expect(errors[0]).toMatch(/export-onnx needs exactly one checkpoint file/);
    expect(errors[1]).toMatch(/unknown option --colour/);
    expect(errors[2]).toMatch(/give --port or --socket, not both/);
    expect(errors[3]).toMatch(/neither a built-in env .* nor an importable module/);
    expect(errors[4]).toMatch(/truncated/);
  });
});
