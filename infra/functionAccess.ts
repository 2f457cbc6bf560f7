import type { tableIndexes } from '../functions/adapters/tableSchema';
import { ConfigurationError } from './appContext';

/**
 * Partition-key prefixes of the single table, one per item kind (tableSchema.ts documents each item).
 * IAM restricts item access to them with `dynamodb:LeadingKeys`, which DynamoDB evaluates against the
 * partition key values of every item a request reads or writes.
 */
export const tablePartitions = [
  'COMPLAINT',
  'REF',
  'THREAD',
  'INMAIL',
  'OUTBOUND',
  'OUTMAIL',
  'AUTOMAIL',
  'QUARANTINE',
  'RECURRING',
  'REPORT',
] as const;
export type TablePartition = (typeof tablePartitions)[number];

/**
 * DynamoDB actions on items. There is no IAM action for TransactWriteItems: each item of a transaction
 * is authorized as its own PutItem/UpdateItem/DeleteItem/ConditionCheckItem (the complaint store's
 * transactions are Puts, and an Update for `saveChange`). Scan is absent on purpose: no handler scans the table.
 */
export type TableAction =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'Query'
  | 'ConditionCheckItem';

/** Actions on the items of some partitions. */
export interface TableGrant {
  actions: readonly TableAction[];
  partitions: readonly TablePartition[];
}

/** Areas of the raw-mail bucket: `inbound` is the raw MIME SES stores, `attachments` what intake extracts. */
export type RawMailArea = 'inbound' | 'attachments';

/** What one Lambda function may do; the stack grants exactly this and nothing else. */
export interface FunctionAccess {
  table: readonly TableGrant[];
  /** GSIs the function queries (Query only: indexes are read-only). */
  indexes?: readonly (keyof typeof tableIndexes)[];
  /** Sends mail through SES from the configured sender address. */
  sendsMail?: true;
  /** Publishes team notifications (escalations, manager alerts) to the encrypted topic. */
  publishes?: true;
  rawMail?: {
    read?: readonly RawMailArea[];
    write?: readonly RawMailArea[];
    delete?: readonly RawMailArea[];
  };
  /** Reads the HMAC key of the satisfaction-survey links. */
  readsSurveyKey?: true;
  /** Starts and stops executions and completes callback tasks of the state machine. */
  drivesWorkflow?: true;
  /** Hands released quarantined mail to the intake function (an asynchronous invoke of it alone). */
  invokesIntake?: true;
}

// Building blocks, named after the adapter methods that need them.
/**
 * DynamoComplaintStore get/save: the complaint item with a version condition, and the timeline entries
 * that record the change (a batch after the put, or the same put items in one transaction).
 */
const loadAndSave: TableGrant = {
  actions: ['GetItem', 'PutItem', 'BatchWriteItem'],
  partitions: ['COMPLAINT'],
};
/**
 * DynamoComplaintStore saveChange: a change made from what the workflow state knows is an Update of
 * the complaint item (in the transaction with its audit entry), the only Update of it.
 */
const changeFromKnown: TableGrant = { actions: ['UpdateItem'], partitions: ['COMPLAINT'] };
/**
 * DynamoComplaintStore append (timeline entries outside a state change) and timeline. Entries that name
 * the customer go in one transaction with the check that the complaint still names them (an erasure
 * replaces the address), as does the record of a mail SES took (`MailLedger.completeOutbound`).
 */
const timeline: TableGrant = {
  actions: ['BatchWriteItem', 'PutItem', 'ConditionCheckItem', 'Query'],
  partitions: ['COMPLAINT'],
};
/**
 * mailCustomer: the send-once lease of the mail (OUTMAIL#, put then taken over or completed by update),
 * and the SES message id mapped back to the complaint (OUTBOUND#). The mail's record (`completeOutbound`)
 * puts its timeline entry and checks, in the same transaction, that the complaint still has the address
 * the mail went to: IAM authorizes that ConditionCheck as `ConditionCheckItem` (in `timeline`).
 */
const customerMail: readonly TableGrant[] = [
  timeline,
  { actions: ['PutItem', 'GetItem', 'UpdateItem'], partitions: ['OUTMAIL'] },
  { actions: ['PutItem'], partitions: ['OUTBOUND'] },
];
/**
 * The per-recipient cap of automatic mail (an atomic counter per window), and the address's
 * undeliverable mark read before it (SES feedback).
 */
const automaticMailCap: TableGrant = { actions: ['UpdateItem', 'GetItem'], partitions: ['AUTOMAIL'] };
/**
 * receiveMail (intake, also of the mail the API releases from quarantine): inbound claims and the Message-ID
 * lookup (INMAIL#), threading by token, reference and SES id, new complaints with their thread token and
 * reference, quarantined mail, and the acknowledgement.
 */
const mailIntake: readonly TableGrant[] = [
  loadAndSave,
  ...customerMail,
  automaticMailCap,
  { actions: ['GetItem', 'PutItem', 'Query'], partitions: ['INMAIL'] },
  { actions: ['GetItem', 'PutItem'], partitions: ['THREAD', 'REF', 'OUTBOUND', 'QUARANTINE'] },
  // A bounce mail claims the filing of its bounce on the bounced mail's record (once with the SES event).
  { actions: ['UpdateItem'], partitions: ['OUTBOUND'] },
];

/** investigateOnce: the customer's history (byCustomer) and the recurring-issue window counter. */
const investigation: readonly TableGrant[] = [
  loadAndSave,
  timeline,
  // The window's set, and beyond it a customer's marker with the window's count in one transaction.
  { actions: ['UpdateItem', 'PutItem'], partitions: ['RECURRING'] },
];

/**
 * Every Lambda function of the stack, by name (workflow steps by their key in `workflowSteps`). A
 * function missing here fails the synth: it is never deployed with rights nobody declared.
 */
export const functionAccess = {
  investigate: { table: investigation, indexes: ['byCustomer'] },
  // The acknowledgement is automatic mail: capped per recipient; a linked complaint reads the old one.
  // The same step investigates.
  acknowledge: {
    table: [...investigation, ...customerMail, automaticMailCap],
    indexes: ['byCustomer'],
    sendsMail: true,
  },
  // Tells the agent when a decision stranded by a restarted wait is released.
  awaitPerson: { table: [loadAndSave, changeFromKnown], publishes: true },
  escalate: { table: [loadAndSave], publishes: true },
  warnSla: { table: [loadAndSave] },
  requeue: { table: [loadAndSave], publishes: true },
  // The resolution mail is written by an agent: not automatic, so not capped.
  applyResolution: { table: [loadAndSave, ...customerMail], sendsMail: true },
  contactCustomer: {
    table: [loadAndSave, ...customerMail, automaticMailCap],
    sendsMail: true,
    readsSurveyKey: true,
  },
  close: { table: [loadAndSave, changeFromKnown, ...customerMail, automaticMailCap], sendsMail: true },
  // A step failed for good: the complaint goes to the manager, who is alerted.
  recordFailure: { table: [loadAndSave], publishes: true },
  intake: {
    // A mail released from quarantine: its outcome recorded on the quarantine record, which removes the
    // release's pending mark; the scheduled sweep reads the pending marks (and drops an erased mail's).
    table: [...mailIntake, { actions: ['UpdateItem', 'DeleteItem', 'Query'], partitions: ['QUARANTINE'] }],
    sendsMail: true,
    // Mail threaded into an erased customer's complaint is recorded without it: its raw mail is deleted,
    // and so are its attachments when the erasure came between intake's read and its write.
    rawMail: { read: ['inbound'], write: ['attachments'], delete: ['inbound', 'attachments'] },
    drivesWorkflow: true,
  },
  // SES events: the mail by its SES message id, the complaint's timeline and flag, the address's
  // undeliverable mark (beside its automatic-mail counters), and the quarantine for unknown events.
  mailFeedback: {
    table: [
      loadAndSave,
      timeline,
      // The mail by its SES id; a bounce claims its filing there (once with a bounce mail).
      { actions: ['GetItem', 'UpdateItem'], partitions: ['OUTBOUND'] },
      // The customer's mark is put in one transaction with the check that the complaint still names them.
      { actions: ['PutItem'], partitions: ['AUTOMAIL'] },
      { actions: ['GetItem', 'PutItem'], partitions: ['QUARANTINE'] },
    ],
  },
  // Reads the table's stream through its event source mapping (granted with it), puts on the bus.
  publishEvents: { table: [] },
  // The report counters and the marker of each event counted (one transaction per event).
  projectReports: { table: [{ actions: ['PutItem', 'UpdateItem'], partitions: ['REPORT'] }] },
  // The reply outbox: the complaint and its timeline, and the reply's mail (its send-once lease, taken
  // over once the request's has run out; the SES id record; the timeline entry). Not automatic mail.
  mailOwedReplies: {
    table: [{ actions: ['GetItem'], partitions: ['COMPLAINT'] }, ...customerMail],
    sendsMail: true,
  },
  // Reads every role's queue (the queue index) for the queue depth and oldest-waiting metrics.
  queueMetrics: { table: [], indexes: ['queue'] },
  // Reads the report counters, mails the product and business addresses.
  // The reports, and the week's send-once intent (OUTMAIL#digest-<week>): put, then completed by update.
  weeklyDigest: {
    table: [
      { actions: ['Query'], partitions: ['REPORT'] },
      { actions: ['PutItem', 'GetItem', 'UpdateItem'], partitions: ['OUTMAIL'] },
    ],
    sendsMail: true,
  },
  // The OpenAPI document: generated from code, it needs nothing.
  apiDocs: { table: [] },
  api: {
    table: [
      ...mailIntake,
      // Quarantine release and hand-over; GDPR erasure rewrites claims and quarantined mail, pseudonymises
      // the recurring-issue windows and forgets the automatic-mail counters of the address.
      { actions: ['UpdateItem'], partitions: ['QUARANTINE', 'RECURRING'] },
      // A customer counted beyond a window's set: their marker becomes the pseudonym's.
      { actions: ['PutItem', 'DeleteItem'], partitions: ['RECURRING'] },
      { actions: ['Query', 'DeleteItem'], partitions: ['AUTOMAIL'] },
      // The manager reports read their counters.
      { actions: ['Query'], partitions: ['REPORT'] },
    ],
    // Agent queues (queue), assignee lists and a sender's mail records (byAssignee), a customer's
    // complaints and the quarantine lists (byCustomer).
    indexes: ['byCustomer', 'queue', 'byAssignee'],
    sendsMail: true,
    // GDPR erasure deletes a sender's raw mail and attachments; intake reads and writes them.
    rawMail: { delete: ['inbound', 'attachments'] },
    readsSurveyKey: true,
    drivesWorkflow: true,
    invokesIntake: true,
  },
} as const satisfies Record<string, FunctionAccess>;

/** The declared access of a function; a function nobody declared fails the synth with what to do. */
export function accessOf(name: string): FunctionAccess {
  const access = (functionAccess as Record<string, FunctionAccess>)[name];
  if (!access) {
    throw new ConfigurationError(
      `Lambda function "${name}" has no entry in functionAccess (infra/functionAccess.ts): declare the ` +
        'DynamoDB actions and key prefixes, indexes, mail, notifications and secrets it needs',
    );
  }
  return access;
}

/**
 * The declared grants as few statements as possible: partitions that allow the same actions share one.
 * Each action is allowed on exactly the partitions some grant names.
 */
export function tableStatementsOf(access: FunctionAccess): TableGrant[] {
  const actionsByPartition = new Map<TablePartition, Set<TableAction>>();
  for (const grant of access.table) {
    for (const partition of grant.partitions) {
      const actions = actionsByPartition.get(partition) ?? new Set<TableAction>();
      for (const action of grant.actions) actions.add(action);
      actionsByPartition.set(partition, actions);
    }
  }
  const byActions = new Map<string, TableGrant>();
  for (const partition of tablePartitions) {
    const actions = [...(actionsByPartition.get(partition) ?? [])].sort();
    if (actions.length === 0) continue;
    const key = actions.join();
    const statement = byActions.get(key) ?? { actions, partitions: [] };
    byActions.set(key, { actions, partitions: [...statement.partitions, partition] });
  }
  return [...byActions.values()];
}

/** Every DynamoDB action a function may perform, on items or indexes, sorted (for review and tests). */
export function tableActionsOf(access: FunctionAccess): TableAction[] {
  const actions = new Set<TableAction>(access.table.flatMap((grant) => grant.actions));
  if (access.indexes?.length) actions.add('Query');
  return [...actions].sort();
}
