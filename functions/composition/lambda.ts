import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { S3RawMailStore } from '../adapters/rawMailStore';
import type { Deps } from '../application/deps';
import { type OptionalSetting, settingNames, settingsFromEnv } from '../application/settings';
import { buildDeps } from './buildDeps';

/** A handler's logic, given its dependencies: what a Lambda module and the local stack both call. */
export type HandlerFactory<E, R> = (deps: Deps) => (event: E) => Promise<R>;

/**
 * The Lambda composition root: validates the environment and builds the dependencies once per cold
 * start (on the first invocation, so that importing a handler module reads nothing), then serves every
 * invocation with the same handler. `needs`: the optional settings this function cannot work without.
 */
export function lambdaHandler<E, R>(
  create: HandlerFactory<E, R>,
  needs: readonly OptionalSetting[] = [],
): (event: E) => Promise<R> {
  let handle: ((event: E) => Promise<R>) | undefined;
  return (event) => {
    handle ??= create(lambdaDeps(needs));
    return handle(event);
  };
}

function lambdaDeps(needs: readonly OptionalSetting[]): Deps {
  const settings = settingsFromEnv(process.env, needs);
  let key: Promise<Uint8Array> | undefined;
  return buildDeps(settings, {
    clients: {
      dynamodb: new DynamoDBClient({}),
      sesv2: new SESv2Client({}),
      sfn: new SFNClient({}),
      sns: new SNSClient({}),
    },
    rawMail: new S3RawMailStore(new S3Client({})),
    // Read once per cold start (Powertools caches it as well); a failed read is tried again next call.
    signingKey: () => {
      key ??= signingKeyFromSecret(settings.surveySigningSecretArn).catch((e: unknown) => {
        key = undefined;
        throw e;
      });
      return key;
    },
  });
}

async function signingKeyFromSecret(secretArn: string | undefined): Promise<Uint8Array> {
  const value = secretArn ? await getSecret<string>(secretArn) : undefined;
  if (!value)
    throw new Error(`Invalid configuration: ${settingNames.surveySigningSecretArn} names no secret value`);
  return new TextEncoder().encode(value);
}
