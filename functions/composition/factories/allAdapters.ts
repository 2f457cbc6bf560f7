import type { AdapterFactories } from '../awsAdapters';
import { complaintStore } from './complaintStore';
import { intakeFunction } from './intakeFunction';
import { rawMailStore } from './rawMailStore';
import { secretSigningKey } from './secretSigningKey';
import { sesMailer } from './sesMailer';
import { sfnWorkflow } from './sfnWorkflow';
import { teamNotifier } from './teamNotifier';

/**
 * Every adapter but the events' bus: for the function that uses them all (the API). The table's
 * repositories besides the complaint store are built on their first call (most routes use none).
 */
export const allAdapters: Omit<AdapterFactories, 'events' | 'ledger' | 'quarantine' | 'reports'> = {
  store: complaintStore,
  mailer: sesMailer,
  notifier: teamNotifier,
  workflow: sfnWorkflow,
  intake: intakeFunction,
  rawMail: rawMailStore,
  signingKey: secretSigningKey,
};
