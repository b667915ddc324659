// An error thrown inside the training worker comes back as the same documented class, code and field.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { resolvePPOConfig } from '../../src/config.js';
import { resolveNetworkSpec } from '../../src/policy/network.js';
import { Discrete } from '../../src/spaces.js';
import { RemoteTrainer } from '../../src/worker/remote-trainer.js';
import { serveTrainer } from '../../src/worker/serve.js';
import type { MessageEndpoint } from '../../src/worker/protocol.js';

describe('worker errors', () => {
  it('keep their class, code and field across the worker boundary', async () => {
    const channel = new MessageChannel();
    serveTrainer(channel.port1 as unknown as MessageEndpoint);
    let caught: unknown;
    try {
      await RemoteTrainer.create({
        policy: { observationSize: 3, actionSpace: Discrete(3), network: resolveNetworkSpec({ hidden: [8] }) },
        ppo: resolvePPOConfig({}), seed: 3, backend: 'nope' as 'cpu', worker: channel.port2 as unknown as MessageEndpoint,
      });
    } catch (error) {
      caught = error;
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe('E_VALIDATION');
    expect((caught as ValidationError).field).toBe('backend');
    expect((caught as Error).message).toMatch(/in the training worker/);
  });
});
