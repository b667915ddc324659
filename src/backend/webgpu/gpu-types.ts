// WebGPU types in webppo's public signatures, guarded: a consumer whose TypeScript knows WebGPU
// (@webgpu/types, or a lib that declares it) sees the real `GPUDevice`; one without WebGPU types sees
// `object`, and webppo's published .d.ts still compile under `strict` without `skipLibCheck`.

/** `GPUDevice` when WebGPU types are present in the consumer's program, `object` otherwise. */
export type GPUDeviceLike = typeof globalThis extends { GPUDevice: { prototype: infer Device } } ? Device : object;

/** Which kernels run the matrix products and reductions: barrier-free ('direct') or workgroup tiles ('tiled'). */
export type KernelVariant = 'direct' | 'tiled';
