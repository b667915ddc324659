export { exportOnnx, policyToOnnx } from './export.js';
export type { PolicyGraphSource } from './policy-graph.js';
