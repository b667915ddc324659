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
import sumTree from '../../../shaders/sum_tree_common.wgsl';
import sumSubgroups from '../../../shaders/sum_subgroups_common.wgsl';
import recurrent from '../../../shaders/recurrent.wgsl';

// The per-row kernels share one scratch layout, defined once in row_scratch.wgsl; the two matrix-product
// families share their parameters, bindings and epilogue (matmul_common.wgsl), the two reduction families their
// slots (reduce_common.wgsl) and their workgroup sum: a barrier tree (sum_tree_common.wgsl), or in the
// *_subgroups builds subgroup operations (sum_subgroups_common.wgsl, first: its enable directive opens the module).
export const SHADERS = {
  linear: matmulCommon + linear,
  heads: rowScratch + heads,
  ppo_loss: rowScratch + ppoLoss,
  reduce: sumTree + rowScratch + reduceCommon + reduce,
  adam,
  advantage: rowScratch + advantage,
  tiled: matmulCommon + tiled,
  reduce_split: sumTree + rowScratch + reduceCommon + reduceSplit,
  reduce_subgroups: sumSubgroups + rowScratch + reduceCommon + reduce,
  reduce_split_subgroups: sumSubgroups + rowScratch + reduceCommon + reduceSplit,
  recurrent,
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
  categorical_forward: { shader: 'heads', storage: { 1: READ, 2: READ, 3: READ, 4: READ, 5: READ, 8: RW, 11: RW }, uniform: 'u'.repeat(12) },
  categorical_backward: { shader: 'heads', storage: { 1: READ, 2: READ, 3: READ, 4: READ, 5: READ, 8: RW, 9: RW }, uniform: 'u'.repeat(12) },
  gaussian_forward: { shader: 'heads', storage: { 1: READ, 2: READ, 3: READ, 4: READ, 6: READ, 7: READ, 8: RW }, uniform: 'u'.repeat(12) },
  gaussian_backward: { shader: 'heads', storage: { 1: READ, 2: READ, 3: READ, 6: READ, 7: READ, 8: RW, 9: RW, 10: RW }, uniform: 'u'.repeat(12) },
  gather_minibatch: { shader: 'advantage', storage: { 1: READ, 2: READ, 4: RW, 5: READ, 6: RW }, uniform: 'uuuuffffuuuu' },
  vtrace: { shader: 'advantage', storage: { 1: READ, 2: READ, 3: READ, 4: RW }, uniform: 'uuuuffffuuuu' },
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
  // Recurrent cells (recurrent.wgsl): one workgroup per sequence, through time.
  recurrent_forward: { shader: 'recurrent', storage: { 1: READ, 2: READ, 3: READ, 4: READ, 5: RW }, uniform: 'u'.repeat(16) },
  recurrent_backward: { shader: 'recurrent', storage: { 1: READ, 2: READ, 3: READ, 5: RW, 6: RW }, uniform: 'u'.repeat(16) },
  adam_step: { shader: 'adam', storage: { 1: READ, 2: READ, 3: RW, 4: RW, 5: RW }, uniform: 'uuuuffffffff' },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

export interface Kernel {
  readonly name: KernelName;
  /** The shader module it was built from (a subgroup twin shares its name, not its shader). */
  readonly shader: ShaderName;
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

async function createKernel(device: GPUDevice, name: KernelName, module: GPUShaderModule, shader: ShaderName = KERNELS[name].shader): Promise<Kernel> {
  const spec: KernelSpec = KERNELS[name];
  device.pushErrorScope('validation');
  const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }];
  for (const [binding, access] of Object.entries(spec.storage)) {
    entries.push({ binding: Number(binding), visibility: GPUShaderStage.COMPUTE, buffer: { type: access === 'rw' ? 'storage' : 'read-only-storage' } });
  }
  const layout = device.createBindGroupLayout({ label: `webppo ${name}`, entries });
  const pipeline = device.createComputePipeline({
    label: `webppo ${shader}.wgsl:${name}`,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: name },
  });
  const error = await device.popErrorScope();
  if (error) throw new Error(`webppo: WebGPU pipeline ${shader}.wgsl:${name} failed: ${error.message}`);
  return { name, shader, spec, pipeline, layout };
}

/** Kernels of the 'tiled' variant (variants.ts): compiled only when a trainer first needs them. */
export const TILED_KERNELS: readonly KernelName[] = [
  'matmul_tiled', 'column_sum_split', 'sum_splits', 'sum_squares', 'grad_norm_partials',
  'advantage_moments_partial', 'advantage_moments_combine', 'loss_stats_partial', 'loss_stats_combine',
];

/**
 * Kernels that sum over a workgroup (workgroup_sum), and so have a twin built with subgroup operations
 * (the *_subgroups shaders) for devices with the 'subgroups' feature.
 */
export const SUBGROUP_KERNELS: readonly KernelName[] = [
  'advantage_moments', 'loss_stats', 'grad_norm',
  'sum_squares', 'grad_norm_partials', 'advantage_moments_partial', 'loss_stats_partial',
];

/** Kernels of recurrent networks: compiled only for a trainer whose network has memory. */
export const RECURRENT_KERNELS: readonly KernelName[] = ['recurrent_forward', 'recurrent_backward'];

type Group = 'base' | 'tiled' | 'subgroups' | 'recurrent';
const cache = new WeakMap<GPUDevice, Map<Group, Promise<Partial<Record<KernelName, Kernel>>>>>();

function compileGroup(device: GPUDevice, group: Group): Promise<Partial<Record<KernelName, Kernel>>> {
  let groups = cache.get(device);
  if (!groups) cache.set(device, (groups = new Map()));
  let kernels = groups.get(group);
  if (!kernels) {
    kernels = (async () => {
      const names = group === 'subgroups' ? SUBGROUP_KERNELS : group === 'recurrent' ? RECURRENT_KERNELS
        : (Object.keys(KERNELS) as KernelName[]).filter((n) => !RECURRENT_KERNELS.includes(n) && TILED_KERNELS.includes(n) === (group === 'tiled'));
      const shaderOf = (n: KernelName): ShaderName => (group === 'subgroups' ? `${KERNELS[n].shader as 'reduce' | 'reduce_split'}_subgroups` : KERNELS[n].shader);
      const modules = new Map<ShaderName, GPUShaderModule>();
      for (const shader of new Set(names.map(shaderOf))) modules.set(shader, await compileShader(device, shader, SHADERS[shader]));
      const built = await Promise.all(names.map((name) => createKernel(device, name, modules.get(shaderOf(name))!, shaderOf(name))));
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
 * With `subgroups` (the device must have the 'subgroups' feature) the workgroup-summing kernels are their
 * subgroup twins, under the same names. The recurrent cells' kernels only with `recurrent`.
 */
export async function getKernels(device: GPUDevice, { tiled = true, subgroups = false, recurrent = false } = {}): Promise<Record<KernelName, Kernel>> {
  const base = await compileGroup(device, 'base');
  return {
    ...base,
    ...(tiled ? await compileGroup(device, 'tiled') : {}),
    ...(subgroups ? await compileGroup(device, 'subgroups') : {}),
    ...(recurrent ? await compileGroup(device, 'recurrent') : {}),
  } as Record<KernelName, Kernel>;
}

/** Whether the device was created with the 'subgroups' feature (so the subgroup twins compile on it). */
export function hasSubgroups(device: GPUDevice): boolean {
  return device.features?.has('subgroups') === true;
}
