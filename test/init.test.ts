import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileWasm, detectRuntime, init, wasm } from '../src/init.js';

const WASM_URL = new URL('../build/webppo.wasm', import.meta.url);

describe('init', () => {
  it('throws before init, then loads once (idempotent)', async () => {
    expect(() => wasm()).toThrow(/call init\(\) first/);
    const first = init();
    expect(init()).toBe(first);
    await first;
    const exports = wasm();
    const ptr = exports.alloc(64);
    expect(ptr % 16).toBe(0);
    exports.free(ptr);
    expect(detectRuntime()).toBe('node');
  });

  it('compiles the wasm from the inlined copy, bytes, a typed array, a module and a file URL', async () => {
    const bytes = readFileSync(WASM_URL);
    const names = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => e.name).sort();
    const expected = names(await WebAssembly.compile(bytes));
    expect(expected).toEqual(expect.arrayContaining(['alloc', 'free', 'memory']));
    const sources = [undefined, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), new Uint8Array(bytes), await WebAssembly.compile(bytes), WASM_URL, WASM_URL.href];
    for (const source of sources) expect(names(await compileWasm(source as never))).toEqual(expected);
  });

  it('rejects an unknown source with a clear error', async () => {
    await expect(compileWasm(42 as never)).rejects.toThrow(/options.wasm must be/);
  });
});
