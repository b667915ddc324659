// ONNX export entry points: from a live agent's policy (Agent.exportOnnx) or from checkpoint bytes alone
// (`webppo export-onnx`), which needs neither the wasm module nor a trainer.
import { optionsFromJson } from '../../agent/options.js';
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
 *
 * A recurrent policy (`network.memory`) has one more input and output, so that one call is one act() step:
 * `state_in` [batch, stateSize], each agent's state before the step, and `state_out` [batch, stateSize], its
 * state after the step, to pass back as `state_in` on the next call. Zeros are the state of an agent whose
 * episode starts (the first step, and after it terminated or was truncated). The layout is CpuPolicy's
 * (`stateSize`, `copyStates`): each cell's h, then c for an LSTM, for the shared trunk's cell or the actor's
 * then the critic's; the model's metadata holds `webppo.state_size`. The cells are ONNX's LSTM and GRU
 * operators (gates reordered from PyTorch's, GRU with linear_before_reset = 1, PyTorch's definition).
 */
export function policyToOnnx(source: PolicyGraphSource): Promise<Uint8Array> {
  const { policy, layout } = source;
  const recurrent = layout.stateSize > 0;
  return encodeModel(policyGraph(source), {
    producerVersion: VERSION,
    doc: recurrent
      ? 'webppo recurrent policy: one act step per call (deterministic actions, critic value, state_in -> state_out)'
      : 'webppo policy: deterministic actions and critic value',
    metadata: {
      ...(recurrent ? { 'webppo.state_size': String(layout.stateSize) } : {}),
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
