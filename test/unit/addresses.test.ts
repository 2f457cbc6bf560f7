import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customerEmailSchema } from '../../functions/api/schemas';
import { isValidAddress, normalizeAddress } from '../../functions/core/mail/addresses';
import { filedSender, readFrom } from '../../functions/core/mail/sender';

describe('normalizeAddress', () => {
  it.each([
    ['Anna.Berg@Example.ORG', 'anna.berg@example.org'],
    ["o'brien+orders@mail.example.ie", "o'brien+orders@mail.example.ie"],
    ['"john doe"@example.com', '"john doe"@example.com'],
    ['jan@bücher.example', 'jan@xn--bcher-kva.example'],
  ])('%s -> %s', (input, expected) => expect(normalizeAddress(input)).toBe(expected));

  it.each([
    'name@yahoo.com.',
    'redacted@redacted',
    '',
    '@example.com',
    'jane.doe>@mail.example',
    'power quadrant system@example.com',
    'a..b@example.com',
    '.a@example.com',
    'a@-x.example',
    'a@x_y.example',
    'a@1.2.3.4',
    'müller@example.de',
    `${'a'.repeat(65)}@example.com`,
  ])('refuses %j', (input) => expect(normalizeAddress(input)).toBeUndefined());

  it('is idempotent and agrees with the API: whatever intake files, the API accepts as the same string', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (input) => {
        const address = normalizeAddress(input);
        if (!address) return;
        expect(normalizeAddress(address)).toBe(address);
        expect(customerEmailSchema.parse(` ${input.toUpperCase()} `)).toBe(
          normalizeAddress(input.toUpperCase()),
        );
      }),
    );
  });

  it('the API refuses what intake refuses', () => {
    for (const input of ['name@yahoo.com.', 'redacted@redacted', 'a b@example.com'])
      expect(customerEmailSchema.safeParse(input).success).toBe(false);
  });
});

describe('readFrom', () => {
  it('reads the one mailbox of a From field', () => {
    expect(readFrom(['"Doe, Jane" <Jane.Doe@Example.COM>'])).toEqual({
      kind: 'mailbox',
      address: 'jane.doe@example.com',
      name: 'Doe, Jane',
    });
    expect(readFrom(['MAILER-DAEMON@mx.example (Mail Delivery System)'])).toMatchObject({ kind: 'mailbox' });
    // The parser unquotes a quoted local part; the address keeps its quotes, as the API normalises it.
    expect(readFrom(['"Doe, John" <"John Doe"@Example.org>'])).toMatchObject({
      kind: 'mailbox',
      address: '"john doe"@example.org',
    });
    expect(customerEmailSchema.parse('"John Doe"@example.org')).toBe('"john doe"@example.org');
  });

  it.each([
    ['Doe, John <John.Doe@Example.org>', 'john.doe@example.org'],
    ['john@example.org <john@example.org>', 'john@example.org'],
    ['"Doe" Jane <jane@example.org>', 'jane@example.org'],
    ['=?utf-8?Q?M=C3=BCller=2C_Jan?= <jan@example.de>', 'jan@example.de'],
    // The name is cosmetic, whichever address it shows, as in its quoted form.
    ['boss@bank.example <someone@else.example>', 'someone@else.example'],
  ])('reads the angle address of %j, whose display name the client left unquoted', (value, address) => {
    expect(readFrom([value])).toMatchObject({ kind: 'mailbox', address });
  });

  it('reads a local part without the white space of the comments and folding beside it', () => {
    // RFC 5322 appendix A.5 (stalwartlabs/mail-parser's address corpus): read as `"pete "@silly.test`.
    expect(readFrom(['Pete(A nice \\) chap) <pete(his account)@silly .test(his host)>'])).toMatchObject({
      kind: 'mailbox',
      address: 'pete@silly.test',
    });
    // A quoted local part keeps its spaces (and so stays a mailbox of its own).
    expect(readFrom(['Pete <"pete smith"@silly.test>'])).toMatchObject({
      address: '"pete smith"@silly.test',
    });
  });

  it.each([
    ['spaces in the local part', '"x" <power quadrant system@example.com>'],
    ['spaces in the local part, a bare name', 'Doe, Jo <power quadrant system@example.com>'],
    ['two angle addresses', 'Doe, Jo <jo@example.org> <al@example.org>'],
    ['a bracket in the name', 'Doe <x> Jo <jo@example.org>'],
    ['a > inside the address', '"Jane Doe" <jane.doe>@mail.example>'],
    ['a trailing dot', 'Ann <name@yahoo.com.>'],
    ['a single-label domain', 'redacted@redacted'],
    ['an empty address', '"Web form" <>'],
  ])('never guesses an address from %s', (_, value) => {
    const reading = readFrom([value]);
    expect(reading.kind).toBe('invalid');
  });

  it('reads no sender from comments nested deeper than mail clients write (the parser recursed into each)', () => {
    // 2,000 levels (4,000 characters, within the field's bound) overflowed the parser's stack in intake.
    expect(readFrom([`a@example.org ${'('.repeat(2000)}${')'.repeat(2000)}`])).toEqual({
      kind: 'invalid',
      reason: 'From header field with comments nested 2000 deep',
    });
    // Parentheses in a quoted name or escaped do not nest; 50 levels are still read.
    const value = `"((((" <a@example.org> (Ann \\( (at home)) ${'('.repeat(50)}${')'.repeat(50)}`;
    expect(readFrom([value])).toMatchObject({ kind: 'mailbox', address: 'a@example.org' });
  });

  it('two From fields name no sender', () => {
    expect(readFrom(['a@example.com', 'b@example.com'])).toEqual({
      kind: 'invalid',
      reason: '2 From header fields',
    });
  });
});

describe('filedSender', () => {
  const digest = 'ab'.repeat(32);
  it('files under the From address', () => {
    expect(
      filedSender({ from: { address: 'ann@example.org' }, contentDigest: digest }, 'x@y.example'),
    ).toEqual({
      sender: 'ann@example.org',
    });
  });
  it('takes the envelope sender only when there is no From at all', () => {
    expect(filedSender({ from: undefined, contentDigest: digest }, 'Owner@Old-Router.example')).toEqual({
      sender: 'owner@old-router.example',
    });
  });
  it('never takes the envelope sender for an invalid or ambiguous From', () => {
    const filed = filedSender(
      { from: undefined, senderInvalid: '2 From header fields', contentDigest: digest },
      'bounce@list.example',
    );
    expect(filed).toEqual({
      sender: `unknown-sender-${digest.slice(0, 16)}`,
      senderInvalid: '2 From header fields',
    });
    expect(isValidAddress(filed.sender)).toBe(false);
  });
  it('flags a mail without From whose envelope sender is null or invalid', () => {
    expect(filedSender({ from: undefined, contentDigest: digest }, '').senderInvalid).toMatch(
      /null envelope/,
    );
    expect(filedSender({ from: undefined, contentDigest: digest }, 'x@localhost').senderInvalid).toMatch(
      /not deliverable/,
    );
  });
});
