// PCG32 (XSH RR, O'Neill 2014): the one seeded generator of webppo. assembly/rng.ts implements the same
// sequence for wasm-side sampling; test/rng.test.ts checks they agree.
const MULT = 6364136223846793005n;
const MASK = (1n << 64n) - 1n;

export class PCG32 {
  private state = 0n;
  private inc: bigint;

  constructor(seed: number | bigint, stream: number | bigint = 54) {
    this.inc = ((BigInt(stream) << 1n) | 1n) & MASK;
    this.nextU32();
    this.state = (this.state + (BigInt(seed) & MASK)) & MASK;
    this.nextU32();
  }

  nextU32(): number {
    const old = this.state;
    this.state = (old * MULT + this.inc) & MASK;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box-Muller; u1 kept away from 0). */
  nextNormal(): number {
    const u1 = (this.nextU32() + 1) / 4294967297;
    const u2 = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** The generator's state, for checkpoints. */
  getState(): { state: bigint; inc: bigint } {
    return { state: this.state, inc: this.inc };
  }

  setState(saved: { state: bigint; inc: bigint }): void {
    this.state = saved.state & MASK;
    this.inc = (saved.inc | 1n) & MASK;
  }
}
