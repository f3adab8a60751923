// "Did you mean ...?" for misspelt names in scenarios.

/** Levenshtein distance (names are short: the quadratic table is fine). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

const tokens = (s: string) => new Set(s.toUpperCase().split(/[_.\-\s]+/).filter(Boolean));

/** The choice most like `input`: most shared name parts (TDX_BUSY ~ TDX_OPERAND_BUSY), then the
 *  fewest edits; undefined when nothing is plausibly meant. */
export function nearest(input: string, choices: readonly string[]): string | undefined {
  const want = tokens(input);
  let best: { choice: string; shared: number; dist: number } | undefined;
  for (const choice of choices) {
    const shared = [...tokens(choice)].filter((t) => want.has(t)).length;
    const dist = editDistance(input.toUpperCase(), choice.toUpperCase());
    if (!best || shared > best.shared || (shared === best.shared && dist < best.dist)) best = { choice, shared, dist };
  }
  if (!best) return undefined;
  const plausible = best.dist <= Math.max(2, Math.floor(input.length / 3)) || (best.shared >= 2 && best.shared >= want.size - 1);
  return plausible ? best.choice : undefined;
}
