import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { LambdaIntakeFunction } from '../adapters/intakeFunction';
import { SesMailer } from '../adapters/mailer';
import { SnsNotifier } from '../adapters/notifier';
import { DiskRawMailStore, S3RawMailStore } from '../adapters/rawMailStore';
import { SfnWorkflowClient } from '../adapters/workflowClient';
import { required, type Settings, settingNames } from '../application/settings';
import type { ServiceAdapters } from './buildDeps';
import { clientConfig, type Runtime } from './lambda';

/** What an adapter is built from: the validated settings and the runtime (endpoints, folders, keys). */
export interface AdapterContext {
  settings: Settings;
  runtime: Runtime;
}

/**
 * How a function builds each adapter it uses. A handler module names its factories, so that its bundle
 * holds only the SDK clients those import (esbuild drops the rest: the SDK packages have no side effects).
 */
export type AdapterFactories = {
  [K in keyof ServiceAdapters]-?: (context: AdapterContext) => NonNullable<ServiceAdapters[K]>;
};

/** Customer mail and agent replies through SES. */
export const sesMailer = ({ settings, runtime }: AdapterContext) =>
  new SesMailer({
    from: settings.senderAddress,
    client: new SESv2Client(clientConfig(runtime, 'sesv2')),
    ...(settings.sesConfigurationSet ? { configurationSet: settings.sesConfigurationSet } : {}),
  });

/** Team notifications on the SNS topic (`ALERT_TOPIC_ARN`), in every runtime. */
export const teamNotifier = ({ settings, runtime }: AdapterContext) =>
  settings.alertTopicArn
    ? new SnsNotifier(settings.alertTopicArn, new SNSClient(clientConfig(runtime, 'sns')))
    : { notify: noTopic };

/** Fails the notification of a function deployed without the topic's ARN. */
const noTopic = (): never => {
  throw new Error(`Invalid configuration: this function has no ${settingNames.alertTopicArn}`);
};

/** Fails the call that needs the state machine in a function deployed without its ARN. */
const noWorkflow = (): never => {
  throw new Error(`Invalid configuration: this function has no ${settingNames.stateMachineArn}`);
};

/** Executions of the complaint state machine (`STATE_MACHINE_ARN`). */
export const sfnWorkflow = ({ settings, runtime }: AdapterContext) =>
  settings.stateMachineArn
    ? new SfnWorkflowClient(settings.stateMachineArn, new SFNClient(clientConfig(runtime, 'sfn')))
    : { start: noWorkflow, stop: noWorkflow, succeed: noWorkflow, fail: noWorkflow };

/** The intake function (`INTAKE_FUNCTION_NAME`), invoked asynchronously. */
export const intakeFunction = ({ settings, runtime }: AdapterContext) =>
  new LambdaIntakeFunction(
    required(settings, 'intakeFunctionName'),
    new LambdaClient(clientConfig(runtime, 'lambda')),
  );

/** Raw mail and attachments in S3, or in the runtime's folder. */
export const rawMailStore = ({ runtime }: AdapterContext) =>
  runtime.rawMailDir ? new DiskRawMailStore(runtime.rawMailDir) : new S3RawMailStore(new S3Client({}));

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
  const value = given ?? (secretArn ? await getSecret<string>(secretArn) : undefined);
  if (!value)
    throw new Error(`Invalid configuration: ${settingNames.surveySigningSecretArn} names no secret value`);
  return new TextEncoder().encode(value);
}

/** Every adapter: for a runtime that serves all functions' needs at once (the local stack's insights). */
export const allAdapters: AdapterFactories = {
  mailer: sesMailer,
  notifier: teamNotifier,
  workflow: sfnWorkflow,
  intake: intakeFunction,
  rawMail: rawMailStore,
  signingKey: secretSigningKey,
};
