import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  expectedVersion,
  parseBody,
  type RouteContext,
  versionOfIfMatch,
} from '../../functions/api/complaintRoutes';
import { type CursorScope, openCursor, signCursor } from '../../functions/api/cursors';
import { problem } from '../../functions/api/problem';
import {
  atRiskReportQuerySchema,
  csatReportQuerySchema,
  recurringReportQuerySchema,
  slaReportQuerySchema,
} from '../../functions/api/reportSchemas';
import {
  approvalRequestSchema,
  closeRequestSchema,
  customerComplaintsQuerySchema,
  listQuerySchema,
  noteRequestSchema,
  quarantineListQuerySchema,
  resolutionRequestSchema,
} from '../../functions/api/schemas';
import { answerSurvey } from '../../functions/api/surveyRoute';
import type { Deps } from '../../functions/application/deps';
import { weeksUpTo } from '../../functions/application/insights/reports';
import { signSurveyToken } from '../../functions/application/surveyLinks';
import type { Complaint } from '../../functions/core/complaint';
import { weekOf } from '../../functions/core/reports/projection';

const key = async () => new TextEncoder().encode('unit-test-signing-key');

const storeCursor = Buffer.from(
  JSON.stringify({
    PK: 'COMPLAINT#a',
    SK: 'META',
    GSI2PK: 'QUEUE#tier1',
    GSI2SK: '2026-11-23T10:00:00.000Z#a',
  }),
).toString('base64url');
const tier1: CursorScope = ['queue', 'tier1', undefined];

describe('pagination cursors', () => {
  it('give back the repository cursor to the list that issued it', async () => {
    const signed = (await signCursor(key, tier1, storeCursor)) as string;
    expect(await openCursor(key, tier1, signed)).toBe(storeCursor);
    expect(await signCursor(key, tier1, undefined)).toBeUndefined();
    expect(await openCursor(key, tier1, undefined)).toBeUndefined();
  });

  it('refuse forged, tampered, truncated and other lists’ cursors with a 400 validation error', async () => {
    const signed = (await signCursor(key, tier1, storeCursor)) as string;
    const forged = Buffer.from(JSON.stringify({ PK: 1, evil: true })).toString('base64url');
    const mac = signed.slice(signed.lastIndexOf('.') + 1);
    const flipLast = (s: string) => `${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`;
    const refused: [string, CursorScope, string][] = [
      ['unsigned repository cursor', tier1, storeCursor],
      ['forged JSON object', tier1, forged],
      ['forged JSON with a borrowed MAC', tier1, `${forged}.${mac}`],
      ['last MAC character changed', tier1, flipLast(signed)],
      ['truncated', tier1, signed.slice(0, -3)],
      ['cursor part changed', tier1, `x${signed}`],
      ['another queue', ['queue', 'tier2', undefined], signed],
      ['another status filter', ['queue', 'tier1', 'awaiting_agent'], signed],
      ['another list', ['customer', 'ann@example.org', undefined], signed],
      ['only a dot', tier1, '.'],
      ['garbage', tier1, '%%%'],
    ];
    for (const [what, scope, cursor] of refused) {
      await expect(openCursor(key, scope, cursor), what).rejects.toMatchObject({
        name: 'ValidationError',
        details: { issues: [{ path: 'cursor' }] },
      });
    }
    // `assignee=me` pages the caller's own list: another agent's cursor of their `me` is another list.
    const mine = (await signCursor(key, ['assignee', 'dev-tier1', undefined], storeCursor)) as string;
    await expect(openCursor(key, ['assignee', 'dev-tier2', undefined], mine)).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});

describe('If-Match', () => {
  it('takes one quoted safe non-negative integer', () => {
    expect(versionOfIfMatch('"3"')).toBe(3);
    expect(versionOfIfMatch(' "0" ')).toBe(0);
    expect(versionOfIfMatch(`"${Number.MAX_SAFE_INTEGER}"`)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses weak tags, lists, *, unquoted or signed numbers and numbers past 2^53 (400)', () => {
    for (const header of [
      'W/"3"',
      '"1", "2"',
      '*',
      '3',
      '"-1"',
      '"1e3"',
      '"3.0"',
      '"0003"',
      '"03"',
      '"00"',
      '" 3"',
      '"+3"',
      '"0x3"',
      '"٣"',
      '""',
      '',
      `"${'9'.repeat(400)}"`,
      `"${Number.MAX_SAFE_INTEGER + 1}"`,
    ]) {
      expect(() => versionOfIfMatch(header), header).toThrow(
        expect.objectContaining({
          name: 'ValidationError',
          details: { issues: [expect.objectContaining({ path: 'If-Match' })] },
        }),
      );
    }
  });

  const writeWith = (ifMatch?: string) =>
    ({ event: { headers: ifMatch === undefined ? {} : { 'if-match': ifMatch } } }) as unknown as RouteContext;

  const bodyOf = (body: string) => ({ event: { body, headers: {} } }) as unknown as RouteContext;

  it('takes a body version only as a JSON integer written as If-Match takes it: no fraction, exponent or -0', () => {
    expect(parseBody(bodyOf('{"version": 3}'))).toEqual({ version: 3 });
    expect(parseBody(bodyOf('{"version": 0, "text": "x"}'))).toEqual({ version: 0, text: 'x' });
    // Another field of that name deeper in the body is not the write's version; a string is the schema's.
    expect(parseBody(bodyOf('{"x": {"version": 3.0}, "version": "3"}'))).toEqual({
      x: { version: 3 },
      version: '3',
    });
    for (const version of ['3.0', '3e0', '30e-1', '-0', '0.0', '1E0']) {
      expect(() => parseBody(bodyOf(`{"version": ${version}}`)), version).toThrow(
        expect.objectContaining({
          name: 'ValidationError',
          details: { issues: [expect.objectContaining({ path: 'version', code: 'invalid_version' })] },
        }),
      );
    }
  });

  it('reads a body as JSON only under a JSON type in UTF-8, or none: text, forms, other charsets are a 415', () => {
    const typed = (type: string) =>
      ({ event: { body: '{"text":"x"}', headers: { 'content-type': type } } }) as unknown as RouteContext;
    for (const type of [
      'application/json',
      'Application/JSON; charset=UTF-8',
      'application/json;charset="utf-8"',
      'application/problem+json',
      'application/merge-patch+json',
    ]) {
      expect(parseBody(typed(type)), type).toEqual({ text: 'x' });
    }
    for (const type of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=iso-8859-1',
      'application/jsonp',
      'application/json-seq',
      'application/json,text/plain',
      'text/plain,application/json',
      '',
      'json',
    ]) {
      expect(() => parseBody(typed(type)), type).toThrow(
        expect.objectContaining({ name: 'UnsupportedMediaTypeError' }),
      );
    }
  });

  it('takes the version from If-Match or the body, or from both when they name the same one', () => {
    expect(expectedVersion(writeWith('"3"'), undefined)).toBe(3);
    expect(expectedVersion(writeWith(), 3)).toBe(3);
    expect(expectedVersion(writeWith('"3"'), 3)).toBe(3);
    expect(expectedVersion(writeWith('"0"'), 0)).toBe(0);
    expect(() => expectedVersion(writeWith(), undefined)).toThrow(
      expect.objectContaining({ name: 'PreconditionRequiredError' }),
    );
  });

  it('refuses an If-Match and a body version that name different versions (400), whichever is newer', () => {
    for (const [header, body] of [
      ['"3"', 8],
      ['"8"', 3],
      ['"0"', 1],
      [`"${Number.MAX_SAFE_INTEGER}"`, 0],
    ] as const) {
      expect(() => expectedVersion(writeWith(header), body), `${header} and ${body}`).toThrow(
        expect.objectContaining({
          name: 'ValidationError',
          details: { issues: [expect.objectContaining({ path: 'version', code: 'version_mismatch' })] },
        }),
      );
    }
  });
});

describe('texts in bodies', () => {
  it('refuses a text with nothing visible in it: spaces, zero-width characters, direction marks', () => {
    for (const text of [' ', '\u200b', '\u200b\u200d\ufeff', '\u202e \u200e', '\t\n']) {
      expect(noteRequestSchema.safeParse({ text }).success, JSON.stringify(text)).toBe(false);
    }
    for (const text of ['ok', '\u200bok', '👍', 'ß']) {
      expect(noteRequestSchema.safeParse({ text }).success, JSON.stringify(text)).toBe(true);
    }
  });
});

describe('numbers in bodies and queries', () => {
  const resolution = (amount: unknown) => ({
    type: 'refund',
    amount,
    summary: 'Refunded.',
    rootCause: 'carrier_delay',
  });

  it('refuses amounts DynamoDB cannot store or that are not positive and bounded', () => {
    for (const amount of [1e-131, 1e126, 1e300, -0, 0, -5, 1_000_000.01, Number.NaN, '12']) {
      expect(resolutionRequestSchema.safeParse(resolution(amount)).success, String(amount)).toBe(false);
    }
    expect(resolutionRequestSchema.safeParse(resolution(40.5)).success).toBe(true);
  });

  it('takes versions as safe non-negative integers only', () => {
    for (const version of [-1, 1.5, 2 ** 53, 1e300, '3']) {
      expect(approvalRequestSchema.safeParse({ decision: 'approve', version }).success, String(version)).toBe(
        false,
      );
    }
    expect(approvalRequestSchema.safeParse({ decision: 'approve', version: 0 }).success).toBe(true);
  });

  it('takes a merge target on a close only for a duplicate, and requires it there', () => {
    const into = 'f'.repeat(26);
    expect(closeRequestSchema.safeParse({ reason: 'duplicate', mergedInto: into }).success).toBe(true);
    expect(closeRequestSchema.safeParse({ reason: 'duplicate' }).success).toBe(false);
    for (const reason of ['withdrawn', 'resolved_elsewhere']) {
      expect(closeRequestSchema.safeParse({ reason }).success, reason).toBe(true);
      expect(closeRequestSchema.safeParse({ reason, mergedInto: into }).error?.issues, reason).toMatchObject([
        { path: ['mergedInto'] },
      ]);
    }
  });

  it('bounds limits and tiers in queries', () => {
    for (const limit of ['0', '101', '1e400', 'NaN', '-0', '1.5', '99999999999999999999']) {
      expect(listQuerySchema.safeParse({ limit }).success, limit).toBe(false);
      expect(quarantineListQuerySchema.safeParse({ limit }).success, limit).toBe(false);
    }
    for (const tier of ['0', '4', '1e400', '2.5'])
      expect(listQuerySchema.safeParse({ tier }).success).toBe(false);
    expect(listQuerySchema.safeParse({ limit: '100', tier: '3' }).success).toBe(true);
  });

  it('take numbers in queries only as plain decimal integers: 0x2, 1e0, " 2", 2.0 are a 400 naming the parameter', () => {
    const notDecimal = ['0x2', '1e0', ' 2', '2 ', '2.0', '02', '+2', '-1', '', '0b1', '2,3', 'Infinity', '٢'];
    const schemas = [
      ['tier', listQuerySchema],
      ['limit', listQuerySchema],
      ['limit', customerComplaintsQuerySchema],
      ['limit', quarantineListQuerySchema],
      ['limit', atRiskReportQuerySchema],
      ['weeks', recurringReportQuerySchema],
    ] as const;
    for (const [name, schema] of schemas) {
      for (const value of notDecimal) {
        const issues = schema.safeParse({ [name]: value }).error?.issues;
        expect(issues, `${name}=${JSON.stringify(value)}`).toEqual([
          expect.objectContaining({ path: [name], message: expect.stringMatching(/^a decimal integer/) }),
        ]);
      }
      expect(schema.safeParse({ [name]: '2' }).data, name).toMatchObject({ [name]: 2 });
    }
    expect(listQuerySchema.safeParse({ tier: '4' }).error?.issues).toEqual([
      expect.objectContaining({ path: ['tier'], code: 'too_big' }),
    ]);
  });
});

describe('report days', () => {
  // Well-formed dates before the first day reports take, and years Date writes in six signed digits.
  const early = ['0000-01-01', '0001-01-01', '1969-12-31'];
  const malformed = ['-000001-01-01', '+010000-01-01', '10000-01-01'];
  const queries = {
    sla: (day: string) => slaReportQuerySchema.safeParse({ from: day, to: day }),
    csat: (day: string) => csatReportQuerySchema.safeParse({ from: day, to: day }),
    atRisk: (day: string) => atRiskReportQuerySchema.safeParse({ from: day, to: day }),
    recurring: (day: string) => recurringReportQuerySchema.safeParse({ to: day }),
  };

  it('refuse days outside 1970-01-01..9999-12-31 in every report, saying which days are taken', () => {
    for (const [report, parse] of Object.entries(queries)) {
      for (const day of [...early, ...malformed]) {
        const issues = parse(day).error?.issues ?? [];
        expect(
          issues.map((i) => i.path.join('.')),
          `${report} ${day}`,
        ).toContain('to');
        if (early.includes(day)) {
          expect(issues[0]?.message, `${report} ${day}`).toMatch(/1970-01-01 to 9999-12-31/);
        }
      }
      expect(parse('1970-01-01').success, report).toBe(true);
      expect(parse('9999-12-31').success, report).toBe(true);
    }
    expect(slaReportQuerySchema.safeParse({ from: '1969-12-31', to: '1970-01-01' }).error?.issues).toEqual([
      expect.objectContaining({ path: ['from'] }),
    ]);
  });

  it('give YYYY-MM-DD weeks however far back a report reaches from the first or last day taken', () => {
    for (const day of ['1970-01-01', '9999-12-31']) {
      for (const week of [...weeksUpTo(day, 52), weekOf(`${day}T00:00:00Z`)]) {
        expect(week, day).toMatch(/^\d{4}-\d\d-\d\d$/);
      }
    }
  });
});

describe('the survey form', () => {
  const signingKey = new TextEncoder().encode('unit-test-signing-key');
  const now = new Date('2026-11-23T09:00:00Z');
  const waiting: Complaint = {
    id: '0'.repeat(26),
    reference: 'CMP-4F7K2Q',
    status: 'awaiting_follow_up',
    tier: 1,
    priority: 'normal',
    customerEmail: 'ann@example.org',
    subject: 'Late parcel',
    threadToken: 'tok',
    taskToken: 'survey-task',
    waitingFor: 'survey',
    followUp: {
      agentId: 'a1',
      scheduledFor: now.toISOString(),
      attempts: 2,
      surveySentAt: now.toISOString(),
    },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 7,
  };

  /** Posts a form body to the complaint's survey link; `answered` holds the answers that reached the workflow. */
  async function post(body: string, survey = waiting.followUp?.surveySentAt as string) {
    const answered: unknown[] = [];
    const services = {
      signingKey: async () => signingKey,
      store: { get: async () => structuredClone(waiting), save: async () => undefined },
      workflow: { succeed: async (_token: string, output: unknown) => void answered.push(output) },
    } as unknown as Deps;
    const token = await signSurveyToken(signingKey, waiting.id, new Date(Date.now() + 86_400_000), survey);
    const event = {
      pathParameters: { token },
      body,
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    return { res: await answerSurvey(event, services, () => now), answered };
  }

  it('records the one answer the confirmation page posts', async () => {
    const { res, answered } = await post('answer=unsatisfied');
    expect(res.statusCode).toBe(200);
    expect(answered).toHaveLength(1);
  });

  it('refuses the link of an earlier survey of the complaint (410), answering nothing of the one open now', async () => {
    const { res, answered } = await post('answer=unsatisfied', '2026-10-01T09:00:00.000Z');
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('earlier survey');
    expect(answered).toEqual([]);
  });

  it('refuses a signed link whose subject is no complaint id (400), reading nothing', async () => {
    const token = await signSurveyToken(
      signingKey,
      'a'.repeat(3000),
      new Date(Date.now() + 86_400_000),
      now.toISOString(),
    );
    const event = { pathParameters: { token }, body: 'answer=satisfied', isBase64Encoded: false };
    const services = {
      signingKey: async () => signingKey,
      store: {
        get: async () => {
          throw new Error('read');
        },
      },
    } as unknown as Deps;
    const res = await answerSurvey(event as unknown as APIGatewayProxyEventV2, services, () => now);
    expect(res.statusCode).toBe(400);
  });

  it('refuses a form that gives any field more than once (400), recording nothing', async () => {
    for (const body of [
      'answer=satisfied&answer=unsatisfied',
      'answer=unsatisfied&answer=satisfied',
      'answer=satisfied&answer=satisfied',
      'answer=satisfied&answer=',
      'answer=satisfied&note=a&note=b',
    ]) {
      const { res, answered } = await post(body);
      expect(res.statusCode, body).toBe(400);
      expect(res.headers?.['content-type'], body).toMatch(/^text\/html/);
      expect(res.body, body).toContain('Invalid answer');
      expect(answered, body).toEqual([]);
    }
  });
});

describe('problem details', () => {
  it('keep status the HTTP status whatever the error details say', () => {
    const res = problem(409, 'Conflict', 'stale', {
      status: 'awaiting_agent',
      complaintStatus: 'awaiting_agent',
    });
    expect(JSON.parse(res.body)).toMatchObject({ status: 409, complaintStatus: 'awaiting_agent' });
  });
});
