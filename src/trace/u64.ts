// Building 64-bit values from two 32-bit halves without BigInt arithmetic: the halves are stored
// into a Uint32Array that aliases a BigUint64Array, whose element is then the value. Several
// times faster than BigInt('0x' + text), which was the largest cost of reading a trace.
const U64 = new BigUint64Array(1);
const U32 = new Uint32Array(U64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

/** (hi << 32) | lo, for 0 <= hi, lo < 2^32. */
export function u64(hi: number, lo: number): bigint {
  U32[LO] = lo;
  U32[HI] = hi;
  return U64[0];
}

/** Value of each ASCII hex digit, -1 for anything else. */
export const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) { HEX_VALUE[97 + i] = 10 + i; HEX_VALUE[65 + i] = 10 + i; }
