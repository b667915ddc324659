// Unmanaged blocks of wasm linear memory. The TypeScript side owns their lifetime and keeps typed-array
// views over them; nothing here is garbage-collected, so views stay valid until the block is freed
// (or memory grows, which the TypeScript side detects and re-views). The TLSF allocator returns
// 16-byte aligned blocks, which v128 loads and stores want.

export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

export function allocZeroed(bytes: usize): usize {
  const ptr = heap.alloc(bytes);
  memory.fill(ptr, 0, bytes);
  return ptr;
}

export function free(ptr: usize): void {
  heap.free(ptr);
}
