/**
 * The single-table layout (README: Data), shared by the DynamoDB repository and the CDK table so the two
 * cannot drift. Items:
 * - complaint      PK=COMPLAINT#<id>          SK=META
 * - timeline entry PK=COMPLAINT#<id>          SK=TL#<at>#<entryId>   (messages and audit events, in order)
 * - entry added once PK=COMPLAINT#<id>         SK=TL!<entryId>        (agents' notes: read in time order)
 * - reference      PK=REF#<CMP-XXXXXX>        SK=REF                 (unique: conditional put)
 * - thread token   PK=THREAD#<token>          SK=THREAD
 * - inbound claim  PK=INMAIL#<hash of Message-ID> SK=CLAIM#<hash of dedupe key> (exactly-once intake;
 *                  the partition is the Message-ID index for threading; mailLedger.ts)
 * - raw mail erased PK=INMAIL#<hash of its object key> SK=ERASED (a raw mail deleted on purpose, for a
 *                  redelivery of it to find; mailLedger.ts)
 * - outbound mail  PK=OUTBOUND#<sesMessageId> SK=OUTBOUND             (complaint and mail id; written with
 *                  the send intent's `sent` in one transaction; mailLedger.ts)
 * - send intent    PK=OUTMAIL#<entryId>       SK=OUTMAIL             (send-once lease; mailLedger.ts)
 * - auto-mail cap  PK=AUTOMAIL#<recipient>    SK=WINDOW#<epoch s>    (atomic counter, expires)
 * - undeliverable  PK=AUTOMAIL#<recipient>    SK=UNDELIVERABLE       (SES: hard bounce or complaint)
 * - quarantine     PK=QUARANTINE#<id>         SK=QUARANTINE          (GSI1 overloaded: QUARANTINE#<status>)
 * - recurring      PK=RECURRING#<category>#<window> SK=RECURRING      (string set of the first 100
 *                  customer addresses, and the count of those beyond them)
 * - further customer PK=RECURRING#<category>#<window> SK=CUSTOMER#<address> (a customer counted beyond
 *                  the set, once)
 * - report counter PK=REPORT#<report>[#<group>]  SK=<day, week, week and customer, tier or agent>
 *                  (atomic ADDs; maintained from the domain events, reportStore.ts)
 * - counted event  PK=REPORT#EVENT#<event id>  SK=EVENT              (an event counted once; expires)
 * Inbound claims and quarantined mail overload GSI3 with their sender (SENDER#<address>), so a GDPR
 * erasure finds every mail record of an address; an erased record drops those keys.
 * Sparse GSIs project only items that carry their keys; a closed complaint drops its queue keys.
 */
export const tableKeys = { partitionKey: 'PK', sortKey: 'SK' } as const;

/**
 * The table's change stream carries each item as written: audit items are the outbox of the domain
 * events (functions/application/insights/publishDomainEvents.ts), so only new images are needed.
 */
export const tableStreamView = 'NEW_IMAGE' as const;

/**
 * What a queue page shows of each complaint (the agent console's queue with its at-risk flag, the queue
 * metrics): the queue index projects only these, so every write of a queued complaint copies less into
 * the index and a page reads less (task tokens, proposal, resolution, follow-up and failure details stay
 * in the table; GET /complaints/{id} reads them).
 */
export const queueListAttributes = [
  'id',
  'reference',
  'status',
  'tier',
  'priority',
  'category',
  'customerEmail',
  'customerName',
  'subject',
  'assignee',
  'claimedBy',
  'slaDueAt',
  'sla',
  'waitingFor',
  'waitingSince',
  'investigation',
  'createdAt',
  'updatedAt',
  'version',
] as const;

export const tableIndexes = {
  /** Complaints of a customer, newest first. */
  byCustomer: { name: 'byCustomer', partitionKey: 'GSI1PK', sortKey: 'GSI1SK', projection: 'ALL' },
  /** Open complaints of a tier ordered by SLA due time (the agent queue): the list attributes only. */
  queue: { name: 'queue', partitionKey: 'GSI2PK', sortKey: 'GSI2SK', projection: queueListAttributes },
  /** Complaints assigned to an agent ordered by SLA due time. */
  byAssignee: { name: 'byAssignee', partitionKey: 'GSI3PK', sortKey: 'GSI3SK', projection: 'ALL' },
} as const;

/** Attribute holding an epoch-seconds expiry for items that may expire (DynamoDB TTL in AWS). */
export const ttlAttribute = 'expiresAt';

/** The GSI3 partition of a sender's mail records (the address trimmed and lower-cased). */
export const senderPartition = (sender: string) => `SENDER#${sender.trim().toLowerCase()}`;

/** Index keys that file a mail record (inbound claim, quarantined mail) under its sender's address. */
export function senderIndexKeys(sender: string, at: string, id: string): Record<string, string> {
  if (!sender.trim()) return {};
  return {
    [tableIndexes.byAssignee.partitionKey]: senderPartition(sender),
    [tableIndexes.byAssignee.sortKey]: `${at}#${id}`,
  };
}

/** Index attributes a mail record may carry, stripped from the domain record. */
export const senderIndexAttributes = [
  tableIndexes.byAssignee.partitionKey,
  tableIndexes.byAssignee.sortKey,
] as const;
