// What the loader needs to know about a kernel profile to refuse impossible requests.
import type { PgLevel, ProfileName } from '../types';

export interface ProfileLimits {
  /** The kernel has TDX mirror roots (KVM_X86_TDX_VM exists). */
  tdx: boolean;
  /** Largest level a private (mirror) mapping may have. */
  privateMaxLevel: PgLevel;
}

// Mainline tdx_gmem_private_max_mapping_level() returns PG_LEVEL_4K; the huge-page RFC v2
// (patch 23) lets it return 2M at runtime.
const LIMITS: Record<ProfileName, ProfileLimits> = {
  'pre-tdx': { tdx: false, privateMaxLevel: 1 },
  mainline: { tdx: true, privateMaxLevel: 1 },
  'hugepage-rfc-v2': { tdx: true, privateMaxLevel: 2 },
};

export function profileLimits(name: ProfileName): ProfileLimits {
  return LIMITS[name];
}
