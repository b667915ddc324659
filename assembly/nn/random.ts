// The shared PCG32 (assembly/rng.ts) over a state held in a wasm block (16 bytes: state, inc), so each
// policy or trainer owns its generator across calls and no globals are shared. Same sequence as src/rng.ts
// for the same seed and stream.
import { Pcg32 } from '../rng';

/** Seeds the generator at ptr (16 bytes) as `new PCG32(seed, stream)` does in src/rng.ts. */
export function pcgSeed(ptr: usize, seed: u64, stream: u64): void {
  const rng = changetype<Pcg32>(ptr);
  rng.state = 0;
  rng.inc = (stream << 1) | 1;
  rng.nextU32();
  rng.state += seed;
  rng.nextU32();
}

/** The generator whose state is at ptr. */
@inline export function pcgAt(ptr: usize): Pcg32 {
  return changetype<Pcg32>(ptr);
}

/** Standard normal by Box-Muller (u1 kept away from 0), as src/rng.ts nextNormal. */
export function pcgNormal(rng: Pcg32): f64 {
  const u1 = (<f64>rng.nextU32() + 1) / 4294967297.0;
  const u2 = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Fills n f32 with standard normals from the generator at ptr. */
export function fillNormals(ptr: usize, out: usize, n: i32): void {
  const rng = pcgAt(ptr);
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>pcgNormal(rng));
}
