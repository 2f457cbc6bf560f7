/**
 * The charsets that WHATWG maps to its replacement encoding (one U+FFFD for the whole text), which Node's
 * `TextDecoder` refuses, so that the parser read them as windows-1252: ISO-2022-KR, HZ-GB-2312,
 * ISO-2022-CN and ISO-2022-CN-EXT. The first two are decoded here; ISO-2022-CN's CNS 11643 planes have
 * no decoder in the platform, so a text in it is marked instead. Imported by `repairMime` only for a
 * mail that names one of them or holds ISO-2022-KR's designation.
 */

import { unescapeHex } from './hexEscapes';

const iso2022Cn = /^(iso-2022-cn(-ext)?|csiso2022cn)$/;

/** Whether `charset` (a lower-cased label) is one of this module's. */
export const handles = (charset: string) =>
  charset === 'iso-2022-kr' ||
  charset === 'csiso2022kr' ||
  charset === 'hz-gb-2312' ||
  iso2022Cn.test(charset);

/**
 * Text in a charset of this module ({@link handles}) as a string. ISO-2022-CN comes with a note saying
 * that it could not be decoded, its ASCII after it (control characters left out): the mail is filed and
 * kept, and an agent sees why its text reads so.
 */
export function decodeReplacementCharset(charset: string, bytes: Buffer): string {
  if (charset === 'hz-gb-2312') return decodeHz(bytes);
  if (!iso2022Cn.test(charset)) return decodeIso2022Kr(bytes);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what is left out.
  const text = bytes.toString('latin1').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]/g, '');
  return `[This text is in ${charset.toUpperCase()}, which intake cannot decode; its ASCII characters follow. The raw mail is kept unchanged.]\n\n${text}`;
}

const gbk = new TextDecoder('gbk');

/**
 * RFC 1843 (HZ-GB-2312): ASCII, and GB2312 between `~{` and `~}`, each character two bytes of 0x21–0x7E
 * (GB2312 in EUC form with the high bits cleared); `~~` is a tilde, `~` before a line end joins the
 * lines. Each line starts in ASCII.
 */
export function decodeHz(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  let out = '';
  let gb = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '~' && (next === '{' || next === '}')) {
      gb = next === '{';
      i++;
    } else if (!gb && c === '~' && next === '~') {
      out += '~';
      i++;
    } else if (!gb && c === '~' && (next === '\n' || next === '\r')) {
      i += next === '\r' && text[i + 2] === '\n' ? 2 : 1;
    } else if (gb && c >= '!' && c <= '~' && next !== undefined && next >= '!' && next <= '~') {
      out += gbk.decode(Buffer.from([c.charCodeAt(0) | 0x80, next.charCodeAt(0) | 0x80]));
      i++;
    } else {
      if (c === '\n') gb = false;
      out += c.charCodeAt(0) < 0x80 ? c : '\uFFFD';
    }
  }
  return out;
}

const eucKr = new TextDecoder('euc-kr');

/**
 * RFC 1557 (ISO-2022-KR): ASCII, and KS X 1001 between SO (0x0E) and SI (0x0F) after the designation
 * `ESC $ ) C`, each character two bytes of 0x21–0x7E, which are the same character in EUC-KR with the
 * high bits set. A line starts in ASCII (the sender shifts back before its end). An odd byte left in a
 * shifted run decodes to U+FFFD; an 8-bit byte, which the charset does not have, too.
 */
export function decodeIso2022Kr(bytes: Buffer): string {
  let out = '';
  let shifted = false;
  let run: number[] = [];
  const flush = () => {
    if (run.length > 0) out += eucKr.decode(Buffer.from(run));
    run = [];
  };
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0x1b && bytes[i + 1] === 0x24 && bytes[i + 2] === 0x29 && bytes[i + 3] === 0x43) {
      i += 3;
    } else if (byte === 0x0e) {
      shifted = true;
    } else if (byte === 0x0f || byte === 0x0a || byte === 0x0d) {
      flush();
      shifted = false;
      if (byte !== 0x0f) out += String.fromCharCode(byte);
    } else if (shifted && byte >= 0x21 && byte <= 0x7e) {
      run.push(byte | 0x80);
    } else {
      flush();
      out += byte < 0x80 ? String.fromCharCode(byte) : '\uFFFD';
    }
  }
  flush();
  return out;
}

/**
 * An encoded-word (RFC 2047) in ISO-2022-KR as one in UTF-8 of the same text; the parser, which decodes
 * the words, does not know the charset.
 */
export function iso2022KrWordsAsUtf8(field: string): string {
  return field.replace(
    /=\?(?:iso-2022-kr|csiso2022kr)(?:\*[^?]*)?\?([BbQq])\?([^?\s]*)\?=/gi,
    (_, kind: string, text: string) => {
      const bytes =
        kind.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(unescapeHex(text.replace(/_/g, ' ')), 'latin1');
      return `=?UTF-8?B?${Buffer.from(decodeIso2022Kr(bytes), 'utf8').toString('base64')}?=`;
    },
  );
}
