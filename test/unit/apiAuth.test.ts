import { describe, expect, it } from 'vitest';
import { type ZodError, z } from 'zod';
import { actorFromClaims } from '../../functions/api/auth';
import { errorResponse, UnauthorizedError } from '../../functions/api/problem';
import { ConflictError, ForbiddenError, NotFoundError } from '../../functions/core/errors';
import { loadPolicy } from '../../functions/core/policy';

describe('actorFromClaims', () => {
  it('reads groups as API Gateway flattens them and picks the highest role', () => {
    expect(actorFromClaims({ sub: 'u1', 'cognito:groups': '[tier1 tier3]', email: 'a@b.c' })).toEqual({
      kind: 'agent',
      id: 'u1',
      role: 'tier3',
      email: 'a@b.c',
    });
    expect(actorFromClaims({ sub: 'u2', 'cognito:groups': ['manager'] }).role).toBe('manager');
  });

  it('rejects missing subjects (401) and tokens without an agent group (403)', () => {
    expect(() => actorFromClaims(undefined)).toThrow(UnauthorizedError);
    expect(() => actorFromClaims({ sub: 'u', 'cognito:groups': '[customers]' })).toThrow(ForbiddenError);
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
    expect(errorResponse(new ConflictError('x', { currentVersion: 3 })).response.body).toContain(
      '"currentVersion":3',
    );
    expect(errorResponse(new Error('boom'))).toMatchObject({
      unexpected: true,
      response: { statusCode: 500 },
    });
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
