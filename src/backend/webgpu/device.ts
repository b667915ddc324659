// Device acquisition: navigator.gpu in browsers and Deno, the optional `webgpu` package (Dawn) in Node.
// Also the typed error a lost device becomes, carrying the parameters last read back so a new trainer can resume.
import { type ErrorCode, WebppoError } from '../../errors.js';
import { log } from '../../log.js';

/** The GPU device was lost (driver reset, destroy, ...). `parameters` are the last ones the CPU side held. */
export class DeviceLostError extends WebppoError {
  /** The class's name, as `error.name` and stack traces show it. */
  override name = 'DeviceLostError';
  /** `E_DEVICE_LOST`. */
  override readonly code: ErrorCode = 'E_DEVICE_LOST';
  /** The message says how to resume: a new trainer created with `{ parameters: error.parameters }`. */
  constructor(
    /** Why the device was lost, as the runtime reported it. */
    readonly reason: string,
    /** The last parameters the CPU side held: pass them to a new trainer to resume. */
    readonly parameters: Float32Array,
  ) {
    super(`webppo: the WebGPU device was lost (${reason}); create a new trainer with { parameters: error.parameters } to resume`);
  }
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i;

let nodeGpu: Promise<GPU | undefined> | undefined;

/**
 * @internal
 * navigator.gpu, or in Node the optional peer dependency `webgpu` (Dawn) when it is installed; undefined when
 * neither exists. A missing package is the normal case (WebGPU in Node is opt-in: `npm i webgpu`) and is silent;
 * an installed package that fails to load is reported as a warning.
 */
export function getGPU(): Promise<GPU | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return Promise.resolve(nav.gpu);
  if (typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== 'string') return Promise.resolve(undefined);
  nodeGpu ??= (async () => {
    const name = 'webgpu'; // a variable, so that browser bundlers leave the optional Node package alone
    let module: { globals: object; create(flags: string[]): GPU };
    try {
      module = await import(/* @vite-ignore */ name);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' || !String((error as Error).message).includes("'webgpu'")) {
        log.warn(`webppo: the 'webgpu' package is installed but could not be loaded: ${(error as Error).message}`);
      }
      return undefined;
    }
    Object.assign(globalThis, module.globals);
    return module.create([]);
  })();
  return nodeGpu;
}

/**
 * gpu.requestAdapter() without the Wayland client's "XDG_RUNTIME_DIR is invalid or not set" lines that Linux
 * Vulkan drivers print when the variable is missing (headless servers, CI): it is set to the temp directory for
 * the request only, when the runtime lets us, and removed again.
 */
async function requestAdapterQuietly(gpu: GPU): Promise<GPUAdapter | null> {
  const env = runtimeEnv();
  const missing = env !== undefined && !(env.get('XDG_RUNTIME_DIR') ?? '').startsWith('/');
  if (missing) env.set('XDG_RUNTIME_DIR', '/tmp');
  try {
    return await gpu.requestAdapter();
  } finally {
    if (missing) env.delete('XDG_RUNTIME_DIR');
  }
}

interface EnvAccess { get(name: string): string | undefined; set(name: string, value: string): void; delete(name: string): void }

/** Read/write access to the process environment on Linux (Node or Deno with --allow-env), else undefined. */
function runtimeEnv(): EnvAccess | undefined {
  const g = globalThis as { Deno?: { build?: { os?: string }; env?: EnvAccess; permissions?: { querySync?(d: { name: string }): { state: string } } }; process?: { platform?: string; env?: Record<string, string | undefined> } };
  if (g.Deno) {
    if (g.Deno.build?.os !== 'linux' || !g.Deno.env) return undefined;
    try {
      if (g.Deno.permissions?.querySync?.({ name: 'env' }).state !== 'granted') return undefined;
    } catch {
      return undefined;
    }
    return g.Deno.env;
  }
  const env = g.process?.platform === 'linux' ? g.process.env : undefined;
  if (!env) return undefined;
  return { get: (name) => env[name], set: (name, value) => { env[name] = value; }, delete: (name) => { delete env[name]; } };
}

/**
 * Describes the default adapter, or null when WebGPU is unavailable.
 * @property software Whether it is a software adapter (SwiftShader, llvmpipe, lavapipe, a fallback adapter).
 * @property description The adapter's vendor, architecture and device, as reported.
 */
export async function probeAdapter(): Promise<{ software: boolean; description: string } | null> {
  const gpu = await getGPU();
  const adapter = gpu ? await requestAdapterQuietly(gpu) : null;
  if (!adapter) return null;
  const info = adapter.info;
  const description = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ') || 'unknown adapter';
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
  return { software: fallback || SOFTWARE_NAMES.test(description), description };
}

/**
 * @internal A device with the adapter's largest buffer limits (the default 128 MiB binding limit would reject the
 * activations of a large minibatch, e.g. 65536 rows x 1024 units), and its 'subgroups' feature when it has one
 * (the reductions' subgroup twins, kernels.ts).
 */
export async function requestDevice(): Promise<GPUDevice> {
  const gpu = await getGPU();
  if (!gpu) throw new Error("webppo: WebGPU is not available (no navigator.gpu, and the optional 'webgpu' package could not be loaded in Node)");
  const adapter = await requestAdapterQuietly(gpu);
  if (!adapter) throw new Error('webppo: WebGPU is available but no adapter was found');
  const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups'] : [];
  return adapter.requestDevice({ label: 'webppo', requiredLimits: { maxStorageBufferBindingSize, maxBufferSize }, requiredFeatures });
}
