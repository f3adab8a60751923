// Errors of the scenario loader. Every problem found in a scenario file becomes one
// ScenarioIssue with its position; a ScenarioError carries all of them so the user sees
// every mistake of a file at once, each as `file:line:col: message` (the format VS Code's
// problem matchers and terminals recognise).

export interface ScenarioIssue {
  file: string;
  /** 1-based; 0 when the problem concerns the whole file (e.g. it cannot be read). */
  line: number;
  /** 1-based; 0 together with line 0. */
  column: number;
  message: string;
}

export function formatIssue(issue: ScenarioIssue): string {
  return issue.line > 0
    ? `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`
    : `${issue.file}: ${issue.message}`;
}

export class ScenarioError extends Error {
  /** All problems, in file order. Never empty. */
  readonly issues: readonly ScenarioIssue[];

  constructor(issues: ScenarioIssue[]) {
    if (issues.length === 0) throw new RangeError('ScenarioError needs at least one issue');
    const sorted = [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
    super(sorted.map(formatIssue).join('\n'));
    this.name = 'ScenarioError';
    this.issues = sorted;
  }

  /** Position of the first problem. */
  get file(): string { return this.issues[0].file; }
  get line(): number { return this.issues[0].line; }
  get column(): number { return this.issues[0].column; }
}
