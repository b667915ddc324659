// Imports resolved by the webppoAssets plugin (rollup.config.mjs).
declare module '*.wgsl' {
  const source: string;
  export default source;
}
declare module '*.wasm' {
  const base64: string;
  export default base64;
}
