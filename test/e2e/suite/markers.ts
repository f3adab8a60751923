// Lines the suite logs around its mocha output; the runner prints what lies between them.
export const SUITE_START = '--- tdp-mmu-sim extension-host suite: start ---';
export const SUITE_END = '--- tdp-mmu-sim extension-host suite: end ---';
