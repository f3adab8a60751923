// A 64-bit value's two 32-bit halves, and a value from its halves, through a typed-array alias:
// no BigInt arithmetic, which allocates per operation (these run several times per SPTE change,
// and per byte of a trace file's 64-bit fields).
const U64 = new BigUint64Array(1);
const U32 = new Uint32Array(U64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Indexes of the low and high halves in the array halves() returns. */
export const LO = LITTLE_ENDIAN ? 0 : 1;
export const HI = LITTLE_ENDIAN ? 1 : 0;

/** v (0 <= v < 2^64) as two unsigned 32-bit halves, at [LO] and [HI]; the array is shared and
 *  valid until the next call of anything in this module. */
export function halves(v: bigint): Uint32Array {
  U64[0] = v;
  return U32;
}

/** Bits 31..0 of v. */
export function low32(v: bigint): number {
  U64[0] = v;
  return U32[LO];
}

/** (hi << 32) | lo, for 0 <= hi, lo < 2^32. */
export function u64(hi: number, lo: number): bigint {
  U32[LO] = lo;
  U32[HI] = hi;
  return U64[0];
}
