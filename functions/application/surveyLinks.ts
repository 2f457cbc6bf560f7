import { errors, jwtVerify, SignJWT } from 'jose';
import { ValidationError } from '../core/errors';
import { complaintIdPattern } from '../core/reference';

export type SurveyAnswer = 'satisfied' | 'unsatisfied';

const audience = 'complaints-survey';

/**
 * A signed, expiring token naming the complaint whose customer may answer the survey, and the survey it
 * was sent with (`survey`: the follow-up's `surveySentAt`). A complaint reopened and resolved again gets
 * a survey of its own: the link of the earlier one, still within its lifetime, must not answer it (a
 * forwarded mail, or an answer replayed from a log, would reopen the complaint again).
 */
export async function signSurveyToken(
  key: Uint8Array,
  complaintId: string,
  expiresAt: Date,
  surveySentAt: string,
): Promise<string> {
  return new SignJWT({ survey: surveySentAt })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(complaintId)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key);
}

/** The two links of the survey mail, one per answer. */
export function surveyLinks(baseUrl: string, token: string): Record<SurveyAnswer, string> {
  const url = (answer: SurveyAnswer) => `${baseUrl.replace(/\/$/, '')}/survey/${token}?answer=${answer}`;
  return { satisfied: url('satisfied'), unsatisfied: url('unsatisfied') };
}

/**
 * Verifies a survey token: the complaint id and the survey it belongs to (undefined in a link mailed
 * before links named their survey), or 'expired' when the link's lifetime is over.
 */
export async function verifySurveyToken(
  key: Uint8Array,
  token: string,
): Promise<{ complaintId: string; surveySentAt?: string } | 'expired'> {
  try {
    const { payload } = await jwtVerify(token, key, { audience, algorithms: ['HS256'] });
    // Signed by us, so only a leaked key makes another; its subject is still checked before any read.
    if (!payload.sub || !complaintIdPattern.test(payload.sub))
      throw new ValidationError('The survey link is invalid');
    if (payload.survey !== undefined && typeof payload.survey !== 'string')
      throw new ValidationError('The survey link is invalid');
    return { complaintId: payload.sub, ...(payload.survey ? { surveySentAt: payload.survey } : {}) };
  } catch (e) {
    if (e instanceof errors.JWTExpired) return 'expired';
    if (e instanceof ValidationError) throw e;
    throw new ValidationError('The survey link is invalid');
  }
}
