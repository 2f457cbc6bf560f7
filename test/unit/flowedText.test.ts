import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unflowText } from '../../functions/core/mail/flowedText';

const crlf = (lines: string[]) => lines.join('\r\n');

describe('unflowText (RFC 3676 format=flowed)', () => {
  it('joins soft line breaks, keeping the space (DelSp=no) or deleting it (DelSp=yes)', () => {
    const flowed = crlf(['The lamp arrived ', 'with a dent. ', 'Please help.', '', 'Lena', '']);
    expect(unflowText(flowed, false)).toBe(
      crlf(['The lamp arrived with a dent. Please help.', '', 'Lena', '']),
    );
    // Apple Mail folds inside words (and between CJK characters) with DelSp=yes.
    const delSp = crlf(['The lamp arri ', 'ved bro ', 'ken.', '荷物が ', '届きません。']);
    expect(unflowText(delSp, true)).toBe(crlf(['The lamp arrived broken.', '荷物が届きません。']));
  });

  it('joins quoted lines of one depth without their quote marks, and ends a paragraph where the depth changes', () => {
    const text = crlf([
      'Yes, it is ',
      'broken.',
      '',
      'On Monday you wrote:',
      '> Could you send ',
      '> a photo of the ',
      '> damage?',
      '>> Our order 88214 ',
      '>> arrived today. ',
      '> Thanks',
      '>',
      '> -- ',
      '> Support',
    ]);
    expect(unflowText(text, false)).toBe(
      crlf([
        'Yes, it is broken.',
        '',
        'On Monday you wrote:',
        '> Could you send a photo of the damage?',
        // Improperly flowed (RFC 3676 §4.5): the flowed line before another depth is fixed.
        '>> Our order 88214 arrived today. ',
        '> Thanks',
        '>',
        '> -- ',
        '> Support',
      ]),
    );
  });

  it('removes space-stuffing, so that a stuffed ">" or "From" is text, not a quote', () => {
    const text = crlf([' >not a quote', ' From the start', '  indented', ' ']);
    expect(unflowText(text, false)).toBe(crlf(['>not a quote', 'From the start', ' indented', '']));
  });

  it('keeps the signature separator a line of its own, also after a flowed line', () => {
    const text = crlf(['Best regards ', '-- ', 'Lena ', 'Novak']);
    expect(unflowText(text, true)).toBe(crlf(['Best regards', '-- ', 'LenaNovak']));
    expect(unflowText(crlf(['Hi', '-- ', 'Lena']), false)).toBe(crlf(['Hi', '-- ', 'Lena']));
  });

  it('leaves text without flowed, quoted or stuffed lines as it is (line ends as CRLF)', () => {
    const line = fc
      .string({ maxLength: 20 })
      .filter((l) => !/[\r\n]/.test(l) && !/^[ >]/.test(l) && !/ $/.test(l));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.boolean(), (lines, finalBreak) => {
        const text = `${lines.join('\n')}${finalBreak ? '\n' : ''}`;
        expect(unflowText(text, false)).toBe(text.replaceAll('\n', '\r\n'));
      }),
    );
  });
});
