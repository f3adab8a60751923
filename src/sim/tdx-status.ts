// TDX SEAMCALL status codes (upper 32 bits: class and status; lower 32 bits: operand id / detail).
// Values as in the kernel's tdx_errno.h (vmx/ in v6.14-era trees, asm/shared/ later); the EPT codes
// below TDX_EPT_ENTRY_STATE_INCORRECT come from the TDX module spec as quoted in intel/tdx trees.
import type { Spte } from './types';

export const TDX_SEAMCALL_STATUS_MASK = 0xffffffff00000000n;

export const TDX_STATUS = {
  TDX_SUCCESS: 0x0n,
  TDX_NON_RECOVERABLE_VCPU: 0x4000000100000000n,
  TDX_INTERRUPTED_RESUMABLE: 0x8000000300000000n,
  TDX_OPERAND_INVALID: 0xc000010000000000n,
  TDX_OPERAND_BUSY: 0x8000020000000000n,
  TDX_PREVIOUS_TLB_EPOCH_BUSY: 0x8000020100000000n,
  TDX_PAGE_METADATA_INCORRECT: 0xc000030000000000n,
  TDX_VCPU_NOT_ASSOCIATED: 0x8000070200000000n,
  TDX_KEY_GENERATION_FAILED: 0x8000080000000000n,
  TDX_KEY_STATE_INCORRECT: 0xc000081100000000n,
  TDX_KEY_CONFIGURED: 0x0000081500000000n,
  TDX_NO_HKID_READY_TO_WBCACHE: 0x0000082100000000n,
  TDX_FLUSHVP_NOT_DONE: 0x8000082400000000n,
  TDX_EPT_WALK_FAILED: 0xc0000b0000000000n,
  TDX_EPT_ENTRY_FREE: 0xc0000b0100000000n,
  TDX_EPT_ENTRY_NOT_FREE: 0xc0000b0200000000n,
  TDX_EPT_ENTRY_NOT_PRESENT: 0xc0000b0300000000n,
  TDX_EPT_ENTRY_NOT_LEAF: 0xc0000b0400000000n,
  TDX_EPT_ENTRY_LEAF: 0xc0000b0500000000n,
  TDX_GPA_RANGE_NOT_BLOCKED: 0xc0000b0600000000n,
  TDX_GPA_RANGE_ALREADY_BLOCKED: 0x00000b0700000000n,
  TDX_TLB_TRACKING_NOT_DONE: 0xc0000b0800000000n,
  TDX_EPT_INVALID_PROMOTE_CONDITIONS: 0xc0000b0900000000n,
  TDX_PAGE_ALREADY_ACCEPTED: 0x00000b0a00000000n,
  TDX_PAGE_SIZE_MISMATCH: 0xc0000b0b00000000n,
  TDX_EPT_ENTRY_STATE_INCORRECT: 0xc0000b0d00000000n,
  TDX_METADATA_FIELD_NOT_READABLE: 0xc0000c0200000000n,
} as const;

export type TdxStatusName = keyof typeof TDX_STATUS;

/** Operand ids in bits 31:0 of an error. */
export const TDX_OPERAND_ID_RCX = 0x01n;
export const TDX_OPERAND_ID_TDR = 0x80n;
export const TDX_OPERAND_ID_SEPT = 0x92n;
export const TDX_OPERAND_ID_TD_EPOCH = 0xa9n;

const BY_VALUE = new Map<bigint, TdxStatusName>(Object.entries(TDX_STATUS).map(([k, v]) => [v, k as TdxStatusName]));

export function isTdxStatusName(s: string): s is TdxStatusName {
  return Object.prototype.hasOwnProperty.call(TDX_STATUS, s);
}

/** Parse a status name as written in a scenario (`inject: { error: TDX_OPERAND_BUSY }`). */
export function tdxStatusByName(name: string): Spte {
  if (!isTdxStatusName(name)) {
    throw new RangeError(`unknown TDX status '${name}': expected one of ${Object.keys(TDX_STATUS).join(', ')}`);
  }
  return TDX_STATUS[name];
}

/** The status name of a 64-bit SEAMCALL result (operand id ignored), or its hex value. */
export function tdxStatusName(status: Spte): string {
  // Success first: nearly every SEAMCALL, and no BigInt masking or BigInt-keyed lookup for it.
  if (status === 0n) return 'TDX_SUCCESS';
  return BY_VALUE.get(status & TDX_SEAMCALL_STATUS_MASK) ?? '0x' + status.toString(16);
}

/** tdx_operand_busy(): the status part is TDX_OPERAND_BUSY, whatever the operand. */
export function tdx_operand_busy(err: Spte): boolean {
  return err !== 0n && (err & TDX_SEAMCALL_STATUS_MASK) === TDX_STATUS.TDX_OPERAND_BUSY;
}
