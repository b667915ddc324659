// ONNX export entry points: from a live agent's policy (Agent.exportOnnx) or from checkpoint bytes alone
// (`webppo export-onnx`), which needs neither the wasm module nor a trainer.
import { optionsFromJson } from '../../agent/options.js';
import { fail } from '../../errors.js';
import { decodeCheckpoint, readCheckpointConfig } from '../../policy/checkpoint.js';
import { networkLayout, type PolicySpec } from '../../policy/network.js';
import { flatSize } from '../../spaces.js';
import { encodeModel } from './graph.js';
import { policyGraph, type PolicyGraphSource } from './policy-graph.js';

/** The package version written into the model's producer_version. */
const VERSION = '0.1.0';

/**
 * Encodes a policy as ONNX bytes. Inputs: `observation` [batch, obs size] (raw, normalized inside the graph
 * when the agent normalizes) and, for agents created with masks, `action_mask` [batch, logits] (uint8).
 * Outputs: `logits` (categorical) or `action_mean` + `action_log_std` (Box), `action` (the deterministic
 * action of predict(): int64 indices or floats), and `value` [batch].
 */
export function policyToOnnx(source: PolicyGraphSource): Promise<Uint8Array> {
  const { policy } = source;
  if (policy.network.memory !== undefined) fail('network.memory', 'no memory (ONNX export has no recurrent cells yet)', policy.network.memory);
  return encodeModel(policyGraph(source), {
    producerVersion: VERSION,
    doc: 'webppo policy: deterministic actions and critic value',
    metadata: {
      'webppo.observation_size': String(policy.observationSize),
      'webppo.action_space': JSON.stringify(policy.actionSpace.kind === 'box' ? { kind: 'box', shape: policy.actionSpace.shape } : policy.actionSpace),
      'webppo.network': JSON.stringify(policy.network),
    },
  });
}

/**
 * The ONNX model of a webppo checkpoint (the bytes Agent.save() wrote). Throws CheckpointError for a file
 * that is not a valid checkpoint.
 */
export async function exportOnnx(checkpoint: Uint8Array | ArrayBuffer): Promise<Uint8Array> {
  const { config, file } = readCheckpointConfig(checkpoint);
  const options = optionsFromJson(config);
  const policy: PolicySpec = { observationSize: flatSize(options.observationSpace), actionSpace: options.actionSpace, network: options.network };
  const layout = networkLayout(policy);
  const contents = decodeCheckpoint(file, config, {
    layout, observationSize: policy.observationSize, numAgents: options.numAgents,
    normalizeObservations: options.ppo.normalizeObservations, normalizeRewards: options.ppo.normalizeRewards,
  });
  return await policyToOnnx({ policy, layout, parameters: contents.parameters, masks: options.masks, observationStats: contents.observationStats });
}
