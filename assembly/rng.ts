// PCG32 (XSH RR, O'Neill 2014): the same sequence as src/rng.ts for the same (seed, stream), so plans drawn
// in wasm can be reproduced (and tested) from TypeScript.
const MULT: u64 = 6364136223846793005;

export class Pcg32 {
  state: u64 = 0;
  inc: u64 = 0;

  constructor(seed: u64, stream: u64) {
    this.inc = (stream << 1) | 1;
    this.nextU32();
    this.state += seed;
    this.nextU32();
  }

  @inline nextU32(): u32 {
    const old = this.state;
    this.state = old * MULT + this.inc;
    const xorshifted = <u32>(((old >> 18) ^ old) >> 27);
    const rot = <u32>(old >> 59);
    return rotr<u32>(xorshifted, rot);
  }

  /** Uniform in [0, 1) with 32 random bits (u32 / 2^32), exact in f64. */
  @inline nextFloat(): f64 {
    return <f64>this.nextU32() * (1.0 / 4294967296.0);
  }

  /** Uniform integer in [0, bound) without modulo bias (rejection below 2^32 mod bound). */
  @inline nextBounded(bound: u32): u32 {
    const threshold: u32 = (<u32>0 - bound) % bound;
    while (true) {
      const r = this.nextU32();
      if (r >= threshold) return r % bound;
    }
  }
}

/** Writes `count` outputs of PCG32(seed, stream) to `out` (u32): the cross-check against src/rng.ts. */
export function pcg32Fill(seed: u64, stream: u64, out: usize, count: i32): void {
  const rng = new Pcg32(seed, stream);
  for (let i = 0; i < count; i++) store<u32>(out + (<usize>i << 2), rng.nextU32());
}
