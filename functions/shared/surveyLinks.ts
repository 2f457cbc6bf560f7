import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { errors, jwtVerify, SignJWT } from 'jose';
import { ValidationError } from '../core/errors';

export type SurveyAnswer = 'satisfied' | 'unsatisfied';

const audience = 'complaints-survey';
let key: Uint8Array | undefined;

/**
 * HMAC key of the satisfaction links: `SURVEY_SIGNING_KEY` locally, the Secrets Manager secret named by
 * `SURVEY_SIGNING_SECRET_ARN` in AWS (read once per cold start, cached by Powertools). The API derives
 * its pagination-cursor key from it (api/cursors.ts), so no second secret has to be provisioned.
 */
export async function signingKey(): Promise<Uint8Array> {
  if (key) return key;
  const inline = process.env.SURVEY_SIGNING_KEY;
  const secretArn = process.env.SURVEY_SIGNING_SECRET_ARN;
  const value = inline ?? (secretArn ? await getSecret<string>(secretArn) : undefined);
  if (!value)
    throw new Error('Invalid configuration: SURVEY_SIGNING_KEY or SURVEY_SIGNING_SECRET_ARN is required');
  key = new TextEncoder().encode(value);
  return key;
}

/** A signed, expiring token naming the complaint whose customer may answer the survey. */
export async function signSurveyToken(complaintId: string, expiresAt: Date): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(complaintId)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(await signingKey());
}

/** The two links of the survey mail, one per answer. */
export function surveyLinks(baseUrl: string, token: string): Record<SurveyAnswer, string> {
  const url = (answer: SurveyAnswer) => `${baseUrl.replace(/\/$/, '')}/survey/${token}?answer=${answer}`;
  return { satisfied: url('satisfied'), unsatisfied: url('unsatisfied') };
}

/** Verifies a survey token: the complaint id, or 'expired' when the link's lifetime is over. */
export async function verifySurveyToken(token: string): Promise<string | 'expired'> {
  try {
    const { payload } = await jwtVerify(token, await signingKey(), { audience, algorithms: ['HS256'] });
    if (!payload.sub) throw new ValidationError('The survey link is invalid');
    return payload.sub;
  } catch (e) {
    if (e instanceof errors.JWTExpired) return 'expired';
    if (e instanceof ValidationError) throw e;
    throw new ValidationError('The survey link is invalid');
  }
}
