// How the stepper and the status bar name where an anchor is: `tdp_mmu.c:812` when the source
// linker found it, or why not (absent in this tree, ambiguous between candidates), or the
// symbolic anchor when no kernel tree is linked. Pure: no `vscode` import.
import * as path from 'path';
import type { Resolution } from '../../kernel/resolve';
import type { LocationView } from '../stepper/protocol';
import { symbolicLocation } from '../stepper/positionView';

export function locationView(anchor: string, r: Resolution | undefined): LocationView {
  if (!r) return symbolicLocation(anchor);
  switch (r.status) {
    case 'found':
      return { status: 'resolved', file: r.location.file, line: r.location.startLine, label: `${path.basename(r.location.file)}:${r.location.startLine}` };
    case 'absent':
      return { status: 'absent', label: `${anchor} is absent: ${r.reason}` };
    case 'ambiguous': {
      const where = r.candidates.map((c) => `${path.basename(c.file)}:${c.startLine}`).join(', ');
      return { status: 'ambiguous', label: `${anchor} is ambiguous: ${r.reason} (${where})` };
    }
  }
}
