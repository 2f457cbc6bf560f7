import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type ZodError, z } from 'zod';
import { actorFromClaims } from '../../functions/api/auth';
import { reply } from '../../functions/api/caseworkRoutes';
import { errorResponse, UnauthorizedError, UnsupportedMediaTypeError } from '../../functions/api/problem';
import type { Deps } from '../../functions/application/deps';
import type { Complaint } from '../../functions/core/complaint';
import { ConflictError, ForbiddenError, NotFoundError } from '../../functions/core/errors';
import { loadPolicy } from '../../functions/core/policy';

describe('actorFromClaims', () => {
  const access = { token_use: 'access' };
  it('reads groups as API Gateway flattens them and picks the highest role', () => {
    expect(
      actorFromClaims({ ...access, sub: 'u1', 'cognito:groups': '[tier1 tier3]', email: 'a@b.c' }),
    ).toEqual({
      kind: 'agent',
      id: 'u1',
      role: 'tier3',
      email: 'a@b.c',
    });
    expect(actorFromClaims({ ...access, sub: 'u2', 'cognito:groups': ['manager'] }).role).toBe('manager');
  });

  it('rejects missing subjects (401) and tokens without an agent group (403)', () => {
    expect(() => actorFromClaims(undefined)).toThrow(UnauthorizedError);
    expect(() => actorFromClaims({ ...access, sub: 'u', 'cognito:groups': '[customers]' })).toThrow(
      ForbiddenError,
    );
    // A group name may hold a comma (never a space): `x,manager` is one group, and no agent group.
    expect(() => actorFromClaims({ ...access, sub: 'u', 'cognito:groups': '[x,manager]' })).toThrow(
      ForbiddenError,
    );
    expect(actorFromClaims({ ...access, sub: 'u', 'cognito:groups': '[x,manager tier1]' }).role).toBe(
      'tier1',
    );
  });

  it('refuses an ID token, or a token that does not say it is an access token (401)', () => {
    const claims = { sub: 'u', 'cognito:groups': '[manager]', aud: 'client' };
    for (const token_use of ['id', undefined, '', 'Access', 'access ']) {
      expect(() => actorFromClaims({ ...claims, token_use }), String(token_use)).toThrow(UnauthorizedError);
    }
  });
});

describe('errorResponse', () => {
  it('maps client mistakes to 4xx problem details and faults to 500', () => {
    const zod = (() => {
      try {
        z.object({ a: z.number() }).parse({ a: 'x' });
      } catch (e) {
        return e as ZodError;
      }
    })();
    expect(errorResponse(zod).response.statusCode).toBe(400);
    expect(JSON.parse(String(errorResponse(zod).response.body)).issues[0].path).toBe('a');
    expect(errorResponse(new NotFoundError('x')).response.statusCode).toBe(404);
    expect(errorResponse(new UnsupportedMediaTypeError('x')).response.statusCode).toBe(415);
    expect(errorResponse(new ConflictError('x', { currentVersion: 3 })).response.body).toContain(
      '"currentVersion":3',
    );
    expect(errorResponse(new Error('boom'))).toMatchObject({
      unexpected: true,
      response: { statusCode: 500 },
    });
  });
});

describe('a reply sent twice at once', () => {
  it('answers the request that finds the other holding the mail’s send lease 409, not 500', async () => {
    const complaint: Complaint = {
      id: 'a'.repeat(26),
      reference: 'CMP-4F7K2Q',
      status: 'awaiting_agent',
      tier: 1,
      priority: 'normal',
      customerEmail: 'ann@example.org',
      subject: 'Late parcel',
      threadToken: 'tok',
      firstResponseAt: '2026-11-23T09:30:00Z',
      createdAt: '2026-11-23T09:00:00Z',
      updatedAt: '2026-11-23T09:30:00Z',
      version: 4,
    };
    const services = {
      store: { get: async () => complaint, timeline: async () => [] },
      // The double click's other request took the lease and is sending the same reply.
      ledger: { beginOutbound: async () => ({ state: 'busy' }) },
      settings: { supportAddress: 'support@example.com', mailDomain: 'example.com' },
    } as unknown as Deps;
    const event = {
      pathParameters: { id: complaint.id },
      headers: { 'if-match': '"4"' },
      body: JSON.stringify({ text: 'Your parcel left today.' }),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const error = await reply({
      event,
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      services,
      policy: loadPolicy('standard'),
      now: () => new Date('2026-11-23T10:00:00Z'),
    }).catch((e: unknown) => e);
    expect(errorResponse(error)).toMatchObject({ unexpected: false, response: { statusCode: 409 } });
  });
});

describe('loadPolicy', () => {
  it('validates overrides and names the bad field', () => {
    expect(loadPolicy('fast', '{"authority":{"tier1":50}}').authority).toMatchObject({
      tier1: 50,
      tier2: 1000,
    });
    expect(() => loadPolicy('standard', '{"authority":{"tier1":-1}}')).toThrow(/tier1/);
    expect(() => loadPolicy('nope')).toThrow(/Unknown policy profile/);
  });
});
