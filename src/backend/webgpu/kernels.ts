// The compute kernels: which shader file and entry point, their bind-group layout, and the layout of their
// uniform parameters. Pipelines are compiled once per device and cached; every shader module and pipeline is
// created inside a validation error scope so a broken shader becomes an Error that names it.
import linear from '../../../shaders/linear.wgsl';
import matmulCommon from '../../../shaders/matmul_common.wgsl';
import heads from '../../../shaders/heads.wgsl';
import ppoLoss from '../../../shaders/ppo_loss.wgsl';
import reduce from '../../../shaders/reduce.wgsl';
import adam from '../../../shaders/adam.wgsl';
import advantage from '../../../shaders/advantage.wgsl';
import rowScratch from '../../../shaders/row_scratch.wgsl';
import tiled from '../../../shaders/tiled.wgsl';
import reduceSplit from '../../../shaders/reduce_split.wgsl';
import reduceCommon from '../../../shaders/reduce_common.wgsl';

// The per-row kernels share one scratch layout, defined once in row_scratch.wgsl; the two matrix-product
// families share their parameters, bindings and epilogue (matmul_common.wgsl), the two reduction families their
// slots and tree sum (reduce_common.wgsl).
export const SHADERS = {
  linear: matmulCommon + linear,
  heads: rowScratch + heads,
  ppo_loss: rowScratch + ppoLoss,
  reduce: rowScratch + reduceCommon + reduce,
  adam,
  advantage: rowScratch + advantage,
  tiled: matmulCommon + tiled,
  reduce_split: rowScratch + reduceCommon + reduceSplit,
} as const;
export type ShaderName = keyof typeof SHADERS;

type Access = 'read' | 'rw';

interface KernelSpec {
  shader: ShaderName;
  /** Storage bindings by number (binding 0 is always the uniform parameters). */
  storage: Record<number, Access>;
  /** One letter per 4-byte uniform field: u (u32) or f (f32). */
  uniform: string;
  /** Writes the indirect dispatch arguments, so it is itself dispatched directly. */
  direct?: boolean;
}

const READ = 'read' as const;
const RW = 'rw' as const;

export const KERNELS = {
  matmul: { shader: 'linear', storage: { 1: READ, 2: READ, 3: RW, 4: READ, 5: READ }, uniform: 'u'.repeat(16) },
  gather_rows: { shader: 'linear', storage: { 1: READ, 2: READ, 3: RW }, uniform: 'uuuu' },
  categorical_forward: { shader: 'heads', storage: { 1: READ, 2: READ, 3: READ, 4: READ, 5: READ, 8: RW, 11: RW }, uniform: 'u'.repeat(12) },
  categorical_backward: { shader: 'heads', storage: { 1: READ, 2: READ, 3: READ, 4: READ, 5: READ, 8: RW, 9: RW }, uniform: 'u'.repeat(12) },
  gaussian_forward: { shader: 'heads', storage: { 1: READ, 2: READ, 3: READ, 4: READ, 6: READ, 7: READ, 8: RW }, uniform: 'u'.repeat(12) },
  gaussian_backward: { shader: 'heads', storage: { 1: READ, 2: READ, 3: READ, 6: READ, 7: READ, 8: RW, 9: RW, 10: RW }, uniform: 'u'.repeat(12) },
  gather_advantages: { shader: 'advantage', storage: { 1: READ, 2: READ, 3: READ, 4: RW }, uniform: 'uuuuffff' },
  vtrace: { shader: 'advantage', storage: { 1: READ, 2: READ, 3: READ, 4: RW }, uniform: 'uuuuffff' },
  loss_rows: { shader: 'ppo_loss', storage: { 1: READ, 2: READ, 3: READ, 4: READ, 5: RW }, uniform: 'uuuuffffffff' },
  column_sum: { shader: 'reduce', storage: { 1: READ, 2: RW, 3: RW }, uniform: 'uuuuuuuuffff' },
  advantage_moments: { shader: 'reduce', storage: { 1: READ, 2: RW, 3: RW }, uniform: 'uuuuuuuuffff' },
  loss_stats: { shader: 'reduce', storage: { 1: READ, 2: RW, 3: RW }, uniform: 'uuuuuuuuffff' },
  grad_norm: { shader: 'reduce', storage: { 1: READ, 2: RW, 3: RW }, uniform: 'uuuuuuuuffff' },
  kl_check: { shader: 'reduce', storage: { 1: READ, 2: RW, 3: RW, 4: RW }, uniform: 'uuuuuuuuffff', direct: true },
  // The 'tiled' variant (variants.ts): workgroup-memory tiles, split-K, two-pass reductions.
  matmul_tiled: { shader: 'tiled', storage: { 1: READ, 2: READ, 3: RW, 4: READ, 5: READ }, uniform: 'u'.repeat(16) },
  column_sum_split: { shader: 'tiled', storage: { 1: READ, 2: RW }, uniform: 'u'.repeat(8) },
  sum_splits: { shader: 'tiled', storage: { 1: READ, 2: RW }, uniform: 'uuuu' },
  sum_squares: { shader: 'reduce_split', storage: { 1: READ, 4: RW }, uniform: 'uuuuffff' },
  grad_norm_partials: { shader: 'reduce_split', storage: { 2: RW, 3: RW, 4: RW }, uniform: 'uuuuffff' },
  advantage_moments_partial: { shader: 'reduce_split', storage: { 1: READ, 4: RW }, uniform: 'uuuuffff' },
  advantage_moments_combine: { shader: 'reduce_split', storage: { 3: RW, 4: RW }, uniform: 'uuuuffff' },
  loss_stats_partial: { shader: 'reduce_split', storage: { 1: READ, 4: RW }, uniform: 'uuuuffff' },
  loss_stats_combine: { shader: 'reduce_split', storage: { 2: RW, 3: RW, 4: RW }, uniform: 'uuuuffff' },
  adam_step: { shader: 'adam', storage: { 1: READ, 2: READ, 3: RW, 4: RW, 5: RW }, uniform: 'uuuuffffffff' },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

export interface Kernel {
  readonly name: KernelName;
  readonly spec: KernelSpec;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** Compiles WGSL inside an error scope; a compile error throws an Error naming the shader. */
export async function compileShader(device: GPUDevice, name: string, code: string): Promise<GPUShaderModule> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: `webppo ${name}.wgsl`, code });
  const error = await device.popErrorScope();
  if (error) {
    const info = await module.getCompilationInfo?.().catch(() => undefined);
    const details = info?.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
    throw new Error(`webppo: WebGPU shader ${name}.wgsl failed to compile: ${details || error.message}`);
  }
  return module;
}

async function createKernel(device: GPUDevice, name: KernelName, module: GPUShaderModule): Promise<Kernel> {
  const spec: KernelSpec = KERNELS[name];
  device.pushErrorScope('validation');
  const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }];
  for (const [binding, access] of Object.entries(spec.storage)) {
    entries.push({ binding: Number(binding), visibility: GPUShaderStage.COMPUTE, buffer: { type: access === 'rw' ? 'storage' : 'read-only-storage' } });
  }
  const layout = device.createBindGroupLayout({ label: `webppo ${name}`, entries });
  const pipeline = device.createComputePipeline({
    label: `webppo ${spec.shader}.wgsl:${name}`,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: name },
  });
  const error = await device.popErrorScope();
  if (error) throw new Error(`webppo: WebGPU pipeline ${spec.shader}.wgsl:${name} failed: ${error.message}`);
  return { name, spec, pipeline, layout };
}

/** Kernels of the 'tiled' variant (variants.ts): compiled only when a trainer first needs them. */
export const TILED_KERNELS: readonly KernelName[] = [
  'matmul_tiled', 'column_sum_split', 'sum_splits', 'sum_squares', 'grad_norm_partials',
  'advantage_moments_partial', 'advantage_moments_combine', 'loss_stats_partial', 'loss_stats_combine',
];

type Group = 'base' | 'tiled';
const cache = new WeakMap<GPUDevice, Map<Group, Promise<Partial<Record<KernelName, Kernel>>>>>();

function compileGroup(device: GPUDevice, group: Group): Promise<Partial<Record<KernelName, Kernel>>> {
  let groups = cache.get(device);
  if (!groups) cache.set(device, (groups = new Map()));
  let kernels = groups.get(group);
  if (!kernels) {
    kernels = (async () => {
      const names = (Object.keys(KERNELS) as KernelName[]).filter((n) => TILED_KERNELS.includes(n) === (group === 'tiled'));
      const modules = new Map<ShaderName, GPUShaderModule>();
      for (const shader of new Set(names.map((n) => KERNELS[n].shader))) modules.set(shader, await compileShader(device, shader, SHADERS[shader]));
      const built = await Promise.all(names.map((name) => createKernel(device, name, modules.get(KERNELS[name].shader)!)));
      return Object.fromEntries(built.map((k) => [k.name, k])) as Partial<Record<KernelName, Kernel>>;
    })();
    kernels.catch(() => groups!.delete(group));
    groups.set(group, kernels);
  }
  return kernels;
}

/**
 * The kernels, compiled once per device: every kernel, or with `tiled: false` all but the 'tiled' variant's
 * (whose entries are then absent until a later call asks for them; software adapters compile pipelines slowly).
 */
export async function getKernels(device: GPUDevice, { tiled = true } = {}): Promise<Record<KernelName, Kernel>> {
  const base = await compileGroup(device, 'base');
  return { ...base, ...(tiled ? await compileGroup(device, 'tiled') : {}) } as Record<KernelName, Kernel>;
}
