// The one error type the patch/mail parsers throw. Every parser in src/patch/ either returns a
// result or throws PatchParseError naming the input file, the 1-based line (and column when it
// is known) and the problem, so callers can show it as a diagnostic and the CLI can exit 2.

export class PatchParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
    readonly column?: number,
  ) {
    super(`${file}:${line}${column !== undefined ? `:${column}` : ''}: ${problem}`);
    this.name = 'PatchParseError';
  }
}

/** A non-fatal finding about the input (something tolerated, guessed or not reconstructed). */
export interface InputNote {
  /** 1-based line in the input file the note is about. */
  line: number;
  message: string;
}
