// Which scenarios the review's behaviour diff runs, from the tdpMmuSim.review.scenarios setting
// and the user's picks. Pure (no `vscode` import) so the rules are unit tested; session.ts finds
// the candidates and shows the QuickPick.
import * as path from 'path';

/** The scenarios the review can run: shipped with the extension, and found in the workspace. */
export interface ScenarioCandidates {
  /** Absolute paths. */
  shipped: readonly string[];
  /** Absolute path, and the path relative to its workspace folder ('/'-separated). */
  workspace: readonly { file: string; relative: string }[];
}

/** Text of a scenario file, or undefined when it cannot be read. */
export type ReadFile = (file: string) => string | undefined;

/** The default set: all shipped scenarios, and the workspace's that are not copies of them. */
export function defaultScenarios(c: ScenarioCandidates, read: ReadFile): string[] {
  const known = new Set(c.shipped.map(read));
  return [...c.shipped, ...c.workspace.map((w) => w.file).filter((f) => !known.has(read(f)))];
}

export interface Selection {
  files: string[];
  /** Setting entries that match no candidate. */
  unmatched: string[];
}

/**
 * The scenarios the setting selects, shipped first, each once. An empty setting selects the
 * default set. A pattern with a '/' matches a workspace scenario's path relative to its folder;
 * one without matches the file name (with or without .tdpsim.yaml) of any scenario; an absolute
 * one matches the absolute path.
 */
export function selectScenarios(c: ScenarioCandidates, patterns: readonly string[], read: ReadFile): Selection {
  if (patterns.length === 0) return { files: defaultScenarios(c, read), unmatched: [] };
  const all = [...c.shipped.map((file) => ({ file, relative: undefined as string | undefined })), ...c.workspace];
  const files = new Set<string>();
  const unmatched: string[] = [];
  for (const p of patterns) {
    const hits = all.filter((s) => scenarioMatches(p, s.file, s.relative));
    if (hits.length === 0) unmatched.push(p);
    for (const h of hits) files.add(h.file);
  }
  // Candidate order, not pattern order: the same threads whatever order the setting lists.
  return { files: all.map((s) => s.file).filter((f) => files.has(f)), unmatched };
}

/** Does setting entry `pattern` name the scenario at `file` (`relative`: its workspace path, if any)? */
export function scenarioMatches(pattern: string, file: string, relative: string | undefined): boolean {
  const p = pattern.trim().replace(/\\/g, '/');
  if (!p) return false;
  if (path.isAbsolute(p)) return globToRegExp(p).test(file.replace(/\\/g, '/'));
  const re = globToRegExp(p.replace(/^(\.\/)+/, ''));
  if (p.includes('/')) return relative !== undefined && re.test(relative);
  const name = path.basename(file);
  return re.test(name) || re.test(name.replace(/\.tdpsim\.yaml$/, ''));
}

/**
 * A glob as VS Code settings write them: `**` any number of path segments, `*` and `?` within one
 * segment, `{a,b}` alternatives; everything else literal (an unclosed `{` too).
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      // "**/" also matches no directory at all; any other "**" matches the rest.
      i++;
      if (glob[i + 1] === '/') { i++; re += '(?:[^/]*/)*'; } else re += '.*';
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{' && glob.indexOf('}', i) > i) { depth++; re += '(?:'; }
    else if (ch === '}' && depth > 0) { depth--; re += ')'; }
    else if (ch === ',' && depth > 0) re += '|';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  // A '{' whose '}' was consumed by a nested one: close what is open so the RegExp is valid.
  re += ')'.repeat(depth);
  return new RegExp(`^${re}$`);
}
