import { settingNames } from '../../application/settings';
import type { AdapterContext } from '../awsAdapters';

/**
 * The signing key from Secrets Manager (`SURVEY_SIGNING_SECRET_ARN`), or the runtime's own: read once per
 * cold start (Powertools caches it as well); a failed read is tried again next call.
 */
export const secretSigningKey = ({ settings, runtime }: AdapterContext) => {
  let key: Promise<Uint8Array> | undefined;
  return () => {
    key ??= signingKeyOf(runtime.signingKey, settings.surveySigningSecretArn).catch((e: unknown) => {
      key = undefined;
      throw e;
    });
    return key;
  };
};

async function signingKeyOf(given: string | undefined, secretArn: string | undefined): Promise<Uint8Array> {
  const value = given ?? (secretArn ? await secretValue(secretArn) : undefined);
  if (!value)
    throw new Error(`Invalid configuration: ${settingNames.surveySigningSecretArn} names no secret value`);
  return new TextEncoder().encode(value);
}

/** The secret's value through Powertools, imported on the first read (a chunk of its own). */
async function secretValue(secretArn: string): Promise<string | undefined> {
  const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
  return getSecret<string>(secretArn);
}
