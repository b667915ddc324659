// Records the dispatches of one whole update (or gradient computation) and encodes them into one compute
// pass. Each dispatch's uniform parameters get their own 256-byte slot of one uniform arena, written with a
// single writeBuffer before the one submit.
import type { Kernel } from './kernels.js';

const SLOT_BYTES = 256;
const SLOT_WORDS = SLOT_BYTES / 4;

interface Dispatch {
  kernel: Kernel;
  buffers: Record<number, GPUBuffer>;
  groups: [number, number];
}

export class Recorder {
  private words = new Uint32Array(SLOT_WORDS * 64);
  private floats = new Float32Array(this.words.buffer);
  private readonly dispatches: Dispatch[] = [];

  /** Queues a dispatch; `values` follow the kernel's uniform layout (u32 or f32 per field). */
  dispatch(kernel: Kernel, values: readonly number[], buffers: Record<number, GPUBuffer>, x: number, y = 1): void {
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
    if (x > 0 && y > 0) this.dispatches.push({ kernel, buffers, groups: [x, y] });
  }

  get count(): number {
    return this.dispatches.length;
  }

  /** Writes the uniform arena (grown as needed) and encodes every dispatch into `pass`. */
  encode(device: GPUDevice, arena: { buffer?: GPUBuffer }, pass: GPUComputePassEncoder): void {
    const bytes = Math.max(1, this.dispatches.length) * SLOT_BYTES;
    if (!arena.buffer || arena.buffer.size < bytes) {
      arena.buffer?.destroy();
      arena.buffer = device.createBuffer({ label: 'webppo uniforms', size: bytes * 2, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    }
    device.queue.writeBuffer(arena.buffer, 0, this.words.buffer, 0, bytes);
    this.dispatches.forEach((d, slot) => {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: arena.buffer!, offset: slot * SLOT_BYTES, size: SLOT_BYTES } }];
      for (const binding of Object.keys(d.kernel.spec.storage)) {
        const buffer = d.buffers[Number(binding)];
        if (!buffer) throw new Error(`webppo: ${d.kernel.name} dispatch is missing binding ${binding}`);
        entries.push({ binding: Number(binding), resource: { buffer } });
      }
      pass.setPipeline(d.kernel.pipeline);
      pass.setBindGroup(0, device.createBindGroup({ layout: d.kernel.layout, entries }));
      pass.dispatchWorkgroups(d.groups[0], d.groups[1]);
    });
  }
}
