// 64-bit values from their halves (src/sim/words.ts: no BigInt arithmetic, which was the largest
// cost of reading a trace), and hex digits.
export { u64 } from '../sim/words';

/** Value of each ASCII hex digit, -1 for anything else. */
export const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) { HEX_VALUE[97 + i] = 10 + i; HEX_VALUE[65 + i] = 10 + i; }
