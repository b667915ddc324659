// init(): loads the one wasm module once, in Node, Deno, browsers and workers. The module's JS glue is
// AssemblyScript's own static bindings (`asc --bindings raw`): plain ES code, no runtime dependency.
import wasmBase64 from '../build/webppo.wasm';
import { instantiate } from '../build/webppo.js';
import { describe, failState, ValidationError } from './errors.js';

/** @internal */
export type WasmExports = Awaited<ReturnType<typeof instantiate>>;
/** Where webppo runs, as {@link detectRuntime} sees it. */
export type Runtime = 'node' | 'deno' | 'browser' | 'worker' | 'unknown';

/**
 * `WebAssembly.Module` where the consumer's TypeScript declares it (the DOM lib), `never` otherwise: the
 * published types compile in a Node project whose libs lack the WebAssembly namespace.
 */
export type WasmModuleLike = typeof globalThis extends { WebAssembly: { Module: { prototype: infer Module } } } ? Module : never;

/** Options of `init`. */
export interface InitOptions {
  /** Where the wasm comes from: a URL (or string URL), its bytes, or a compiled module. Default: inlined. */
  wasm?: URL | string | ArrayBuffer | ArrayBufferView | WasmModuleLike;
}

let loading: Promise<void> | undefined;
let loaded: WasmExports | undefined;

/**
 * Loads the wasm module. Idempotent: every call returns the same promise. Call it once before anything that
 * touches wasm memory (`Agent.create` and `Agent.load` call it themselves).
 * @example
 * ```ts
 * import { init } from 'webppo';
 * await init();                                           // the inlined wasm, in any runtime
 * // or serve dist/webppo.wasm yourself: await init({ wasm: new URL('/webppo.wasm', location.href) });
 * ```
 */
export function init(options: InitOptions = {}): Promise<void> {
  loading ??= load(options).then(
    (exports) => { loaded = exports; },
    (error: unknown) => { loading = undefined; throw error; },
  );
  return loading;
}

/** @internal The wasm exports; throws when init() has not finished. */
export function wasm(): WasmExports {
  if (!loaded) failState('webppo', 'await init() before using the library (call init() first)', 'a call before init()');
  return loaded;
}

/** @internal */
export function isInitialized(): boolean {
  return loaded !== undefined;
}

/** The runtime webppo is running in: Deno, Node, a browser page, a worker, or `'unknown'`. */
export function detectRuntime(): Runtime {
  const g = globalThis as Record<string, any>;
  if (typeof g.Deno?.version?.deno === 'string') return 'deno';
  if (typeof g.process?.versions?.node === 'string') return 'node';
  if (typeof g.window === 'object' && typeof g.document === 'object') return 'browser';
  if (typeof g.WorkerGlobalScope === 'function' && typeof g.importScripts === 'function') return 'worker';
  return 'unknown';
}

async function load(options: InitOptions): Promise<WasmExports> {
  return instantiate(await compileWasm(options.wasm), { env: {} });
}

/** @internal Compiles the wasm from any accepted source (exported for tests; init() memoizes the result). */
export async function compileWasm(source: InitOptions['wasm']): Promise<WebAssembly.Module> {
  if (source === undefined) return WebAssembly.compile(decodeBase64(wasmBase64));
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer) return WebAssembly.compile(source);
  if (ArrayBuffer.isView(source)) {
    return WebAssembly.compile(new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice());
  }
  if (typeof source === 'string' || source instanceof URL) return WebAssembly.compile(await readUrl(new URL(source, baseUrl())));
  const error = new ValidationError('options.wasm', 'a URL, string, ArrayBuffer, typed array or WebAssembly.Module', source);
  error.message = `init: options.wasm must be ${error.expected}, got ${describe(source)}`;
  throw error;
}

function baseUrl(): string {
  const g = globalThis as Record<string, any>;
  return typeof g.location?.href === 'string' ? g.location.href : 'file:///';
}

async function readUrl(url: URL): Promise<ArrayBuffer> {
  if (url.protocol === 'file:' && detectRuntime() === 'node') {
    // A non-literal specifier: browser bundlers should not try to resolve a module only Node reaches.
    const fsModule = 'node:fs/promises';
    const { readFile } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
    const bytes = await readFile(url);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`init: could not fetch the wasm from ${url.href}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
