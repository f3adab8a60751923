// Where an anchor id (src/sim/anchors.ts) sits in the user's kernel tree. The debug adapter
// only needs this one question answered; src/kernel/ answers it (see linker.ts for the adapter
// over the real linker), tests may answer it from a fixture tree.
import * as path from 'path';
import { ANCHORS, type Anchor } from '../sim/anchors';

export interface AnchorLocation {
  /** Absolute path of the kernel file. */
  file: string;
  /** 1-based, inclusive. For a function anchor: its signature line through its closing brace. */
  startLine: number;
  endLine: number;
}

export type AnchorLookup =
  | { status: 'found'; location: AnchorLocation }
  /** Not there (absent in this kernel version, ambiguous, no tree, ...): `reason` says which. */
  | { status: 'missing'; reason: string };

export interface AnchorLocator {
  /** The kernel tree the locations are in, if any (shown in messages). */
  readonly tree: string | undefined;
  locate(anchorId: string): AnchorLookup;
}

/** A locator for "no kernel tree": every anchor is symbolic. */
export function noTreeLocator(reason = 'no kernel tree is configured (launch attribute kernelTree or the tdpMmuSim.kernelTree setting)'): AnchorLocator {
  return { tree: undefined, locate: () => ({ status: 'missing', reason }) };
}

/** An anchor found in a file, for line breakpoints. */
export interface PlacedAnchor {
  anchor: Anchor;
  location: AnchorLocation;
}

/** Every anchor the locator finds in `file` (compared as resolved absolute paths). */
export function anchorsInFile(locator: AnchorLocator, file: string): PlacedAnchor[] {
  const want = path.resolve(file);
  const out: PlacedAnchor[] = [];
  for (const anchor of ANCHORS) {
    if (!want.endsWith(path.sep + anchor.file.split('/').join(path.sep))) continue;
    const r = locator.locate(anchor.id);
    if (r.status === 'found' && path.resolve(r.location.file) === want) out.push({ anchor, location: r.location });
  }
  return out;
}
