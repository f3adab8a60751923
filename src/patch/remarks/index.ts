// The registry of review checks. To add one: write a module exporting a ReviewCheck (id, title,
// optional `needs`, run(ctx) → RemarkDraft[]) next to these, add it to CHECKS, and give it a
// test with a patch that triggers it and one that must not (test/unit/patch/remarks.test.ts).

import { bugOnComment } from './bug-on-comment';
import { changelogParens } from './changelog-parens';
import { forwardDeclaration } from './forward-declaration';
import type { ReviewCheck } from './types';
import { x86OpsHook } from './x86-ops-hook';

export const CHECKS: readonly ReviewCheck[] = [changelogParens, forwardDeclaration, bugOnComment, x86OpsHook];

export type { CheckContext, OtherFile, RemarkDraft, ReviewCheck, ReviewedFile } from './types';
