// Row copies by index between blocks of wasm memory: what carries recurrent states between a table of slots
// and the acting rows of an inference pass, one memory.copy per row.

/**
 * dst[dstRows[j], :] = src[srcRows[j], :] for j < count, rows of rowBytes bytes; a row list pointer of 0 means
 * row j itself. Row lists are i32; the blocks must not overlap.
 */
export function copyRows(src: usize, srcRows: usize, dst: usize, dstRows: usize, count: i32, rowBytes: i32): void {
  const size = <usize>rowBytes;
  if (srcRows == 0 && dstRows == 0) {
    memory.copy(dst, src, <usize>count * size); // rows in order: one block
    return;
  }
  for (let j = 0; j < count; j++) {
    const at = <usize>j << 2;
    const from = srcRows == 0 ? <usize>j : <usize>load<i32>(srcRows + at);
    const to = dstRows == 0 ? <usize>j : <usize>load<i32>(dstRows + at);
    memory.copy(dst + to * size, src + from * size, size);
  }
}
