import { describe, expect, it } from 'vitest';
import { toCsv } from '../../functions/api/reportRoutes';

describe('report CSV (toCsv)', () => {
  it('writes RFC 4180: a header of the columns, fields quoted when they hold a comma, quote or line break', () => {
    expect(
      toCsv(
        ['group', 'count', 'open'],
        [
          { group: 'a,b', count: 3 },
          { group: 'say "hi"\nthere', count: 0, open: 2 },
        ],
      ),
    ).toBe('group,count,open\r\n"a,b",3,\r\n"say ""hi""\nthere",0,2\r\n');
  });

  it('writes the header alone for a report without rows', () => {
    expect(toCsv(['week', 'csat'], [])).toBe('week,csat\r\n');
  });

  it('defuses text a spreadsheet would run as a formula, and leaves numbers as they are', () => {
    const rows = [
      { name: '=HYPERLINK("http://evil.example","x")', delta: -4 },
      { name: '+1+cmd|" /C calc"!A0', delta: 0 },
      { name: '-2+3', delta: 1.5 },
      { name: '@SUM(A1:A9)', delta: -0.5 },
      { name: '\tindented', delta: 2 },
      { name: 'plain-text with = inside', delta: 3 },
    ];
    expect(toCsv(['name', 'delta'], rows).split('\r\n')).toEqual([
      'name,delta',
      `"'=HYPERLINK(""http://evil.example"",""x"")",-4`,
      `"'+1+cmd|"" /C calc""!A0",0`,
      "'-2+3,1.5",
      "'@SUM(A1:A9),-0.5",
      "'\tindented,2",
      'plain-text with = inside,3',
      '',
    ]);
  });
});
