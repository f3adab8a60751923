// Markdown for comment bodies: patch text and kernel names go in escaped or as code spans, and
// actions are command links (the glue trusts exactly our commands on each MarkdownString).
// Pure: no `vscode` import, so the bodies are unit tested.

/** Text shown as-is: every character Markdown (and VS Code's HTML sanitizer) could act on is escaped. */
export function esc(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, '\\$&');
}

/**
 * A code span that shows `text` exactly (on one line). CommonMark: the fence is longer than any
 * backtick run inside, and one space each side is stripped when both are there, so pad then.
 */
export function code(text: string): string {
  const one = text.replace(/\n/g, ' ');
  const longest = Math.max(0, ...(one.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const stripped = one.startsWith(' ') && one.endsWith(' ') && one.trim() !== '';
  const pad = one.startsWith('`') || one.endsWith('`') || stripped ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}

/** `command:` URI of a command link; its arguments are one JSON object. Parentheses are encoded
 *  too (encodeURIComponent leaves them): one in a path would end the Markdown link. */
export function commandUri(command: string, args: object): string {
  const q = encodeURIComponent(JSON.stringify([args])).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `command:${command}?${q}`;
}

/** [label](command:…"tooltip"): the label is escaped here. */
export function commandLink(label: string, command: string, args: object, tooltip?: string): string {
  const title = tooltip ? ` "${tooltip.replace(/["\\]/g, '\\$&')}"` : '';
  return `[${esc(label)}](${commandUri(command, args)}${title})`;
}
