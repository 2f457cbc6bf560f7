import { escapeRegExp } from '../text';
import { isTraceField } from './dedupe';

/**
 * Lenient repairs of raw MIME before it is parsed, so that every readable mail keeps its text. The raw
 * mail itself is stored unchanged; only the parser sees the repaired bytes.
 *
 * - Header fields with raw 8-bit bytes that are not UTF-8 (RFC 6532 allows only UTF-8 there; old
 *   Japanese and Chinese clients send Shift_JIS or GB2312 as is) are transcoded to UTF-8, in the charset
 *   the mail declares for its text or, failing that, the one a detector finds.
 * - A text part with 8-bit content and no declared charset (RFC 2045 §5.2 would make it US-ASCII) gets
 *   the charset it is valid in: UTF-8, else the detector's first candidate that decodes it without error.
 * - A multipart entity whose body has none of its boundary lines is read as a text/plain body
 *   (RFC 2046 §5.1.1 requires at least one body part, so the sender's text is the whole body).
 * - A text part in UTF-7 (RFC 2152), which `TextDecoder` does not know, is transcoded to UTF-8.
 * - A Subject in raw ISO-2022-JP (its escape sequences, 7-bit, not in encoded-words: old Japanese
 *   clients) is transcoded to UTF-8, segment by segment.
 * - Adjacent base64 encoded-words of one charset in the Subject and the address fields are joined
 *   into one (RFC 2047 §6.2 concatenates them anyway) where a character was split between them.
 */
export async function repairMime(raw: Buffer): Promise<Buffer> {
  // The detector reads only bytes that are not UTF-8, and a mail that is all ASCII or UTF-8 has none in
  // any of its parts: most mail never loads it (a chunk of its own in the intake bundle).
  // chardet is CommonJS: its exports object is the module's default export (Node's rule, and the
  // bundler's for a chunk), so `default.analyse`.
  const detect: CharsetDetector = hasNonUtf8(raw)
    ? detectorOf((await import('chardet')).default.analyse)
    : () => [];
  return repairEntity(raw, declaredCharsets(raw), 0, detect);
}

/** The charsets a sample of 8-bit bytes may be in, likeliest first. */
type CharsetDetector = (sample: Buffer) => string[];

/** Nesting beyond this is left as it is (the parser rejects more than 1000 parts anyway). */
const maxDepth = 20;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function repairEntity(entity: Buffer, hints: string[], depth: number, detect: CharsetDetector): Buffer {
  const split = splitHeader(withHeaderEnd(entity));
  if (!split || depth > maxDepth) return entity;
  const { body } = split;
  let { header } = split;
  if (hasNonUtf8(header)) header = transcodeHeader(header, [...hints, ...detect(eightBitSample(entity))]);
  header = repairHeaderFields(header);

  const contentType = headerValue(header, 'content-type');
  const mediaType = (contentType?.split(';')[0] ?? 'text/plain').trim().toLowerCase();
  const boundary = contentType && parameter(contentType, 'boundary');
  if (mediaType.startsWith('multipart/')) {
    if (boundary && hasBoundaryLine(body, boundary)) {
      return Buffer.concat([header, split.separator, repairParts(body, boundary, hints, depth, detect)]);
    }
    header = replaceContentType(header, 'text/plain');
    return repairEntity(Buffer.concat([header, split.separator, body]), hints, depth + 1, detect);
  }
  const encoding = headerValue(header, 'content-transfer-encoding')?.trim().toLowerCase();
  const raw8bit =
    encoding === undefined || encoding === '7bit' || encoding === '8bit' || encoding === 'binary';
  const charset = contentType && parameter(contentType, 'charset')?.toLowerCase();
  if (mediaType.startsWith('text/') && charset && utf7Labels.has(charset) && raw8bit) {
    const type = contentType?.split(';')[0]?.trim() as string;
    header = replaceContentType(header, `${type}; charset=utf-8`);
    return Buffer.concat([header, split.separator, Buffer.from(decodeUtf7(body.toString('latin1')))]);
  }
  if (mediaType.startsWith('text/') && !charset && raw8bit) {
    if (hasEightBit(body)) {
      const charset = hasNonUtf8(body) ? firstDecoding(body, detect(body)) : 'utf-8';
      const type = contentType?.split(';')[0]?.trim() || 'text/plain';
      if (charset) header = replaceContentType(header, `${type}; charset=${charset}`);
    }
  }
  return Buffer.concat([header, split.separator, body]);
}

/** Repairs each part between the boundary lines; preamble, epilogue and delimiters stay byte for byte. */
function repairParts(
  body: Buffer,
  boundary: string,
  hints: string[],
  depth: number,
  detect: CharsetDetector,
): Buffer {
  const text = body.toString('latin1');
  const delimiter = new RegExp(`(^|\\r?\\n)--${escapeRegExp(boundary)}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
  const out: Buffer[] = [];
  let last = 0;
  let inPart = false;
  for (const match of text.matchAll(delimiter)) {
    const chunk = body.subarray(last, match.index);
    out.push(inPart ? repairEntity(chunk, hints, depth + 1, detect) : chunk);
    out.push(Buffer.from(match[0], 'latin1'));
    last = (match.index ?? 0) + match[0].length;
    // After the closing delimiter (`--boundary--`) comes the epilogue, left as is.
    inPart = match[2] === undefined;
    // The line break that ends a delimiter line belongs to it, not to the part's headers.
    const lineBreak = /^\r?\n/.exec(text.slice(last))?.[0] ?? '';
    out.push(Buffer.from(lineBreak, 'latin1'));
    last += lineBreak.length;
  }
  const rest = body.subarray(last);
  out.push(inPart ? repairEntity(rest, hints, depth + 1, detect) : rest);
  return Buffer.concat(out);
}

/** A header field's first line (RFC 5322 §2.2: a name of printable ASCII but the colon, then the colon). */
const fieldLine = /^([!-9;-~]+)[ \t]*:/;

/** MIME fields whose parameters (`; boundary="…"`) may continue on the next line. */
const parameterFields = /^content-(type|disposition)$/;
/** A parameter of a MIME field (RFC 2045 §5.1: `attribute = value`), RFC 2231's `*` included. */
const parameterLine = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+[ \t]*=/;

/**
 * The entity's header section as a parser can read it:
 * - A parameter line after a Content-Type or Content-Disposition line that ends in `;`, not folded
 *   (`Content-Type: multipart/alternative;` then `boundary="…"` at the start of the next line, as
 *   Apache James sends its bounces), is folded into that field: read as a malformed field and
 *   dropped, it took the part's boundary with it, and the text came out as its delimiter lines.
 * - The blank line that ends the section is added where the sender left it out: header fields
 *   followed directly by lines that are no header field and no continuation of one, with no header
 *   field after them (a script writing `Subject: …` and then its text, RFC 5322 §2.1 notwithstanding).
 *   The parser would read those lines as malformed header fields and drop them, and the mail its text;
 *   mail readers (and Python's email package) begin the body there. A line that is no field between
 *   header fields (a value broken by a bare line break) is left as it is: what follows it are headers.
 *   So are bytes after trace fields alone (`Return-Path`, `Received`, `X-SES-…`): the receiving hops
 *   prepend those to whatever they take, garbage that is no mail at all included.
 */
function withHeaderEnd(entity: Buffer): Buffer {
  const text = entity.toString('latin1');
  if (/^\r?\n/.test(text)) return entity;
  const end = /\r?\n\r?\n/.exec(text)?.index ?? text.length;
  const lines = text.slice(0, end).split(/(?<=\n)/);
  const out: Buffer[] = [];
  let offset = 0;
  let fields = 0;
  /** The field the line before belongs to (lower-cased name). */
  let field = '';
  let folded = false;
  const rest = () => (folded ? Buffer.concat([...out, entity.subarray(offset)]) : entity);
  for (const [i, line] of lines.entries()) {
    const name = fieldLine.exec(line)?.[1];
    if (name !== undefined) {
      field = name.toLowerCase();
      fields += isTraceField(field) ? 0 : 1;
    } else if (
      parameterFields.test(field) &&
      parameterLine.test(line) &&
      /;[ \t]*\r?\n$/.test(lines[i - 1] ?? '')
    ) {
      out.push(Buffer.from(' '));
      folded = true;
    } else if (!/^[ \t]/.test(line)) {
      if (fields === 0 || lines.slice(i + 1).some((l) => fieldLine.test(l))) return rest();
      const lineBreak = /\r\n$/.test(lines[i - 1] ?? '') ? '\r\n' : '\n';
      return Buffer.concat([...out, Buffer.from(lineBreak), entity.subarray(offset)]);
    }
    out.push(entity.subarray(offset, offset + line.length));
    offset += line.length;
  }
  return rest();
}

function splitHeader(entity: Buffer): { header: Buffer; separator: Buffer; body: Buffer } | undefined {
  const text = entity.toString('latin1');
  // A part may start with the blank line directly (no header fields: text/plain, RFC 2045 §5.2).
  const leading = /^\r?\n/.exec(text);
  if (leading)
    return {
      header: Buffer.alloc(0),
      separator: Buffer.from(leading[0]),
      body: entity.subarray(leading[0].length),
    };
  const end = /\r?\n\r?\n/.exec(text);
  if (!end) return undefined;
  return {
    header: entity.subarray(0, end.index),
    separator: Buffer.from(end[0], 'latin1'),
    body: entity.subarray(end.index + end[0].length),
  };
}

/** The unfolded value of the first header field `name` in a header block. */
function headerValue(header: Buffer, name: string): string | undefined {
  const text = header.toString('latin1').replace(/\r?\n(?=[ \t])/g, '');
  const match = new RegExp(`^${name}[ \\t]*:(.*)$`, 'im').exec(text);
  return match?.[1]?.trim();
}

function parameter(value: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return match?.[1] ?? match?.[2];
}

/** Replaces (or adds) the Content-Type field, keeping every other field as it is. */
function replaceContentType(header: Buffer, value: string): Buffer {
  const text = header.toString('latin1');
  const field = /^content-type[ \t]*:.*(?:\r?\n[ \t].*)*/im;
  const replaced = field.test(text)
    ? text.replace(field, `Content-Type: ${value}`)
    : `${text}${text ? '\r\n' : ''}Content-Type: ${value}`;
  return Buffer.from(replaced, 'latin1');
}

function hasBoundaryLine(body: Buffer, boundary: string): boolean {
  return new RegExp(`(^|\\n)--${escapeRegExp(boundary)}`).test(body.toString('latin1'));
}

const hasEightBit = (bytes: Buffer) => bytes.some((b) => b >= 0x80);

function hasNonUtf8(bytes: Buffer): boolean {
  if (!hasEightBit(bytes)) return false;
  try {
    utf8.decode(bytes);
    return false;
  } catch {
    return true;
  }
}

/** Charsets declared anywhere in the mail (Content-Type `charset=`), the likeliest for raw 8-bit headers. */
function declaredCharsets(raw: Buffer): string[] {
  const found = raw.toString('latin1').matchAll(/charset\s*=\s*"?([\w.:-]+)/gi);
  const names = [...found].map((m) => (m[1] as string).toLowerCase());
  return [...new Set(names.filter((n) => n !== 'us-ascii' && n !== 'utf-8' && supported(n)))];
}

/** The lines of an entity that carry 8-bit bytes: enough context for the detector, none of the ASCII noise. */
function eightBitSample(entity: Buffer): Buffer {
  const lines = entity.toString('latin1').split(/\r?\n/);
  return Buffer.from(lines.filter((l) => /[\x80-\xff]/.test(l)).join('\n'), 'latin1');
}

/** chardet's candidates that the platform's `TextDecoder` can decode. */
const detectorOf =
  (analyse: typeof import('chardet').analyse): CharsetDetector =>
  (sample) =>
    analyse(sample)
      .map((m) => m.name.toLowerCase())
      .filter(supported);

function supported(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

/** The first candidate charset in which `bytes` decode without a single invalid sequence. */
function firstDecoding(bytes: Buffer, candidates: string[]): string | undefined {
  for (const charset of candidates) {
    try {
      new TextDecoder(charset, { fatal: true }).decode(bytes);
      return charset;
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

/** Transcodes the 8-bit header lines to UTF-8 in the first candidate that decodes them all. */
function transcodeHeader(header: Buffer, candidates: string[]): Buffer {
  const lines = header.toString('latin1').split(/(\r?\n)/);
  const eightBit = Buffer.from(lines.filter((l) => /[\x80-\xff]/.test(l)).join('\n'), 'latin1');
  const charset = firstDecoding(eightBit, candidates);
  if (!charset) return header;
  const decoder = new TextDecoder(charset);
  return Buffer.from(
    lines.map((l) => (/[\x80-\xff]/.test(l) ? decoder.decode(Buffer.from(l, 'latin1')) : l)).join(''),
    'utf8',
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what the pattern looks for.
const jisSegment = /\x1b\$[@B](?:[\x21-\x7e]{2})*\x1b\([BJ]/g;

/**
 * The text with each closed ISO-2022-JP segment (`ESC $ B` two-byte characters `ESC ( B`) decoded; the
 * characters around them (one per byte) and an unclosed escape stay as they are.
 */
export function decodeJisSegments(text: string): string {
  return text.replace(jisSegment, decodeJisSegment);
}

const decodeJisSegment = (segment: string) =>
  new TextDecoder('iso-2022-jp').decode(Buffer.from(segment, 'latin1'));

/** Header fields whose encoded-words adjacent runs may be joined (RFC 2047 text and phrases). */
const encodedWordFields = new Set(['subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc']);

/**
 * Field by field (a field with its folded lines; other fields keep their bytes): the Subject's raw
 * ISO-2022-JP segments as UTF-8, and in the fields that may hold encoded-words, runs split inside a
 * character joined. ISO-2022-JP is decoded in the Subject alone: in an address field its escapes could
 * swallow the structure around them (a segment holding `" <attacker@example> `), so the address
 * would not be the one other readers of the same bytes see; a display name is decoded after the
 * address is read (`readFrom`).
 */
function repairHeaderFields(header: Buffer): Buffer {
  const text = header.toString('latin1');
  if (!text.includes('=?') && !text.includes('\x1b')) return header;
  const fields = text.match(/[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*(?:\r?\n)?/g) ?? [];
  const repaired = fields
    .map((field) => {
      const name = /^([!-9;-~]+)[ \t]*:/.exec(field)?.[1]?.toLowerCase() ?? '';
      let out = field;
      if (name === 'subject') {
        out = out.replace(jisSegment, (segment) =>
          Buffer.from(decodeJisSegment(segment), 'utf8').toString('latin1'),
        );
      }
      if (encodedWordFields.has(name)) out = joinEncodedWords(out);
      return out;
    })
    .join('');
  return repaired === text ? header : Buffer.from(repaired, 'latin1');
}

/**
 * Two or more base64 encoded-words of one charset (its name in any case, as charset names are),
 * apart by white space (folding included).
 */
const encodedWordRun = /=\?([^?\s]+)\?B\?[A-Z0-9+/=]*\?=(?:(?:\r?\n)?[ \t]+=\?\1\?B\?[A-Z0-9+/=]*\?=)+/gi;

/**
 * Joins each run of adjacent base64 encoded-words of one charset into one word of their bytes, where a
 * word does not decode alone (a character split between two words) and the joined bytes do. Other
 * runs (a long subject split at character boundaries, as most mailers split it) stay as they are.
 * `field` is a header field as latin1 text (one character per byte).
 */
function joinEncodedWords(field: string): string {
  if (!field.includes('=?')) return field;
  return field.replace(encodedWordRun, (run, charset: string) => {
    const label = charset.split('*')[0] as string;
    const words = [...run.matchAll(/\?[Bb]\?([A-Za-z0-9+/=]*)\?=/g)].map((w) =>
      Buffer.from(w[1] as string, 'base64'),
    );
    const bytes = Buffer.concat(words);
    if (!supported(label) || !firstDecoding(bytes, [label])) return run;
    if (words.every((w) => firstDecoding(w, [label]))) return run;
    return `=?${charset}?B?${bytes.toString('base64')}?=`;
  });
}

const utf7Labels = new Set(['utf-7', 'utf7', 'unicode-1-1-utf-7', 'csunicode11utf7']);

/** RFC 2152: `+` opens modified base64 of UTF-16BE, ended by `-` (dropped) or any other character; `+-` is `+`. */
function decodeUtf7(text: string): string {
  return text.replace(/\+([A-Za-z0-9+/]*)-?/g, (_, base64: string) => {
    if (base64 === '') return '+';
    const bytes = Buffer.from(base64, 'base64');
    // Bits left over after the last whole UTF-16 code unit are padding.
    return new TextDecoder('utf-16be').decode(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  });
}
