// Patch subjects: "[PATCH v3 2/7] KVM: x86/mmu: Do X", "[RFC PATCH v2 09/23] ...",
// "Re: [PATCH 0/4] ..." → version, position in the series, cover letter (0/K), title.

export interface SeriesTag {
  /** Text inside the brackets, e.g. "RFC PATCH v2 09/23". */
  raw: string;
  rfc: boolean;
  /** 1 when no vN is given. */
  version: number;
  /** M of M/K; null for a lone patch ("[PATCH] ..."). */
  index: number | null;
  /** K of M/K; null for a lone patch. */
  total: number | null;
  /** Other words (RESEND, net-next, ...), as written. */
  extra: string[];
}

export interface ParsedSubject {
  /** Subject without reply prefixes and bracket tags. */
  title: string;
  /** Started with Re:/Fwd:. */
  reply: boolean;
  series: SeriesTag | null;
}

const REPLY_PREFIX = /^\s*(re|fwd?|aw|sv)\s*:\s*/i;

export function parseSubject(subject: string): ParsedSubject {
  let s = subject.trim();
  let reply = false;
  for (let m = REPLY_PREFIX.exec(s); m; m = REPLY_PREFIX.exec(s)) {
    reply = true;
    s = s.slice(m[0].length);
  }
  let series: SeriesTag | null = null;
  for (let m = /^\[([^\]]*)\]\s*/.exec(s); m; m = /^\[([^\]]*)\]\s*/.exec(s)) {
    const tag = parseTag(m[1]);
    if (tag && !series) series = tag;
    s = s.slice(m[0].length);
  }
  return { title: s.trim(), reply, series };
}

function parseTag(raw: string): SeriesTag | null {
  const words = raw.trim().split(/\s+/).filter(Boolean);
  if (!words.some((w) => /^(PATCH|RFC)$/i.test(w))) return null;
  const tag: SeriesTag = { raw: raw.trim(), rfc: false, version: 1, index: null, total: null, extra: [] };
  for (const w of words) {
    let m: RegExpExecArray | null;
    if (/^RFC$/i.test(w)) tag.rfc = true;
    else if (/^PATCH$/i.test(w)) continue;
    else if ((m = /^[vV](\d{1,4})$/.exec(w))) tag.version = Number(m[1]);
    else if ((m = /^(\d{1,4})\/(\d{1,4})$/.exec(w))) {
      tag.index = Number(m[1]);
      tag.total = Number(m[2]);
    } else tag.extra.push(w);
  }
  return tag;
}

/** "v2 09/23" style label for messages. */
export function seriesLabel(tag: SeriesTag | null): string {
  if (!tag) return 'patch';
  const pos = tag.index !== null ? ` ${String(tag.index).padStart(String(tag.total).length, '0')}/${tag.total}` : '';
  return `${tag.rfc ? 'RFC ' : ''}PATCH${tag.version > 1 ? ` v${tag.version}` : ''}${pos}`;
}
