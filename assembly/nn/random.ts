// PCG32 (XSH RR) over a state held in wasm memory (16 bytes: state, inc), so each policy or trainer owns
// its generator and no globals are shared. Same sequence as src/rng.ts for the same seed and stream.
const MULT: u64 = 6364136223846793005;

@unmanaged export class Pcg32State {
  state: u64;
  inc: u64;
}

/** Seeds the generator at ptr (16 bytes) as `new PCG32(seed, stream)` does in src/rng.ts. */
export function pcgSeed(ptr: usize, seed: u64, stream: u64): void {
  const rng = changetype<Pcg32State>(ptr);
  rng.state = 0;
  rng.inc = (stream << 1) | 1;
  pcgNext(rng);
  rng.state += seed;
  pcgNext(rng);
}

@inline export function pcgNext(rng: Pcg32State): u32 {
  const old = rng.state;
  rng.state = old * MULT + rng.inc;
  const xorshifted = <u32>(((old >> 18) ^ old) >> 27);
  return rotr<u32>(xorshifted, <u32>(old >> 59));
}

/** Uniform in [0, 1) with 32 random bits. */
@inline export function pcgFloat(rng: Pcg32State): f64 {
  return <f64>pcgNext(rng) * (1.0 / 4294967296.0);
}

/** Standard normal by Box-Muller (u1 kept away from 0), as src/rng.ts nextNormal. */
export function pcgNormal(rng: Pcg32State): f64 {
  const u1 = (<f64>pcgNext(rng) + 1) / 4294967297.0;
  const u2 = pcgFloat(rng);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Fills n f32 with standard normals from the generator at ptr. */
export function fillNormals(ptr: usize, out: usize, n: i32): void {
  const rng = changetype<Pcg32State>(ptr);
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>pcgNormal(rng));
}
