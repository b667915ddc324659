// The interop subcommands through the CLI's own entry: export-onnx writes a model onnxruntime loads, and
// usage mistakes exit with 2 and a message naming the problem.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { Box, Discrete } from '../../src/spaces.js';
import { checkpointFor } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'webppo-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('webppo export-onnx / serve-env', () => {
  it('export-onnx writes <checkpoint>.onnx that onnxruntime runs', async () => {
    const file = join(dir, 'agent.safetensors');
    writeFileSync(file, checkpointFor({ observationSpace: Box(4), actionSpace: Discrete(2) }, 3).bytes);
    const out: string[] = [];
    expect(await main(['export-onnx', file], { out: (line) => out.push(line), err: (line) => out.push(line), signal: new AbortController().signal })).toBe(0);
    expect(out.join('\n')).toMatch(/wrote .*agent\.onnx/);
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'agent.onnx')));
    expect(session.inputNames).toEqual(['observation']);
    expect(session.outputNames).toEqual(['logits', 'action', 'value']);
    await session.release();
  });

  it('usage mistakes exit with 2 and say what is wrong; a bad checkpoint exits with 1', async () => {
    const errors: string[] = [];
    const io = { out: () => {}, err: (line: string) => { errors.push(line); }, signal: new AbortController().signal };
    expect(await main(['export-onnx'], io)).toBe(2);
    expect(await main(['serve-env', 'CartPole-v1', '--colour', 'red'], io)).toBe(2);
    expect(await main(['serve-env', 'CartPole-v1', '--port', '1', '--socket', '/tmp/x'], io)).toBe(2);
    expect(await main(['serve-env', './no-such-module.js'], io)).toBe(2);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, new Uint8Array(4));
    expect(await main(['export-onnx', bad], io)).toBe(1);
    expect(errors[0]).toMatch(/missing the checkpoint file/);
    expect(errors[1]).toMatch(/unknown option --colour/);
    expect(errors[2]).toMatch(/give --port or --socket, not both/);
    expect(errors[3]).toMatch(/neither a built-in env .* nor an importable module/);
    expect(errors[4]).toMatch(/truncated/);
  });
});
