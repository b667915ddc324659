// Device acquisition: navigator.gpu in browsers and Deno, the optional `webgpu` package (Dawn) in Node.
// Also the typed error a lost device becomes, carrying the parameters last read back so a new trainer can resume.

/** The GPU device was lost (driver reset, destroy, ...). `parameters` are the last ones the CPU side held. */
export class DeviceLostError extends Error {
  /** Always `'DeviceLostError'`. */
  override name = 'DeviceLostError';
  /**
   * @param reason - Why the device was lost, as the browser or Dawn reported it.
   * @param parameters - The parameters last read back: pass them as `parameters` to a new trainer to resume.
   */
  constructor(
    readonly reason: string,
    readonly parameters: Float32Array,
  ) {
    super(`webppo: the WebGPU device was lost (${reason}); create a new trainer with { parameters: error.parameters } to resume`);
  }
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i;

let nodeGpu: Promise<GPU | undefined> | undefined;

/** navigator.gpu, or the `webgpu` package's GPU in Node; undefined when neither exists. */
export function getGPU(): Promise<GPU | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return Promise.resolve(nav.gpu);
  nodeGpu ??= (async () => {
    const name = 'webgpu'; // a variable, so that browser bundlers leave the optional Node package alone
    try {
      const module = await import(/* @vite-ignore */ name);
      Object.assign(globalThis, module.globals);
      return module.create([]) as GPU;
    } catch {
      return undefined;
    }
  })();
  return nodeGpu;
}

/**
 * Describes the default adapter, or null when WebGPU is unavailable.
 * @property software Whether it is a software adapter (SwiftShader, llvmpipe, lavapipe, a fallback adapter).
 * @property description The adapter's vendor, architecture and device, as reported.
 */
export async function probeAdapter(): Promise<{ software: boolean; description: string } | null> {
  const gpu = await getGPU();
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info;
  const description = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ') || 'unknown adapter';
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
  return { software: fallback || SOFTWARE_NAMES.test(description), description };
}

/** A device with the storage-buffer count the kernels need. */
export async function requestDevice(): Promise<GPUDevice> {
  const gpu = await getGPU();
  if (!gpu) throw new Error("webppo: WebGPU is not available (no navigator.gpu, and the optional 'webgpu' package could not be loaded in Node)");
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('webppo: WebGPU is available but no adapter was found');
  return adapter.requestDevice({ label: 'webppo' });
}
