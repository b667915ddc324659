// The one wasm module of webppo. Each file below owns one job; this file only re-exports.
export { alloc, allocZeroed, free } from './memory';
