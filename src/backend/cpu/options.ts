// Validation of what the CPU backend is built from, so a bad spec fails at construction with the field
// named, not later inside a kernel.
import { checkInteger, fail } from '../../errors.js';
import { resolveNetworkSpec, type PolicySpec } from '../../policy/network.js';
import { isSpace } from '../../spaces.js';

export function checkPolicy(policy: PolicySpec, field = 'policy'): PolicySpec {
  if (typeof policy !== 'object' || policy === null) fail(field, 'a PolicySpec', policy);
  checkInteger(`${field}.observationSize`, policy.observationSize, 1);
  if (!isSpace(policy.actionSpace)) fail(`${field}.actionSpace`, 'a Discrete, MultiDiscrete or Box space', policy.actionSpace);
  const network = resolveNetworkSpec(policy.network, `${field}.network`);
  const space = policy.actionSpace;
  if (space.kind === 'box' && network.distribution === 'tanh_normal') {
    for (let d = 0; d < space.size; d++) {
      if (!Number.isFinite(space.low[d]) || !Number.isFinite(space.high[d])) {
        fail(`${field}.actionSpace.low/high[${d}]`, "finite bounds for a 'tanh_normal' distribution", `${space.low[d]}, ${space.high[d]}`);
      }
    }
  }
  return { ...policy, network };
}

export function checkSeed(seed: unknown, field = 'seed'): number {
  return checkInteger(field, seed, 0);
}
