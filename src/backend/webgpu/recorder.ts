// Records the dispatches of one whole update (or gradient computation) and encodes them into one compute
// pass. Each dispatch's uniform parameters get their own 256-byte slot of one uniform arena, written with a
// single writeBuffer before the one submit. Bind groups are cached: an update of the same shape binds the
// same buffers at the same slots, so repeated updates create none.
import type { Kernel } from './kernels.js';

/** Bind groups by kernel, uniform slot and buffers; cleared when a buffer they name is replaced. */
export class BindGroupCache {
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private readonly groups = new Map<string, GPUBindGroup>();
  private next = 0;

  id(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) this.ids.set(buffer, (id = this.next++));
    return id;
  }

  get(key: string, create: () => GPUBindGroup): GPUBindGroup {
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = create()));
    return group;
  }

  clear(): void {
    this.groups.clear();
  }
}

const SLOT_BYTES = 256;
const SLOT_WORDS = SLOT_BYTES / 4;

/** A buffer, or one resolved at encode time (for buffers sized by the recording itself). */
export type Binding = GPUBuffer | (() => GPUBuffer);

interface Dispatch {
  kernel: Kernel;
  buffers: Record<number, Binding>;
  groups: [number, number, number];
}

export class Recorder {
  private words = new Uint32Array(SLOT_WORDS * 64);
  private floats = new Float32Array(this.words.buffer);
  private readonly dispatches: Dispatch[] = [];

  /** Queues a dispatch; `values` follow the kernel's uniform layout (u32 or f32 per field). */
  dispatch(kernel: Kernel, values: readonly number[], buffers: Record<number, Binding>, x: number, y = 1, z = 1): void {
    const format = kernel.spec.uniform;
    if (values.length > format.length) throw new Error(`webppo: ${kernel.name} takes ${format.length} uniform values, got ${values.length}`);
    const slot = this.dispatches.length;
    if ((slot + 1) * SLOT_WORDS > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
      this.floats = new Float32Array(grown.buffer);
    }
    const at = slot * SLOT_WORDS;
    for (let k = 0; k < format.length; k++) {
      const value = values[k] ?? 0;
      if (format[k] === 'f') this.floats[at + k] = value;
      else this.words[at + k] = value;
    }
    if (x > 0 && y > 0 && z > 0) this.dispatches.push({ kernel, buffers, groups: [x, y, z] });
  }

  get count(): number {
    return this.dispatches.length;
  }

  /**
   * Writes the uniform arena (grown as needed) and encodes every dispatch into `pass`. With `indirect` (a
   * buffer of at least 12 bytes per dispatch), workgroup counts are written there and dispatched indirectly,
   * so kernels can cancel the dispatches that follow them.
   */
  encode(device: GPUDevice, arena: { buffer?: GPUBuffer }, pass: GPUComputePassEncoder, cache = new BindGroupCache(), indirect?: GPUBuffer): void {
    const bytes = Math.max(1, this.dispatches.length) * SLOT_BYTES;
    if (!arena.buffer || arena.buffer.size < bytes) {
      arena.buffer?.destroy();
      cache.clear();
      arena.buffer = device.createBuffer({ label: 'webppo uniforms', size: bytes * 2, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    }
    const uniforms = arena.buffer;
    device.queue.writeBuffer(uniforms, 0, this.words.buffer, 0, bytes);
    if (indirect) {
      const args = new Uint32Array(3 * this.dispatches.length);
      this.dispatches.forEach((d, slot) => args.set(d.groups, 3 * slot));
      device.queue.writeBuffer(indirect, 0, args);
    }
    this.dispatches.forEach((d, slot) => {
      const bindings = Object.keys(d.kernel.spec.storage).map(Number);
      const buffers = bindings.map((binding) => {
        const buffer = d.buffers[binding];
        if (!buffer) throw new Error(`webppo: ${d.kernel.name} dispatch is missing binding ${binding}`);
        return typeof buffer === 'function' ? buffer() : buffer;
      });
      const key = `${d.kernel.shader}:${d.kernel.name}:${slot}:${cache.id(uniforms)}:${buffers.map((b) => cache.id(b)).join(',')}`;
      const group = cache.get(key, () => device.createBindGroup({
        layout: d.kernel.layout,
        entries: [
          { binding: 0, resource: { buffer: uniforms, offset: slot * SLOT_BYTES, size: SLOT_BYTES } },
          ...bindings.map((binding, k) => ({ binding, resource: { buffer: buffers[k] } })),
        ],
      }));
      pass.setPipeline(d.kernel.pipeline);
      pass.setBindGroup(0, group);
      if (indirect && !d.kernel.spec.direct) pass.dispatchWorkgroupsIndirect(indirect, 12 * slot);
      else pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2]);
    });
  }
}
