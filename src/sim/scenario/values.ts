// The value kinds of a scenario (GFNs, counts, sizes, page levels) parsed from what the
// schema let through. Each parser returns the value or a message saying what is wrong; the
// loader attaches the position.
import type { PgLevel } from '../types';
import { parsePgLevel } from '../levels';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (message: string): Parsed<never> => ({ ok: false, message });

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A non-negative integer: a YAML integer, or text in decimal or 0x hex. Floats, negatives
 *  and values above 2^53-1 (which a JS number cannot hold exactly) are refused. */
export function parseUint(v: unknown): Parsed<number> {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return bad(`${v} is not an integer`);
    if (v < 0) return bad(`${v} is negative`);
    if (!Number.isSafeInteger(v)) return bad(`${v} is larger than 2^53-1`);
    return ok(v);
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(t)) return bad(`'${v}' is not a non-negative integer (decimal or 0x hex)`);
    const n = BigInt(t);
    if (n > SAFE) return bad(`${t} is larger than 2^53-1`);
    return ok(Number(n));
  }
  return bad(`expected a non-negative integer (decimal or 0x hex)`);
}

const UNITS: Record<string, bigint> = { '': 1n, K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n };

/** A size in bytes: an integer, or a number with a K/M/G/T suffix (powers of 1024). */
export function parseSize(v: unknown): Parsed<number> {
  if (typeof v === 'string') {
    const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)([KMGT]?)$/.exec(v.trim());
    if (!m) return bad(`'${v}' is not a size (bytes, or a number with K, M, G or T, e.g. 64M)`);
    const bytes = BigInt(m[1]) * UNITS[m[2]];
    if (bytes > SAFE) return bad(`${v} is larger than 2^53-1 bytes`);
    return ok(Number(bytes));
  }
  return parseUint(v);
}

/** A page level as the schema allows it: 4K/2M/1G or enum pg_level 1..3. */
export function parseLevel(v: unknown): Parsed<PgLevel> {
  if (typeof v !== 'string' && typeof v !== 'number') return bad('expected a page level: 4K, 2M, 1G (or 1, 2, 3)');
  try {
    const level = parsePgLevel(v);
    if (level > 3) return bad(`${v} is not a page size KVM maps guest memory with (4K, 2M or 1G)`);
    return ok(level);
  } catch (e) {
    return bad((e as Error).message);
  }
}

/** An expected mapping level: a page level, or none/0 for "not mapped". */
export function parseMappedLevel(v: unknown): Parsed<PgLevel | 0> {
  if (v === 0 || v === 'none') return ok(0);
  return parseLevel(v);
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
