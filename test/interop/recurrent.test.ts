// webppo's recurrent parameters are PyTorch's: a layout's `*.memory.*` tensors load with strict names and shapes
// into torch.nn.LSTM / torch.nn.GRU, and PyTorch's forward pass over a sequence matches the float64 cells the
// oracle is checked against (test/oracle/recurrent64.ts). Runs where a Python with torch exists.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout, resolveNetworkSpec } from '../../src/policy/network.js';
import { writeSafetensors, type Tensor } from '../../src/policy/safetensors.js';
import { PCG32 } from '../../src/rng.js';
import { Box, Discrete } from '../../src/spaces.js';
import { cellSequence64 } from '../oracle/recurrent64.js';
import { NO_TORCH, pythonWithTorch } from './python.js';

const python = pythonWithTorch();
if (!python) console.warn(`test/interop/recurrent.test.ts: ${NO_TORCH}`);
const dir = mkdtempSync(join(tmpdir(), 'webppo-cells-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES = [
  { cell: 'lstm', shared: false, hidden: [5] },
  { cell: 'gru', shared: false, hidden: [] },
  { cell: 'lstm', shared: true, hidden: [4] },
  { cell: 'gru', shared: true, hidden: [6, 3] },
] as const;

describe.skipIf(!python)('recurrent parameters as a PyTorch state_dict', () => {
  it('every cell of every layout loads into torch.nn.LSTM / GRU and gives the float64 reference outputs', () => {
    const T = 4, B = 2;
    const expected: Float64Array[] = [];
    let k = 0;
    for (const c of CASES) {
      const policy = { observationSize: 3, actionSpace: c.cell === 'lstm' ? Discrete(3) : Box(2), network: resolveNetworkSpec({ hidden: c.hidden, shared: c.shared, memory: { cell: c.cell, size: 5 } }) };
      const layout = networkLayout(policy);
      const flat = initialParameters(layout, 11 + k);
      expect(layout.memories.length).toBe(c.shared ? 1 : 2);
      for (const entry of layout.memories) {
        const rng = new PCG32(k, 5);
        const x = Float64Array.from({ length: T * B * entry.inputs }, () => rng.nextNormal());
        const state = Float64Array.from({ length: B * entry.stateSize }, () => rng.nextNormal() * 0.5);
        const tensors = new Map<string, Tensor>();
        for (const p of layout.parameters.filter((q) => q.name.startsWith(`${entry.name}.`))) {
          const n = p.shape.reduce((a, b) => a * b, 1);
          tensors.set(p.name, { dtype: 'F32', shape: p.shape, data: flat.slice(p.offset, p.offset + n) });
        }
        const H = entry.size;
        const part = (from: number) => Float64Array.from({ length: B * H }, (_, i) => state[Math.floor(i / H) * entry.stateSize + from + (i % H)]);
        tensors.set('input.x', { dtype: 'F64', shape: [T, B, entry.inputs], data: x });
        tensors.set('input.h0', { dtype: 'F64', shape: [1, B, H], data: part(0) });
        if (entry.cell === 'lstm') tensors.set('input.c0', { dtype: 'F64', shape: [1, B, H], data: part(H) });
        writeFileSync(join(dir, `cell-${k}.safetensors`), writeSafetensors(tensors, { cell: entry.cell, prefix: entry.name }));
        const p = (offset: number, n: number) => Array.from(flat.subarray(offset, offset + n));
        const G = entry.gates * H;
        expected.push(cellSequence64({
          cell: entry.cell, inputs: entry.inputs, size: H, weightIh: p(entry.weightIhOffset, G * entry.inputs),
          weightHh: p(entry.weightHhOffset, G * H), biasIh: p(entry.biasIhOffset, G), biasHh: p(entry.biasHhOffset, G),
        }, T, B, x, state, new Uint8Array(T * B)).outputs);
        k++;
      }
    }
    const run = spawnSync(python!, ['python/tests/recurrent_cells.py', dir], { encoding: 'utf8' });
    expect(run.stderr + run.stdout).not.toMatch(/Traceback/);
    expect(run.status).toBe(0);
    expected.forEach((want, i) => {
      const got = JSON.parse(readFileSync(join(dir, `cell-${i}.json`), 'utf8')) as number[];
      expect(got.length).toBe(want.length);
      for (let j = 0; j < want.length; j++) expect(Math.abs(got[j] - want[j]), `cell ${i} output ${j}`).toBeLessThan(1e-12);
    });
  });
});
