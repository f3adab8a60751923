// The profile a scenario runs on: the named kernel profile, or a what-if variant of it.
import { PROFILES } from '../profiles';
import type { Profile } from '../profiles';
import type { Scenario } from '../scenario-types';
import { levelName } from '../levels';

/** PROFILES[scenario.profile] with the scenario's `what_if` applied (simulateWithProfile input). */
export function effectiveProfile(scenario: Pick<Scenario, 'profile' | 'what_if'>): Profile {
  const base = PROFILES[scenario.profile];
  const level = scenario.what_if?.private_max_level;
  return level === undefined ? base : { ...base, privateMaxLevel: level };
}

/** The what-if changes in words, for headers and reports (empty: the named profile). */
export function describeWhatIf(scenario: Pick<Scenario, 'profile' | 'what_if'>): string[] {
  const level = scenario.what_if?.private_max_level;
  if (level === undefined || level === PROFILES[scenario.profile].privateMaxLevel) return [];
  return [`private mappings up to ${levelName(level)} (${scenario.profile} allows ${levelName(PROFILES[scenario.profile].privateMaxLevel)})`];
}
