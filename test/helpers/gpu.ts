// A WebGPU device for tests (Dawn via the `webgpu` package in Node). No adapter: the suite skips, except
// under REQUIRE_WEBGPU=1 (CI), where that is a failure.
import { afterAll } from 'vitest';
import { getGPU } from '../../src/backend/webgpu/device.js';

const devices: GPUDevice[] = [];

/** A fresh device, or null when there is no adapter (throws instead under REQUIRE_WEBGPU=1). */
export async function testDevice(): Promise<GPUDevice | null> {
  const gpu = await getGPU();
  const adapter = await gpu?.requestAdapter();
  if (!adapter) {
    if (process.env.REQUIRE_WEBGPU === '1') throw new Error('REQUIRE_WEBGPU=1 but no WebGPU adapter was found (set VK_ICD_FILENAMES to a Vulkan driver, e.g. SwiftShader)');
    return null;
  }
  // The subgroup twins of the reductions are tested wherever the adapter has the feature (SwiftShader in Dawn does).
  const device = await adapter.requestDevice({ label: 'webppo test', requiredFeatures: adapter.features.has('subgroups') ? ['subgroups'] : [] });
  devices.push(device);
  return device;
}

let shared: Promise<GPUDevice | null> | undefined;

/** One device shared by a test file (its pipelines compile once); destroyed after the file like the others. */
export function sharedTestDevice(): Promise<GPUDevice | null> {
  shared ??= testDevice();
  return shared;
}

afterAll(() => {
  shared = undefined;
  for (const device of devices.splice(0)) device.destroy();
});
