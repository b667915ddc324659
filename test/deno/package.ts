// The built package under Deno: it loads, knows where it runs, and Deno's own WebGPU gives it a device.
import { detectRuntime, init } from '../../dist/index.js';

function check(condition: unknown, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

await init();
check(detectRuntime() === 'deno', `detectRuntime() is 'deno' (got ${detectRuntime()})`);
const adapter = await navigator.gpu?.requestAdapter();
check(adapter, 'navigator.gpu gives an adapter');
const device = await adapter!.requestDevice();
check(device.limits.maxStorageBufferBindingSize > 0, `a device on ${adapter!.info.description || adapter!.info.vendor}`);
device.destroy();
