// network.memory: validation that names the field, the layout's PyTorch names and shapes, and PyTorch's init.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { initialParameters } from '../../src/policy/init.js';
import { networkLayout, resolveNetworkSpec } from '../../src/policy/network.js';
import { Box, Discrete } from '../../src/spaces.js';

describe('network.memory', () => {
  it('rejects bad specs with the field named', () => {
    const bad: [unknown, string][] = [
      [{ cell: 'rnn', size: 4 }, 'network.memory.cell'],
      [{ cell: 'lstm', size: 0 }, 'network.memory.size'],
      [{ cell: 'gru', size: 2.5 }, 'network.memory.size'],
      [{ cell: 'gru', size: 4, sequenceLength: 0 }, 'network.memory.sequenceLength'],
      [{ cell: 'gru', size: 4, length: 3 }, 'network.memory.length'],
      ['lstm', 'network.memory'],
    ];
    for (const [memory, field] of bad) {
      expect(() => resolveNetworkSpec({ memory } as never), JSON.stringify(memory)).toThrow(expect.objectContaining({ field }));
    }
    expect(() => resolveNetworkSpec({ memory: { cell: 'rnn', size: 4 } } as never)).toThrow(ValidationError);
    expect(resolveNetworkSpec({ memory: { cell: 'gru', size: 4, sequenceLength: 8 } }).memory).toEqual({ cell: 'gru', size: 4, sequenceLength: 8 });
    expect('memory' in resolveNetworkSpec({})).toBe(false);
  });

  it('separate networks: each stack has a cell after its hidden layers, named and shaped as torch.nn.LSTM', () => {
    const layout = networkLayout({ observationSize: 3, actionSpace: Box(2), network: resolveNetworkSpec({ hidden: [8, 6], memory: { cell: 'lstm', size: 5 } }) });
    expect(layout.parameters.map((p) => `${p.name} ${p.shape.join('x')}`)).toEqual([
      'actor.0.weight 8x3', 'actor.0.bias 8', 'actor.2.weight 6x8', 'actor.2.bias 6',
      'actor.memory.weight_ih_l0 20x6', 'actor.memory.weight_hh_l0 20x5', 'actor.memory.bias_ih_l0 20', 'actor.memory.bias_hh_l0 20',
      'actor.4.weight 2x5', 'actor.4.bias 2',
      'critic.0.weight 8x3', 'critic.0.bias 8', 'critic.2.weight 6x8', 'critic.2.bias 6',
      'critic.memory.weight_ih_l0 20x6', 'critic.memory.weight_hh_l0 20x5', 'critic.memory.bias_ih_l0 20', 'critic.memory.bias_hh_l0 20',
      'critic.4.weight 1x5', 'critic.4.bias 1', 'log_std 2',
    ]);
    expect(layout.memories.map((m) => [m.name, m.stateOffset, m.stateSize])).toEqual([['actor.memory', 0, 10], ['critic.memory', 10, 10]]);
    expect(layout.stateSize).toBe(20);
    const last = layout.parameters[layout.parameters.length - 1];
    expect(layout.size).toBe(last.offset + 2);
  });

  it('a shared network shares one GRU cell after the trunk', () => {
    const layout = networkLayout({ observationSize: 3, actionSpace: Discrete(4), network: resolveNetworkSpec({ hidden: [8], shared: true, memory: { cell: 'gru', size: 5 } }) });
    expect(layout.parameters.map((p) => `${p.name} ${p.shape.join('x')}`)).toEqual([
      'trunk.0.weight 8x3', 'trunk.0.bias 8',
      'trunk.memory.weight_ih_l0 15x8', 'trunk.memory.weight_hh_l0 15x5', 'trunk.memory.bias_ih_l0 15', 'trunk.memory.bias_hh_l0 15',
      'actor.0.weight 4x5', 'actor.0.bias 4', 'critic.0.weight 1x5', 'critic.0.bias 1',
    ]);
    expect(layout.stateSize).toBe(5);
    expect(networkLayout({ observationSize: 3, actionSpace: Discrete(4), network: resolveNetworkSpec({}) }).memories).toEqual([]);
  });

  it("initializes cells uniformly in +-1/sqrt(size), seeded, and leaves the dense layers' values as without memory", () => {
    const policy = (memory?: { cell: 'gru'; size: number }) => ({ observationSize: 3, actionSpace: Discrete(4), network: resolveNetworkSpec({ hidden: [8], memory }) });
    // A cell of 8 after a hidden layer of 8: every dense layer has the shape it has without memory.
    const layout = networkLayout(policy({ cell: 'gru', size: 8 }));
    const flat = initialParameters(layout, 3);
    expect(initialParameters(layout, 3)).toEqual(flat);
    expect(initialParameters(layout, 4)).not.toEqual(flat);
    const plain = networkLayout(policy());
    const plainFlat = initialParameters(plain, 3);
    for (const p of plain.parameters) {
      const q = layout.parameters.find((e) => e.name === p.name)!;
      const n = p.shape.reduce((a, b) => a * b, 1);
      expect(flat.subarray(q.offset, q.offset + n), p.name).toEqual(plainFlat.subarray(p.offset, p.offset + n));
    }
    for (const cell of layout.memories) {
      const values = flat.subarray(cell.weightIhOffset, cell.biasHhOffset + cell.gates * cell.size);
      const bound = 1 / Math.sqrt(8);
      expect(Math.max(...values)).toBeLessThanOrEqual(bound);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-bound);
      expect(Math.max(...values)).toBeGreaterThan(0.9 * bound);
      expect(Math.min(...values)).toBeLessThan(-0.9 * bound);
    }
  });
});

describe('network.memory in agents', () => {
  it('agents take it on both backends (their trainers: test/cpu and test/webgpu recurrent tests)', async () => {
    const { init } = await import('../../src/init.js');
    const { Agent } = await import('../../src/agent/agent.js');
    await init();
    const agent = { observationSpace: Box(3), actionSpace: Discrete(2), numAgents: 2, backend: 'cpu', network: { hidden: [4], memory: { cell: 'gru', size: 4 } } } as const;
    const created = await Agent.create(agent);
    expect(created.options.network.memory).toEqual({ cell: 'gru', size: 4 });
    created.dispose();
  });
});
