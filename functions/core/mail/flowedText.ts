/**
 * RFC 3676 (`format=flowed`): the text of a flowed body as its sender wrote it, paragraphs unfolded.
 *
 * Per line, in the order §4.2 gives: the quote marks (`>`) are counted and removed (the quote depth),
 * then one leading space (space-stuffing, §4.4); a line that then ends in a space is flowed (but the
 * signature separator `-- `) and continues on the next line, with the space deleted when `delSp`
 * (§4.1, `DelSp=yes`: the space was added only to fold a word). A flowed line followed by a line of
 * another quote depth (or by the signature separator) ends its paragraph as if fixed (§4.5). Each
 * paragraph is written back on one line, behind its quote marks and one space (`> `, `>> `), as mail
 * readers show it; the line ends are CRLF, the final one kept where the text had one.
 *
 * The text may be a byte string (one character per byte, `latin1`): every character the format uses is
 * ASCII, and in the charsets mail is flowed in (ASCII-compatible ones, ISO-2022-JP whose lines end in
 * ASCII) a byte of those values is that character, so the bytes of other characters pass unchanged.
 *
 * postal-mime unfolds flowed text too, but reads the quote marks of a continuation line as text
 * (`> Could you send > a photo`), so a quoted paragraph came out as one line full of stray marks.
 */
export function unflowText(text: string, delSp: boolean): string {
  const out: string[] = [];
  /** The paragraph being joined: its quote depth and the content so far. */
  let open: { depth: number; content: string } | undefined;
  const finalBreak = /\r?\n$/.exec(text)?.[0];
  const lines = (finalBreak ? text.slice(0, -finalBreak.length) : text).split(/\r?\n/);
  for (const line of lines) {
    const depth = /^>*/.exec(line)?.[0].length ?? 0;
    let content = line.slice(depth);
    if (content.startsWith(' ')) content = content.slice(1);
    const signature = content === '-- ';
    if (open && (open.depth !== depth || signature)) {
      out.push(quoted(open.depth, open.content));
      open = undefined;
    }
    const flowed = content.endsWith(' ') && !signature;
    const joined = (open?.content ?? '') + (flowed && delSp ? content.slice(0, -1) : content);
    if (flowed) open = { depth, content: joined };
    else {
      out.push(quoted(depth, joined));
      open = undefined;
    }
  }
  if (open) out.push(quoted(open.depth, open.content));
  return `${out.join('\r\n')}${finalBreak ? '\r\n' : ''}`;
}

const quoted = (depth: number, content: string) =>
  depth === 0 ? content : `${'>'.repeat(depth)}${content ? ` ${content}` : ''}`;
