import type { AdapterFactories } from '../awsAdapters';
import { intakeFunction } from './intakeFunction';
import { rawMailStore } from './rawMailStore';
import { secretSigningKey } from './secretSigningKey';
import { sesMailer } from './sesMailer';
import { sfnWorkflow } from './sfnWorkflow';
import { teamNotifier } from './teamNotifier';

/** Every adapter: for a function that uses them all (the API) and the local stack's insights. */
export const allAdapters: AdapterFactories = {
  mailer: sesMailer,
  notifier: teamNotifier,
  workflow: sfnWorkflow,
  intake: intakeFunction,
  rawMail: rawMailStore,
  signingKey: secretSigningKey,
};
