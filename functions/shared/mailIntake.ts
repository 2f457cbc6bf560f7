import { createHash, randomBytes } from 'node:crypto';
import type { ComplaintStore } from '../adapters/ports';
import type { AuditEntry, Complaint, MessageAttachment } from '../core/complaint';
import { fitText, inboundMessage, openComplaint } from '../core/intake';
import { filedSender, normalizeAddress } from '../core/mail/addresses';
import { isBounce, isDelayWarning, readBounce } from '../core/mail/bounce';
import { contentDigest, divergentDedupeKey } from '../core/mail/dedupe';
import type { InboundClaim, InboundDelivery, IntakeOutcome, QuarantinedMail } from '../core/mail/filing';
import { type InboundMail, parseInboundMail, UnparseableMailError } from '../core/mail/inboundMail';
import { automatedMailReasons } from '../core/mail/loopGuard';
import {
  chooseThread,
  referencedMessageIds,
  replyTokensIn,
  routeThreadedMail,
  sesMessageIdOf,
  subjectTagReferences,
  type ThreadDecision,
  type ThreadSignal,
} from '../core/mail/threading';
import { type QuarantineReason, verdictQuarantineReasons } from '../core/mail/verdicts';
import { complaintIdFor, referenceFor } from '../core/reference';
import { type Config, required } from './config';
import { handleCustomerReply, withinReopenWindow } from './customerReplies';
import { logger } from './logger';
import type { MailServices } from './mailServices';
import type { Services } from './services';

/** What intake needs: the shared adapters, the email channel's, and the validated configuration. */
export interface MailIntakeDeps {
  services: Pick<Services, 'store' | 'mailer' | 'workflow'>;
  mail: MailServices;
  config: Pick<Config, 'supportAddress' | 'mailDomain' | 'rawMailBucket' | 'policy'>;
}

/** References of a mail looked up for threading: the newest ones (References can list a whole thread). */
const maxReferenceLookups = 20;
/** A merged complaint forwards to the one it was merged into; bounded against cycles. */
const maxMergeHops = 5;

/**
 * Files one received mail: quarantine, a new complaint, a reply, stored automated mail or a bounce.
 *
 * Exactly once under at-least-once delivery: a redelivered mail finds the claim of its dedupe key and
 * repeats the filing steps with the first delivery's decision; every write is idempotent (deterministic
 * keys, conditional creates), the acknowledgement is sent once per complaint (send-once intent) and the
 * execution is named after the complaint.
 *
 * `release`: a manager released the mail from quarantine; verdicts and the other quarantine rules are
 * bypassed and unreadable mail is filed as a placeholder pointing at its raw MIME.
 */
export async function receiveMail(
  deps: MailIntakeDeps,
  delivery: InboundDelivery,
  options: { release?: boolean } = {},
): Promise<IntakeOutcome> {
  const bucket = required(deps.config.rawMailBucket, 'RAW_MAIL_BUCKET');
  const raw = await deps.mail.rawMail.get(bucket, delivery.rawMailKey);
  const parsed = await parseInboundMail(raw).catch((e: unknown) => {
    if (e instanceof UnparseableMailError) return undefined;
    throw e;
  });
  const readable = parsed && !isUnreadable(parsed);
  if (!readable && !options.release) {
    const reason = parsed
      ? 'No sender, text or attachments could be read from the MIME structure'
      : 'Beyond the MIME parser’s limits (headers over 1 MiB or more than 1000 parts)';
    return hold(deps, delivery, placeholderFor(raw, delivery), [{ code: 'unreadable', detail: reason }]);
  }
  const mail = readable ? parsed : placeholderFor(raw, delivery);
  const automated = automatedMailReasons({
    headers: mail.headers,
    from: mail.from?.address,
    envelopeSender: delivery.source,
  });

  const claimed = await claimMail(deps, delivery, mail, automated, options.release === true);
  if ('held' in claimed) return claimed.held;
  await fileMail(deps, { mail, claim: claimed.claim, delivery, automated });
  return { disposition: claimed.claim.disposition, complaintId: claimed.claim.complaintId };
}

/**
 * The claim this mail is filed under: the first delivery's, or a new one after the quarantine rules and
 * the filing decision. The dedupe key is tried as is, then with the content digest appended: the same
 * sender reusing a Message-ID for other content (a broken client) is filed as a mail of its own, also
 * when both arrive at once and the other one's claim won the first key.
 */
async function claimMail(
  deps: MailIntakeDeps,
  delivery: InboundDelivery,
  mail: InboundMail,
  automated: string[],
  release: boolean,
): Promise<{ claim: InboundClaim } | { held: IntakeOutcome }> {
  const keys = [mail.dedupeKey, divergentDedupeKey(mail.dedupeKey, mail.contentDigest)];
  for (const dedupeKey of keys) {
    let claim = await deps.mail.ledger.findInboundClaim({ dedupeKey, messageId: mail.messageId });
    if (!claim) {
      if (!release) {
        const reasons = verdictQuarantineReasons(delivery.verdicts, {
          ...(delivery.dmarcPolicy ? { dmarcPolicy: delivery.dmarcPolicy } : {}),
          hasAttachments: mail.attachments.length > 0,
        });
        if (reasons.length > 0) return { held: await hold(deps, delivery, mail, reasons) };
      }
      const base = {
        dedupeKey,
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
        ...filedSender(mail, delivery.source),
        receivedAt: delivery.receivedAt,
        rawMailKey: delivery.rawMailKey,
        sesMessageId: delivery.sesMessageId,
        contentDigest: mail.contentDigest,
      };
      const planned = await planFiling(
        deps,
        { mail, base, automated, recipients: delivery.recipients },
        release,
      );
      if (!planned) {
        const detail = 'A delivery status notification that matches none of our outbound mails';
        return { held: await hold(deps, delivery, mail, [{ code: 'unmatched_bounce', detail }]) };
      }
      claim = await deps.mail.ledger.claimInbound(planned);
    }
    if (claim.contentDigest === mail.contentDigest) return { claim };
    logger.warn('Message-ID reused with different content; filed separately', {
      dedupeKey,
      sesMessageId: delivery.sesMessageId,
    });
  }
  // The second key carries this mail's digest, so its claim always matches.
  throw new Error(`No claim matches the content of ${delivery.rawMailKey}`);
}

/** Mail with nothing a person could act on: no sender, no text, no attachments (garbage bytes). */
function isUnreadable(mail: InboundMail): boolean {
  return !mail.from && mail.text.trim() === '' && !mail.html && mail.attachments.length === 0;
}

/** Stands in for a mail no parser can read: the envelope sender and a pointer to the raw MIME. */
function placeholderFor(raw: Buffer, delivery: InboundDelivery): InboundMail {
  const digest = contentDigest(raw);
  const sender = normalizeAddress(delivery.source);
  return {
    dedupeKey: `sha256:${digest}`,
    contentDigest: digest,
    from: sender ? { address: sender } : undefined,
    to: [],
    cc: [],
    subject: '(unreadable mail)',
    text: `This mail could not be read. Its raw MIME (${raw.length} bytes) is kept as ${delivery.rawMailKey}.`,
    references: [],
    headers: { 'return-path': `<${delivery.source.toLowerCase()}>` },
    attachments: [],
    sizeBytes: raw.length,
  };
}

async function hold(
  deps: MailIntakeDeps,
  delivery: InboundDelivery,
  mail: InboundMail,
  reasons: QuarantineReason[],
): Promise<IntakeOutcome> {
  const held: QuarantinedMail = {
    // One record per mail, not per delivery: a redelivered spam does not show up twice.
    id: complaintIdFor(`quarantine|${mail.dedupeKey}`),
    status: 'quarantined',
    reasons,
    delivery,
    summary: {
      ...(mail.from ? { from: mail.from.address } : {}),
      to: mail.to,
      subject: mail.subject,
      ...(mail.messageId ? { messageId: mail.messageId } : {}),
      ...(mail.date ? { date: mail.date } : {}),
      sizeBytes: mail.sizeBytes,
      attachments: mail.attachments.map((a) => ({
        ...(a.filename ? { filename: a.filename } : {}),
        contentType: a.contentType,
        size: a.size,
      })),
      preview: fitText(mail.text, 1000, delivery.rawMailKey),
    },
    quarantinedAt: delivery.receivedAt,
  };
  const stored = await deps.mail.quarantine.hold(held);
  logger.warn('inbound mail quarantined', {
    quarantineId: stored.id,
    reasons: stored.reasons,
    rawMailKey: delivery.rawMailKey,
  });
  return { disposition: 'quarantined', quarantineId: stored.id, reasons: stored.reasons };
}

type ClaimBase = Omit<InboundClaim, 'complaintId' | 'disposition'>;

/**
 * Decides where a first-seen mail goes. Undefined for a failure report that matches none of our mails
 * (backscatter of forged mail), unless a manager released it.
 */
async function planFiling(
  deps: MailIntakeDeps,
  input: { mail: InboundMail; base: ClaimBase; automated: string[]; recipients: string[] },
  released: boolean,
): Promise<InboundClaim | undefined> {
  const { mail, base, automated } = input;
  const { store } = deps.services;
  if (isBounce(mail)) {
    const report = readBounce(mail);
    for (const id of report.originalMessageIds) {
      const sesMessageId = sesMessageIdOf(id);
      const complaintId = sesMessageId ? await store.findIdByOutbound(sesMessageId) : undefined;
      if (!complaintId || !sesMessageId) continue;
      // A delay warning is stored like any automated mail; only a failure marks the delivery failed.
      return report.failed
        ? { ...base, complaintId, disposition: 'bounce', failedSesMessageId: sesMessageId }
        : { ...base, complaintId, disposition: 'automated' };
    }
    if (!released && !isDelayWarning(report)) return undefined;
  }
  // The envelope recipients come first: a reply-to token survives there even when headers are rewritten.
  const decision = await findThread(deps, mail, base.sender, [...input.recipients, ...mail.to, ...mail.cc]);
  const newComplaint = {
    ...base,
    complaintId: complaintIdFor(base.dedupeKey),
    threadToken: newThreadToken(),
  };
  if (!decision.thread) return { ...newComplaint, disposition: 'new' };
  const complaint = await followMerges(store, decision.complaintId);
  const route = routeThreadedMail(complaint, {
    automated: automated.length > 0,
    withinReopenWindow: withinReopenWindow(complaint, new Date(base.receivedAt), deps.config.policy),
  });
  return route === 'linked'
    ? { ...newComplaint, disposition: 'linked', linkedTo: complaint.id }
    : { ...base, complaintId: complaint.id, disposition: route };
}

/** Unguessable token of the reply-to address `support+<token>@domain` (96 bits). */
const newThreadToken = () => randomBytes(12).toString('base64url').toLowerCase();

/** Looks the threading signals up kind by kind, strongest first, and stops at the first that decides. */
async function findThread(
  deps: MailIntakeDeps,
  mail: InboundMail,
  sender: string,
  addresses: string[],
): Promise<ThreadDecision> {
  const { store } = deps.services;
  const lookups: (() => Promise<ThreadSignal[]>)[] = [
    async () => {
      const tokens = replyTokensIn(addresses, deps.config.supportAddress);
      const ids = await Promise.all(tokens.map((t) => store.findIdByThreadToken(t)));
      return ids.flatMap((complaintId, rank) =>
        complaintId ? [{ kind: 'replyToken', complaintId, rank }] : [],
      );
    },
    async () => {
      const refs = referencedMessageIds(mail).slice(0, maxReferenceLookups);
      const ids = await Promise.all(
        refs.map(async (ref) => {
          const sesMessageId = sesMessageIdOf(ref);
          const outbound = sesMessageId ? await store.findIdByOutbound(sesMessageId) : undefined;
          return outbound ?? (await deps.mail.ledger.findIdByInboundMessageId(ref));
        }),
      );
      return ids.flatMap((complaintId, rank) =>
        complaintId ? [{ kind: 'messageReference', complaintId, rank }] : [],
      );
    },
    async () => {
      const tagged = await Promise.all(
        subjectTagReferences(mail.subject).map(async (reference) => {
          const id = await store.findIdByReference(reference);
          return id ? store.get(id) : undefined;
        }),
      );
      return tagged.flatMap((c, rank) =>
        c ? [{ kind: 'subjectTag', complaintId: c.id, rank, customerEmail: c.customerEmail }] : [],
      );
    },
  ];
  for (const lookup of lookups) {
    const decision = chooseThread(sender, await lookup());
    if (decision.thread) return decision;
  }
  return { thread: false };
}

async function followMerges(store: ComplaintStore, id: string): Promise<Complaint> {
  let complaint = await store.get(id);
  for (let hop = 0; complaint?.closure?.mergedInto && hop < maxMergeHops; hop++) {
    complaint = (await store.get(complaint.closure.mergedInto)) ?? complaint;
  }
  if (!complaint) throw new Error(`Threaded complaint ${id} not found`);
  return complaint;
}

interface Filing {
  mail: InboundMail;
  claim: InboundClaim;
  delivery: InboundDelivery;
  automated: string[];
}

/** Carries a claim out. Every step may run again on a redelivery and lands on the same keys. */
async function fileMail(deps: MailIntakeDeps, filing: Filing): Promise<void> {
  const { claim, mail, automated } = filing;
  const { store } = deps.services;
  const attachments = await storeAttachments(deps, claim, mail);
  const isNew = claim.disposition === 'new' || claim.disposition === 'linked';
  const message = inboundMessage({
    id: isNew ? `${claim.complaintId}-m0` : `${claim.complaintId}-in-${shortHash(claim.dedupeKey)}`,
    mail,
    sender: claim.sender,
    ...(claim.senderInvalid ? { senderInvalid: claim.senderInvalid } : {}),
    receivedAt: new Date(claim.receivedAt),
    rawMailKey: claim.rawMailKey,
    supportAddress: deps.config.supportAddress,
    attachments,
    automated,
    maxTextBytes: deps.mail.settings.maxTextBytes,
    ...(claim.disposition === 'bounce' && claim.failedSesMessageId
      ? { deliveryFailure: deliveryFailureOf(mail, claim.failedSesMessageId) }
      : {}),
  });
  switch (claim.disposition) {
    case 'new':
    case 'linked':
      return openAndStart(deps, filing, message);
    case 'reply': {
      const complaint = await store.get(claim.complaintId);
      if (!complaint) throw new Error(`Complaint ${claim.complaintId} not found`);
      // The first delivery (and its retries) hands the reply over; a duplicate delivery only does when
      // the reply is not even on the timeline yet, so the lifecycle sees one reply, not five.
      const firstDelivery = claim.sesMessageId === filing.delivery.sesMessageId;
      if (firstDelivery || !(await store.timeline(complaint.id)).some((e) => e.id === message.id)) {
        const receivedAt = new Date(claim.receivedAt);
        const outcome = await handleCustomerReply(
          deps.services,
          complaint,
          message,
          receivedAt,
          deps.config.policy,
        );
        logger.info('customer reply filed', { complaintId: complaint.id, outcome });
      }
      return;
    }
    case 'automated':
    case 'bounce':
      // Stored only: automated mail must not resume or reopen anything, nor be answered.
      return store.append(claim.complaintId, [message]);
  }
}

async function openAndStart(
  deps: MailIntakeDeps,
  filing: Filing,
  message: ReturnType<typeof inboundMessage>,
): Promise<void> {
  const { claim, mail } = filing;
  const { store, workflow } = deps.services;
  const previous = claim.linkedTo ? await store.get(claim.linkedTo) : undefined;
  const opened = openComplaint({
    id: claim.complaintId,
    reference: await reserveReference(store, claim.complaintId),
    threadToken: required(claim.threadToken, 'threadToken of a new complaint'),
    message,
    ...(mail.from?.name ? { customerName: mail.from.name } : {}),
    ...(previous ? { linkedTo: previous.id } : {}),
  });
  const { complaint } = await store.create(opened.complaint, opened.entries);
  if (previous) await store.append(previous.id, [linkNote(previous, complaint, claim.receivedAt)]);
  // The acknowledgement is the workflow's first step: whatever becomes of the mail, the complaint is
  // investigated and queued. The execution is named after the complaint, so a redelivery starts nothing.
  await workflow.start(complaint.id, { complaintId: complaint.id });
}

/** On the closed complaint: where its late reply went (an audit note, no state change). */
function linkNote(previous: Complaint, linked: Complaint, at: string): AuditEntry {
  return {
    kind: 'audit',
    id: `${previous.id}-linked-${linked.id}`,
    at,
    action: 'linkedComplaintOpened',
    actor: { kind: 'system', id: 'intake' },
    toStatus: previous.status,
    version: previous.version,
    details: { linkedComplaintId: linked.id, reference: linked.reference },
  };
}

function deliveryFailureOf(mail: InboundMail, sesMessageId: string) {
  const report = readBounce(mail);
  return {
    sesMessageId,
    ...(report.recipient ? { recipient: report.recipient } : {}),
    ...(report.status ? { status: report.status } : {}),
    ...(report.diagnostic ? { diagnostic: report.diagnostic } : {}),
  };
}

/**
 * Stores the attachments beside the raw mail, under the first delivery's SES id: a redelivery writes the
 * same keys with the same bytes.
 */
async function storeAttachments(
  deps: MailIntakeDeps,
  claim: InboundClaim,
  mail: InboundMail,
): Promise<MessageAttachment[]> {
  const bucket = required(deps.config.rawMailBucket, 'RAW_MAIL_BUCKET');
  const prefix = `${deps.mail.settings.attachmentPrefix}${claim.sesMessageId}/`;
  return Promise.all(
    mail.attachments.map(async (a, index) => {
      const key = `${prefix}${index + 1}-${objectName(a.filename)}`;
      await deps.mail.rawMail.put(bucket, key, a.content, a.contentType);
      return {
        ...(a.filename ? { filename: a.filename } : {}),
        contentType: a.contentType,
        size: a.size,
        checksum: a.checksum,
        key,
      };
    }),
  );
}

/** A file name safe in an S3 key and on disk; the original name stays in the timeline entry. */
function objectName(filename: string | undefined): string {
  const safe = (filename ?? '')
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 100);
  return safe || 'attachment';
}

const shortHash = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);

/** Finds a free reference: deterministic candidates per complaint, uniqueness by conditional write. */
async function reserveReference(store: ComplaintStore, complaintId: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const reference = referenceFor(complaintId, attempt);
    if (await store.reserveReference(reference, complaintId)) return reference;
  }
  throw new Error(`No free reference found for complaint ${complaintId}`);
}
