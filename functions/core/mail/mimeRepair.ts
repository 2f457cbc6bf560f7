import { escapeRegExp } from '../text';
import { isTraceField } from './dedupe';
import { unflowText } from './flowedText';
import { unescapeHex } from './hexEscapes';

/**
 * Lenient repairs of raw MIME before it is parsed, so that every readable mail keeps its text. The raw
 * mail itself is stored unchanged; only the parser sees the repaired bytes.
 *
 * - Header fields with raw 8-bit bytes that are not UTF-8 (RFC 6532 allows only UTF-8 there; old
 *   Japanese and Chinese clients send Shift_JIS or GB2312 as is) are transcoded to UTF-8, in the charset
 *   the mail declares for its text or, failing that, the one a detector finds.
 * - Lines ended by a bare CR are ended by CRLF ({@link withLineBreaks}).
 * - A text part with 8-bit content and no declared charset, or declared US-ASCII (RFC 2045 §5.2 makes
 *   the one the other), gets the charset it is valid in: UTF-8, else (without charset, sent as 8-bit
 *   bytes) the detector's first candidate that decodes it without error. Such a part in 7 bits with
 *   ISO-2022 escape sequences gets that charset (ISO-2022-JP or -KR).
 * - An inline text part labelled base64 whose content is no base64 ({@link looksBase64}: words and
 *   spaces) is read as the unencoded text it is.
 * - A Content-Type whose parameters follow the media type without the `;` between gets it.
 * - A multipart entity whose body has none of its boundary lines is read as a text/plain body
 *   (RFC 2046 §5.1.1 requires at least one body part, so the sender's text is the whole body).
 * - An inline text part in UTF-7 (RFC 2152), ISO-2022-KR (RFC 1557) or HZ-GB-2312 (RFC 1843), which
 *   `TextDecoder` does not know, is transcoded to UTF-8, whatever its transfer encoding; so are
 *   encoded-words in ISO-2022-KR. One in ISO-2022-CN gets a note saying it could not be decoded.
 *   Attachments keep their bytes (but for a lone CR in one sent as raw 8-bit data, which RFC 2045
 *   forbids: it gets CRLF as any line end).
 * - An inline `format=flowed` text part (RFC 3676) is unfolded here ({@link unflowText}), quoted
 *   paragraphs included, and handed to the parser as fixed lines.
 * - A Subject in raw ISO-2022-JP (its escape sequences, 7-bit, not in encoded-words: old Japanese
 *   clients) is transcoded to UTF-8, segment by segment.
 * - Adjacent base64 encoded-words of one charset in the Subject and the address fields are joined
 *   into one (RFC 2047 §6.2 concatenates them anyway) where a character was split between them.
 */
export async function repairMime(original: Buffer): Promise<Buffer> {
  const raw = withLineBreaks(original);
  // The detector reads only bytes that are not UTF-8, and a mail that is all ASCII or UTF-8 has none in
  // any of its parts: most mail never loads it (a chunk of its own in the intake bundle).
  // chardet is CommonJS: its exports object is the module's default export (Node's rule, and the
  // bundler's for a chunk), so `default.analyse`.
  const detect: CharsetDetector = hasNonUtf8(raw)
    ? detectorOf((await import('chardet')).default.analyse)
    : () => [];
  // Rarer still: the decoders of the charsets WHATWG maps to its replacement encoding, for a mail that
  // names one or holds ISO-2022-KR's designation (raw or quoted-printable).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what the pattern looks for.
  const replacement = /iso-?2022-?(kr|cn)|hz-gb-2312|(\x1b|=1B)\$\)C/i.test(raw.toString('latin1'))
    ? await import('./replacementCharsets')
    : undefined;
  return repairEntity(raw, declaredCharsets(raw), 0, { detect, ...(replacement ? { replacement } : {}) });
}

/**
 * The mail with each line ended by CRLF where it ends in a bare CR (old Mac OS mail, and mail that
 * went through a converter that handled only some of its lines): the parser ends lines at LF only,
 * so a mail of CR lines was one header line, without sender, subject or text. A run of CRs before an
 * LF is one line end (CR CR LF: a CRLF converted twice), as every other CR is; Python's email package
 * reads them so too. Not in a mail that declares the `binary` transfer encoding, the only one whose
 * content may hold a bare CR (RFC 2045 §2.7–2.9, RFC 3030): a lone CR of its data is no line end.
 */
function withLineBreaks(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  if (!/\r(?!\n)/.test(text) || /^content-transfer-encoding[ \t]*:[ \t]*binary/im.test(text)) return raw;
  // One pass, no backtracking: `\r+\n|\r` rescanned the rest of a run of CRs at each of them (quadratic:
  // 160 KB of CRs took two minutes).
  const ended = text.replace(/\r+\n?/g, (run) => (run.endsWith('\n') ? '\r\n' : '\r\n'.repeat(run.length)));
  return Buffer.from(ended, 'latin1');
}

/** The charsets a sample of 8-bit bytes may be in, likeliest first. */
type CharsetDetector = (sample: Buffer) => string[];

/** What the repairs decode with, loaded for the mail that needs it. */
interface Decoders {
  detect: CharsetDetector;
  replacement?: typeof import('./replacementCharsets');
}

/** Nesting beyond this is left as it is (the parser rejects more than 1000 parts anyway). */
const maxDepth = 20;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function repairEntity(entity: Buffer, hints: string[], depth: number, decoders: Decoders): Buffer {
  const { detect } = decoders;
  const split = splitHeader(withHeaderEnd(entity));
  if (!split || depth > maxDepth) return entity;
  const { body } = split;
  let { header } = split;
  if (hasNonUtf8(header)) header = transcodeHeader(header, [...hints, ...detect(eightBitSample(entity))]);
  header = repairHeaderFields(header, decoders);

  let contentType = headerValue(header, 'content-type');
  // `text/plain` and its parameters on the next line without the `;` between (an OpenMail bounce in
  // sisimai's set): read as the media type `text/plain charset="…"`, the part was no text but an
  // attachment, and a multipart's boundary was lost with it.
  const unseparated = contentType && unseparatedParameters.exec(contentType);
  if (contentType && unseparated) {
    contentType = `${unseparated[1]}; ${contentType.slice(unseparated[0].length)}`;
    header = replaceField(header, 'Content-Type', contentType);
  }
  const mediaType = (contentType?.split(';')[0] ?? 'text/plain').trim().toLowerCase();
  const boundary = contentType && parameter(contentType, 'boundary');
  if (mediaType.startsWith('multipart/')) {
    if (boundary && hasBoundaryLine(body, boundary)) {
      return Buffer.concat([header, split.separator, repairParts(body, boundary, hints, depth, decoders)]);
    }
    header = replaceField(header, 'Content-Type', 'text/plain');
    return repairEntity(Buffer.concat([header, split.separator, body]), hints, depth + 1, decoders);
  }
  if (!mediaType.startsWith('text/')) return Buffer.concat([header, split.separator, body]);
  let encoding = headerValue(header, 'content-transfer-encoding')?.trim().toLowerCase();
  if (encoding === 'base64' && !isAttachment(header) && !looksBase64(body)) {
    // Text under a base64 label it never had (an Exchange relay was seen to keep the label of a part it
    // passed on as plain text): decoded, its words came out as bytes of noise in the complaint.
    header = replaceField(header, 'Content-Transfer-Encoding', hasEightBit(body) ? '8bit' : '7bit');
    encoding = undefined;
  }
  const raw8bit =
    encoding === undefined || encoding === '7bit' || encoding === '8bit' || encoding === 'binary';
  const declared = contentType ? parameter(contentType, 'charset')?.toLowerCase() : undefined;
  // The content without its transfer encoding, decoded on first use (most parts need none of this).
  let decodedBody: Buffer | null | undefined;
  const decoded = () => {
    if (decodedBody === undefined) decodedBody = transferDecoded(body, encoding);
    return decodedBody;
  };
  let charset = declared;
  if (declared === undefined || asciiLabels.has(declared)) {
    // RFC 2045 §5.2 makes a text part without charset US-ASCII, and US-ASCII has no 8-bit bytes (RFC
    // 2045 §2.7): a part with them, declared so or not, is in another charset. Valid UTF-8 is UTF-8
    // (other 8-bit text is almost never valid UTF-8 by chance). Else, in a part without charset sent as
    // 8-bit bytes, the detector's first candidate that decodes it; a part declared US-ASCII stays so
    // (read as windows-1252, as browsers read it: the detector guesses wildly on a few Latin letters).
    // A 7-bit body with ISO-2022 escape sequences is in that ISO-2022 charset.
    const content = decoded();
    if (content && hasEightBit(content)) {
      if (!hasNonUtf8(content)) charset = 'utf-8';
      else if (declared === undefined && raw8bit) charset = firstDecoding(content, detect(content));
    } else if (content) {
      charset = iso2022Of(content) ?? charset;
    }
  }
  const inline = (mediaType === 'text/plain' || mediaType === 'text/html') && !isAttachment(header);
  const transcode = charset ? transcoderOf(charset, decoders) : undefined;
  const flowed =
    mediaType === 'text/plain' &&
    /^flowed$/i.test((contentType && parameter(contentType, 'format')) ?? '') &&
    !/^(utf-?(16|32)|ucs-?2|unicode)/.test(charset ?? '');
  const content = inline && (transcode || flowed) ? decoded() : undefined;
  if (content) {
    // Decoded here, the part goes to the parser as 8-bit text: in UTF-8 when transcoded from a charset
    // `TextDecoder` does not know, and unfolded when flowed (the parser's unfolding loses quote depth).
    let text = transcode ? Buffer.from(transcode(content), 'utf8') : content;
    if (transcode) charset = 'utf-8';
    if (flowed) {
      const delSp = /^yes$/i.test((contentType && parameter(contentType, 'delsp')) ?? '');
      text = Buffer.from(unflowText(text.toString('latin1'), delSp), 'latin1');
    }
    header = replaceField(
      header,
      'Content-Type',
      withCharset(contentType, mediaType, charset, ['format', 'delsp']),
    );
    header = replaceField(header, 'Content-Transfer-Encoding', hasEightBit(text) ? '8bit' : '7bit');
    return Buffer.concat([header, split.separator, text]);
  }
  if (charset !== declared && charset)
    header = replaceField(header, 'Content-Type', withCharset(contentType, mediaType, charset));
  return Buffer.concat([header, split.separator, body]);
}

/** Repairs each part between the boundary lines; preamble, epilogue and delimiters stay byte for byte. */
function repairParts(
  body: Buffer,
  boundary: string,
  hints: string[],
  depth: number,
  decoders: Decoders,
): Buffer {
  const text = body.toString('latin1');
  const delimiter = new RegExp(`(^|\\r?\\n)--${escapeRegExp(boundary)}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
  const out: Buffer[] = [];
  let last = 0;
  let inPart = false;
  for (const match of text.matchAll(delimiter)) {
    const chunk = body.subarray(last, match.index);
    out.push(inPart ? repairEntity(chunk, hints, depth + 1, decoders) : chunk);
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
  out.push(inPart ? repairEntity(rest, hints, depth + 1, decoders) : rest);
  return Buffer.concat(out);
}

/** A token of a MIME field (RFC 2045 §5.1): no white space, control or tspecial. */
const mimeToken = "[!#$%&'*+.^_`{|}~0-9A-Za-z-]+";
/** A media type and a parameter after it without the `;` between (type and subtype tokens only). */
const unseparatedParameters = new RegExp(`^(${mimeToken}/${mimeToken})\\s+(?=${mimeToken}\\s*=)`);

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

/** Replaces (or adds) the header field `name` (with its folded lines), keeping every other field as it is. */
function replaceField(header: Buffer, name: string, value: string): Buffer {
  const text = header.toString('latin1');
  const field = new RegExp(`^${name}[ \\t]*:.*(?:\\r?\\n[ \\t].*)*`, 'im');
  const replaced = field.test(text)
    ? text.replace(field, () => `${name}: ${value}`)
    : `${text}${text ? '\r\n' : ''}${name}: ${value}`;
  return Buffer.from(replaced, 'latin1');
}

/**
 * A Content-Type value with `charset` set (or left out when undefined), its other parameters (a file
 * name, say) kept but those named in `drop`.
 */
function withCharset(
  contentType: string | undefined,
  mediaType: string,
  charset?: string,
  drop: string[] = [],
) {
  const type = contentType?.split(';')[0]?.trim() || mediaType;
  const names = ['charset', ...drop].join('|');
  const others = (contentType ?? '')
    .slice((contentType ?? '').split(';')[0]?.length ?? 0)
    .replace(new RegExp(`;\\s*(?:${names})\\s*=\\s*(?:"[^"]*"|[^;\\s]*)`, 'gi'), '')
    .trim();
  return `${type}${charset ? `; charset=${charset}` : ''}${others && !others.startsWith(';') ? '; ' : ''}${others}`;
}

/** Whether an entity's Content-Disposition makes it an attachment (the parser keeps its bytes as they are). */
function isAttachment(header: Buffer): boolean {
  return /^attachment\b/i.test(headerValue(header, 'content-disposition') ?? '');
}

/**
 * Whether a body can be base64 (RFC 2045 §6.8): its first line of content is of the base64 alphabet,
 * with no space inside it (encoders write none; decoders skip what is not of the alphabet, so a text
 * sent under the label decodes to noise instead of failing). Only the first line is read: a list
 * footer appended to a base64 body does not make the body text.
 */
function looksBase64(body: Buffer): boolean {
  const first = /^[ \t]*(\S[^\r\n]*)/m.exec(body.toString('latin1'))?.[1]?.trimEnd();
  return first === undefined || /^[A-Za-z0-9+/]+=*$/.test(first);
}

/**
 * An entity's content without its Content-Transfer-Encoding (RFC 2045 §6): base64 and quoted-printable
 * decoded as the parser decodes them, the identity encodings as they are; null for an encoding the
 * parser would not decode either.
 */
function transferDecoded(body: Buffer, encoding: string | undefined): Buffer | null {
  if (encoding === undefined || /^(7bit|8bit|binary)$/.test(encoding)) return body;
  if (encoding === 'base64') {
    // Padding inside the content ends a quantum (each line encoded on its own, blocks concatenated):
    // each padded run is decoded by itself, as the parser does; dropping the `=` shifted every bit after.
    const text = body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
    const out = Buffer.alloc(Math.ceil((text.length * 3) / 4));
    let length = 0;
    for (const [run] of text.matchAll(/[^=]+=*/g)) length += out.write(run, length, 'base64');
    return out.subarray(0, length);
  }
  if (encoding !== 'quoted-printable') return null;
  // Line by line: `=XX` is a byte, an `=` ending a line joins it to the next, an `=` that starts no
  // valid escape is itself.
  const lines = body.toString('latin1').split(/\r?\n/);
  const out = lines.map((line, i) => {
    const soft = line.endsWith('=');
    const content = unescapeHex(soft ? line.slice(0, -1) : line);
    return soft || i === lines.length - 1 ? content : `${content}\r\n`;
  });
  return Buffer.from(out.join(''), 'latin1');
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
function repairHeaderFields(header: Buffer, decoders: Decoders): Buffer {
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
      if (encodedWordFields.has(name)) {
        out = joinEncodedWords(decoders.replacement ? decoders.replacement.iso2022KrWordsAsUtf8(out) : out);
      }
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

/** Labels a text part is declared US-ASCII with (RFC 2046 §4.1.2, and the IANA aliases clients use). */
const asciiLabels = new Set(['us-ascii', 'ascii', 'ansi_x3.4-1968', 'iso646-us', 'us', 'csascii']);

/**
 * The ISO-2022 charset whose escape sequences a 7-bit text holds: ISO-2022-KR's designation (RFC 1557),
 * ISO-2022-JP's two-byte or katakana sets (RFC 1468). Old Korean and Japanese mail sends them without
 * declaring a charset, and no other text holds an ESC.
 */
function iso2022Of(content: Buffer): string | undefined {
  const text = content.toString('latin1');
  if (!text.includes('\x1b')) return undefined;
  if (text.includes('\x1b$)C')) return 'iso-2022-kr';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what the pattern looks for.
  return /\x1b(\$[@B]|\(I)/.test(text) ? 'iso-2022-jp' : undefined;
}

const utf7Labels = new Set(['utf-7', 'utf7', 'unicode-1-1-utf-7', 'csunicode11utf7']);

/**
 * The decoder of a charset `TextDecoder` does not know, by which a text part is transcoded to UTF-8
 * first: UTF-7, and those WHATWG maps to its replacement encoding (one U+FFFD for the whole text),
 * which Node's TextDecoder refuses: the parser fell back to windows-1252, and an ISO-2022-KR text came
 * out as its escapes and shifted ASCII letters (see `replacementCharsets.ts`).
 */
function transcoderOf(charset: string, decoders: Decoders): ((bytes: Buffer) => string) | undefined {
  if (utf7Labels.has(charset)) return (bytes) => decodeUtf7(bytes.toString('latin1'));
  const { replacement } = decoders;
  if (!replacement?.handles(charset)) return undefined;
  return (bytes) => replacement.decodeReplacementCharset(charset, bytes);
}

/** RFC 2152: `+` opens modified base64 of UTF-16BE, ended by `-` (dropped) or any other character; `+-` is `+`. */
function decodeUtf7(text: string): string {
  return text.replace(/\+([A-Za-z0-9+/]*)-?/g, (_, base64: string) => {
    if (base64 === '') return '+';
    const bytes = Buffer.from(base64, 'base64');
    // Bits left over after the last whole UTF-16 code unit are padding.
    return new TextDecoder('utf-16be').decode(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  });
}
