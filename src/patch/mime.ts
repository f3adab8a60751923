// RFC 5322 / MIME decoding of one mail, enough for what lands on kernel lists: folded headers,
// RFC 2047 encoded words, single-part and multipart bodies, quoted-printable / base64 /
// 7bit / 8bit transfer encodings and utf-8 / iso-8859-1 (or any charset TextDecoder knows).
// Input lines are "byte strings" (one char per byte, see toByteString) so that 8-bit bodies are
// decoded with the charset the mail declares, not with whatever the reader guessed.
// Every decoded line keeps the input line it came from (SourceLines).

import { InputNote, PatchParseError } from './errors';
import { SourceLines, slice } from './lines';

export interface MailHeader {
  /** Field name as written (compare case-insensitively). */
  name: string;
  /** Unfolded value with encoded words decoded. */
  value: string;
  /** Input line of the field's first line. */
  line: number;
}

export interface MailMessage {
  headers: MailHeader[];
  /** Decoded text of the text parts, in order. */
  body: SourceLines;
  notes: InputNote[];
  /** Input lines spanned by the message (headers included). */
  firstLine: number;
  lastLine: number;
}

export function header(msg: { headers: MailHeader[] }, name: string): MailHeader | undefined {
  const n = name.toLowerCase();
  return msg.headers.find((h) => h.name.toLowerCase() === n);
}

/** One char per byte: the form every function here reads. */
export function toByteString(input: Uint8Array | string): string {
  if (typeof input !== 'string') return Buffer.from(input).toString('latin1');
  // Text already decoded by an editor: re-encode so 8-bit handling below is uniform.
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\xff]/.test(input) ? Buffer.from(input, 'utf8').toString('latin1') : input;
}

function byteStringToBytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** Decodes bytes in a charset. Unknown charsets and invalid UTF-8 fall back with a note. */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined, onNote?: (m: string) => void): string {
  const cs = (charset ?? 'utf-8').trim().toLowerCase();
  if (cs === 'iso-8859-1' || cs === 'latin1' || cs === 'iso8859-1' || cs === 'l1') return Buffer.from(bytes).toString('latin1');
  const label = cs === 'us-ascii' || cs === 'ascii' || cs === 'utf8' ? 'utf-8' : cs;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    onNote?.(`unknown charset '${charset}', decoded as UTF-8`);
    decoder = new TextDecoder('utf-8', { fatal: true });
  }
  try {
    return decoder.decode(bytes);
  } catch {
    onNote?.(`text is not valid ${label}, decoded as ISO-8859-1`);
    return Buffer.from(bytes).toString('latin1');
  }
}

// ---- headers ---------------------------------------------------------------------------------

const FIELD = /^([!-9;-~]+):[ \t]?(.*)$/;

/** True when the line can start an RFC 5322 header field. */
export function isHeaderField(line: string): boolean {
  return FIELD.test(line);
}

/**
 * Parses the header block starting at `start` up to the blank line that ends it.
 * Returns the headers and the index of the first body line.
 */
export function parseHeaders(sl: SourceLines, start: number, file: string): { headers: MailHeader[]; bodyStart: number } {
  const headers: MailHeader[] = [];
  let i = start;
  for (; i < sl.lines.length; i++) {
    const line = sl.lines[i];
    if (line === '' || line.trim() === '') return { headers, bodyStart: i + 1 };
    if ((line[0] === ' ' || line[0] === '\t') && headers.length > 0) {
      // Folding: the CRLF is removed, the whitespace stays (RFC 5322 2.2.3).
      headers[headers.length - 1].value += line;
      continue;
    }
    const m = FIELD.exec(line);
    if (!m) {
      throw new PatchParseError(file, sl.src[i], `malformed mail header: expected 'Name: value', a folded continuation line or a blank line, found '${preview(line)}'`);
    }
    headers.push({ name: m[1], value: m[2], line: sl.src[i] });
  }
  // Headers only, no body.
  return { headers, bodyStart: i };
}

/** Unfolded raw values → decoded values (encoded words, 8-bit bytes). */
function decodeHeaderValues(headers: MailHeader[], notes: InputNote[]): void {
  for (const h of headers) {
    h.value = decodeEncodedWords(h.value.trim(), (m) => notes.push({ line: h.line, message: `${h.name}: ${m}` }));
  }
}

const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;

/** RFC 2047: decodes =?charset?Q?...?= and =?charset?B?...?= words in a header value. */
export function decodeEncodedWords(value: string, onNote?: (m: string) => void): string {
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 6.2).
  const joined = value.replace(/(\?=)[ \t]+(?==\?[^?\s]+\?[QqBb]\?)/g, '$1');
  let out = '';
  let last = 0;
  for (const m of joined.matchAll(ENCODED_WORD)) {
    out += decodeCharset(byteStringToBytes(joined.slice(last, m.index)), 'utf-8', onNote);
    const [, charset, enc, text] = m;
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : qDecode(text);
    // RFC 2231 language suffix: charset*lang.
    out += decodeCharset(bytes, charset.split('*')[0], onNote);
    last = m.index + m[0].length;
  }
  out += decodeCharset(byteStringToBytes(joined.slice(last)), 'utf-8', onNote);
  return out;
}

function qDecode(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '_') bytes.push(0x20);
    else if (c === '=' && isHex(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(bytes);
}

function isHex(s: string): boolean {
  return /^[0-9A-Fa-f]{2}$/.test(s);
}

// ---- Content-Type and friends -------------------------------------------------------------

export interface ContentType {
  type: string;     // lower case, e.g. 'text/plain'
  params: Record<string, string>;  // lower-case names
}

export function parseContentType(value: string | undefined): ContentType {
  if (!value) return { type: 'text/plain', params: {} };
  const parts = splitParams(value);
  const type = (parts.shift() ?? 'text/plain').trim().toLowerCase() || 'text/plain';
  const params: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[p.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type, params };
}

/** Splits on ';' outside double quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted && i + 1 < value.length) { cur += c + value[++i]; continue; }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

// ---- bodies ---------------------------------------------------------------------------------

/** Decodes one leaf body (its transfer encoding and charset) into text lines. */
function decodeLeafBody(body: SourceLines, cte: string, charset: string | undefined, file: string, notes: InputNote[]): SourceLines {
  const firstSrc = body.src[0] ?? 0;
  const note = (m: string) => notes.push({ line: firstSrc, message: m });
  let raw: { bytes: Uint8Array; src: number }[];
  switch (cte) {
    case '':
    case '7bit':
    case '8bit':
    case 'binary':
      raw = body.lines.map((l, i) => ({ bytes: byteStringToBytes(l), src: body.src[i] }));
      break;
    case 'quoted-printable':
      raw = decodeQuotedPrintable(body);
      break;
    case 'base64':
      raw = decodeBase64(body, file);
      break;
    default:
      throw new PatchParseError(file, firstSrc > 1 ? firstSrc - 1 : 1, `unsupported Content-Transfer-Encoding '${cte}'`);
  }
  const lines: string[] = [];
  const src: number[] = [];
  let warned = false;
  for (const r of raw) {
    lines.push(decodeCharset(r.bytes, charset, warned ? undefined : (m) => { warned = true; note(m); }));
    src.push(r.src);
  }
  return { lines, src };
}

function decodeQuotedPrintable(body: SourceLines): { bytes: Uint8Array; src: number }[] {
  const out: { bytes: Uint8Array; src: number }[] = [];
  let cur: number[] = [];
  let curSrc: number | null = null;
  for (let i = 0; i < body.lines.length; i++) {
    // Trailing whitespace on an encoded line was added in transport (RFC 2045 6.7 rule 3).
    let line = body.lines[i].replace(/[ \t]+$/, '');
    if (curSrc === null) curSrc = body.src[i];
    const soft = line.endsWith('=');
    if (soft) line = line.slice(0, -1);
    for (let j = 0; j < line.length; j++) {
      const c = line.charCodeAt(j);
      if (c === 0x3d /* = */ && isHex(line.slice(j + 1, j + 3))) {
        cur.push(parseInt(line.slice(j + 1, j + 3), 16));
        j += 2;
      } else cur.push(c & 0xff); // a stray '=' is kept as is (RFC 2045 6.7 note 1)
    }
    if (!soft) {
      pushSplit(out, cur, curSrc);
      cur = [];
      curSrc = null;
    }
  }
  if (curSrc !== null) pushSplit(out, cur, curSrc);
  return out;
}

/** Encoded "=0A" can put several text lines into one encoded line. */
function pushSplit(out: { bytes: Uint8Array; src: number }[], bytes: number[], src: number): void {
  let start = 0;
  for (let k = 0; k <= bytes.length; k++) {
    if (k < bytes.length && bytes[k] !== 0x0a) continue;
    const end = k > start && bytes[k - 1] === 0x0d ? k - 1 : k;
    out.push({ bytes: Uint8Array.from(bytes.slice(start, end)), src });
    start = k + 1;
  }
}

function decodeBase64(body: SourceLines, file: string): { bytes: Uint8Array; src: number }[] {
  let chars = '';
  const starts: { at: number; src: number }[] = [];
  for (let i = 0; i < body.lines.length; i++) {
    const line = body.lines[i].trim();
    if (line === '') continue;
    const bad = /[^A-Za-z0-9+/=]/.exec(line);
    if (bad) {
      const col = body.lines[i].indexOf(bad[0]) + 1;
      throw new PatchParseError(file, body.src[i], `invalid character '${preview(bad[0])}' in base64 body`, col);
    }
    starts.push({ at: chars.length, src: body.src[i] });
    chars += line;
  }
  const padAt = chars.indexOf('=');
  if (padAt >= 0 && /[^=]/.test(chars.slice(padAt))) {
    const s = [...starts].reverse().find((x) => x.at <= padAt);
    throw new PatchParseError(file, s?.src ?? body.src[0] ?? 1, 'base64 body continues after its "=" padding');
  }
  const bytes = Buffer.from(chars, 'base64');
  const out: { bytes: Uint8Array; src: number }[] = [];
  const srcOfByte = (b: number): number => {
    const at = Math.floor(b / 3) * 4;
    let lo = 0;
    for (let k = 0; k < starts.length && starts[k].at <= at; k++) lo = k;
    return starts[lo]?.src ?? body.src[0] ?? 1;
  };
  let start = 0;
  for (let k = 0; k <= bytes.length; k++) {
    if (k === bytes.length ? start < bytes.length : bytes[k] === 0x0a) {
      let end = k;
      if (end > start && bytes[end - 1] === 0x0d) end--;
      out.push({ bytes: bytes.subarray(start, end), src: srcOfByte(start) });
      start = k + 1;
    }
  }
  return out;
}

/** Decodes a MIME entity (headers already parsed) to the text of its text parts. */
function decodeEntity(headers: MailHeader[], body: SourceLines, file: string, notes: InputNote[], depth: number): SourceLines {
  const ct = parseContentType(header({ headers }, 'Content-Type')?.value);
  const cte = (header({ headers }, 'Content-Transfer-Encoding')?.value ?? '').trim().toLowerCase();
  if (ct.type.startsWith('multipart/')) {
    const ctLine = header({ headers }, 'Content-Type')!.line;
    const boundary = ct.params['boundary'];
    if (!boundary) throw new PatchParseError(file, ctLine, `${ct.type} without a boundary parameter`);
    if (depth > 8) throw new PatchParseError(file, ctLine, 'MIME parts nested more than 8 deep');
    const parts = splitMultipart(body, boundary, file, ctLine);
    const texts: SourceLines[] = [];
    for (const part of parts) {
      const { headers: ph, bodyStart } = parseHeaders(part, 0, file);
      decodeHeaderValues(ph, notes);
      const pct = parseContentType(header({ headers: ph }, 'Content-Type')?.value);
      if (!pct.type.startsWith('text/') && !pct.type.startsWith('multipart/')) {
        notes.push({ line: part.src[0] ?? ctLine, message: `skipped MIME part of type ${pct.type}` });
        continue;
      }
      const t = decodeEntity(ph, slice(part, bodyStart), file, notes, depth + 1);
      texts.push(t);
      // multipart/alternative: the first text part says it all.
      if (ct.type === 'multipart/alternative') break;
    }
    return { lines: texts.flatMap((t) => t.lines), src: texts.flatMap((t) => t.src) };
  }
  if (!ct.type.startsWith('text/')) {
    throw new PatchParseError(file, header({ headers }, 'Content-Type')!.line, `mail body of type ${ct.type} holds no text to review`);
  }
  return decodeLeafBody(body, cte, ct.params['charset'], file, notes);
}

function splitMultipart(body: SourceLines, boundary: string, file: string, ctLine: number): SourceLines[] {
  const delim = '--' + boundary;
  const parts: SourceLines[] = [];
  let partStart = -1;
  for (let i = 0; i < body.lines.length; i++) {
    const line = body.lines[i].replace(/[ \t]+$/, '');
    if (line === delim || line === delim + '--') {
      if (partStart >= 0) parts.push(slice(body, partStart, i));
      if (line.endsWith('--') && line !== delim) return parts;
      partStart = i + 1;
    }
  }
  if (partStart < 0) throw new PatchParseError(file, ctLine, `multipart boundary '${boundary}' never appears in the body`);
  throw new PatchParseError(file, body.src[body.src.length - 1] ?? ctLine, `multipart boundary '${boundary}' is never closed (missing '${delim}--')`);
}

/**
 * Parses one mail: headers from `start`, body to `end`. `sl` holds byte-string lines.
 * Throws PatchParseError for malformed headers or MIME structure.
 */
export function parseMail(sl: SourceLines, file: string, start = 0, end = sl.lines.length): MailMessage {
  const part = slice(sl, start, end);
  const notes: InputNote[] = [];
  const { headers, bodyStart } = parseHeaders(part, 0, file);
  decodeHeaderValues(headers, notes);
  const body = decodeEntity(headers, slice(part, bodyStart), file, notes, 0);
  return { headers, body, notes, firstLine: part.src[0] ?? 1, lastLine: part.src[part.src.length - 1] ?? 1 };
}

export function preview(s: string): string {
  const p = s.length > 60 ? s.slice(0, 57) + '...' : s;
  // eslint-disable-next-line no-control-regex
  return p.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
