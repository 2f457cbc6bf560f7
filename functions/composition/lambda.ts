import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DiskRawMailStore, S3RawMailStore } from '../adapters/rawMailStore';
import type { Deps } from '../application/deps';
import { type OptionalSetting, settingNames, settingsFromEnv } from '../application/settings';
import { buildDeps } from './buildDeps';

/** A handler's logic, given its dependencies. */
export type HandlerFactory<E, R> = (deps: Deps) => (event: E) => Promise<R>;

/**
 * Where a handler runs, as plain data: on Lambda only the environment; the local stack adds its
 * embedded servers' endpoints, a raw-mail folder and a signing key. Plain data because the local stack
 * hands it to the bundles: every class (SDK clients, errors) is then the bundle's own, so
 * `instanceof` checks inside a bundle see the errors its adapters throw.
 */
export interface Runtime {
  /** Setting values by variable name (`settingNames`): `process.env` on Lambda. */
  env: Record<string, string | undefined>;
  /** SDK client configuration for servers other than AWS's. */
  aws?: {
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    endpoints: { dynamodb: string; sesv2: string; sfn: string };
  };
  /** Raw mail and attachments in this folder (one subfolder per bucket) instead of S3. */
  rawMailDir?: string;
  /** The HMAC key itself instead of the Secrets Manager secret named by the settings. */
  signingKey?: string;
}

/**
 * A handler module's two entry points: the Lambda `handler`, whose dependencies are built from the
 * environment once per cold start (on the first invocation, so that importing the module reads
 * nothing), and `handlerFor`, which builds them for another runtime. `needs`: the optional settings
 * this function cannot work without, checked when the dependencies are built.
 */
export function lambdaEntry<E, R>(create: HandlerFactory<E, R>, needs: readonly OptionalSetting[] = []) {
  let handle: ((event: E) => Promise<R>) | undefined;
  return {
    handler: (event: E): Promise<R> => {
      handle ??= create(depsFor({ env: process.env }, needs));
      return handle(event);
    },
    handlerFor: (runtime: Runtime) => create(depsFor(runtime, needs)),
  };
}

/** The dependencies of a handler in `runtime`: settings validated once, adapters wired by `buildDeps`. */
export function depsFor(runtime: Runtime, needs: readonly OptionalSetting[] = []): Deps {
  const keyGiven = runtime.signingKey !== undefined;
  const settings = settingsFromEnv(
    runtime.env,
    keyGiven ? needs.filter((n) => n !== 'surveySigningSecretArn') : needs,
  );
  const { aws } = runtime;
  const config = (service: keyof NonNullable<Runtime['aws']>['endpoints']) =>
    aws ? { region: aws.region, credentials: aws.credentials, endpoint: aws.endpoints[service] } : {};
  let key: Promise<Uint8Array> | undefined;
  return buildDeps(settings, {
    clients: {
      dynamodb: new DynamoDBClient(config('dynamodb')),
      sesv2: new SESv2Client(config('sesv2')),
      sfn: new SFNClient(config('sfn')),
      // Only with a topic (`ALERT_TOPIC_ARN`); without one, notifications go out as mail.
      sns: new SNSClient(aws ? { region: aws.region, credentials: aws.credentials } : {}),
    },
    rawMail: runtime.rawMailDir
      ? new DiskRawMailStore(runtime.rawMailDir)
      : new S3RawMailStore(new S3Client({})),
    // Read once per cold start (Powertools caches it as well); a failed read is tried again next call.
    signingKey: () => {
      key ??= signingKeyOf(runtime.signingKey, settings.surveySigningSecretArn).catch((e: unknown) => {
        key = undefined;
        throw e;
      });
      return key;
    },
  });
}

async function signingKeyOf(given: string | undefined, secretArn: string | undefined): Promise<Uint8Array> {
  const value = given ?? (secretArn ? await getSecret<string>(secretArn) : undefined);
  if (!value)
    throw new Error(`Invalid configuration: ${settingNames.surveySigningSecretArn} names no secret value`);
  return new TextEncoder().encode(value);
}
