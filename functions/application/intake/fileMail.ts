import { createHash } from 'node:crypto';
import type { OpenedFromMail } from '../../adapters/ports';
import type { Complaint, MessageAttachment, MessageEntry } from '../../core/complaint';
import { erasedArrival, eraseInboundClaim, isErased, isPseudonym } from '../../core/erasure';
import { inboundMessage } from '../../core/intake';
import { readBounce } from '../../core/mail/bounce';
import type { InboundClaim, InboundDelivery } from '../../core/mail/filing';
import type { InboundMail } from '../../core/mail/inboundMail';
import { automaticMailBlockedFor, ownMailOf } from '../../core/mail/loopGuard';
import { handleCustomerReply } from '../customerReplies';
import type { Deps } from '../deps';
import { required } from '../settings';
import { openAndStart } from './openComplaint';

export interface Filing {
  mail: InboundMail;
  claim: InboundClaim;
  delivery: InboundDelivery;
  automated: string[];
  /**
   * The complaint as this delivery's filing decision read it (`planFiling`), when it did: automated and
   * bounce mail is filed on it instead of a second read. Their write, an append, relies on no version,
   * only on the complaint still naming the customer it was read with (which the append checks); a
   * reply is filed on a read of its own, since the lifecycle's change is conditional on the version it
   * reads (a read before the claim's write would more often be one behind).
   */
  read?: Complaint;
}

/**
 * Carries a claim out. Every step may run again on a redelivery and lands on the same keys.
 *
 * `unclaimed` (a first-seen new mail whose claim is not written yet): the complaint is opened together
 * with the claim in one transaction; `claimed` or `refused` when that was refused (see
 * `ComplaintStore.openFromMail`), and the caller files the usual way. Otherwise `filed`, or `erased`
 * when it was filed the erased way (`fileErased`), whatever its claim's disposition says.
 */
export async function fileMail(
  deps: Deps,
  filing: Filing,
  unclaimed = false,
): Promise<'filed' | 'erased' | Exclude<OpenedFromMail, 'opened'>> {
  const { claim, mail, automated } = filing;
  const { store } = deps;
  const isNew = claim.disposition === 'new' || claim.disposition === 'linked';
  // Mail threaded into a complaint reads it (or takes the read its filing decision just made): its
  // customer may have been erased since the mail was claimed (a redelivery of a mail filed before the
  // erasure), and then it is filed the erased way too.
  const threaded =
    isNew || claim.disposition === 'erased'
      ? undefined
      : (reusableRead(filing) ?? (await store.get(claim.complaintId)));
  const erased = claim.disposition === 'erased' || (threaded !== undefined && isErased(threaded));
  // An erased complaint keeps no attachments of its mail: they are not stored.
  const attachments = erased ? [] : await storeAttachments(deps, claim, mail);
  const message = inboundMessage({
    id: isNew ? `${claim.complaintId}-m0` : `${claim.complaintId}-in-${shortHash(claim.dedupeKey)}`,
    mail,
    sender: claim.sender,
    ...(claim.senderInvalid ? { senderInvalid: claim.senderInvalid } : {}),
    receivedAt: new Date(claim.receivedAt),
    rawMailKey: claim.rawMailKey,
    supportAddress: deps.settings.supportAddress,
    attachments,
    automated,
    maxTextBytes: deps.settings.maxTextBytes,
    ...(claim.failedSesMessageId
      ? { deliveryFailure: deliveryFailureOf(mail, claim.failedSesMessageId) }
      : {}),
  });
  if (erased) return fileErased(deps, filing, message);
  // The complaint was read before its customer's erasure saved it, maybe: the mail is written only
  // while the complaint still names the customer it was read with (a check in the same write), and
  // once it does not, the erasure's last pass may be over, so the mail is filed the erased way.
  const customer = threaded?.customerEmail;
  switch (claim.disposition) {
    case 'new':
    case 'linked': {
      const opened = await openAndStart(deps, filing, message, unclaimed);
      return opened === 'opened' ? 'filed' : opened;
    }
    case 'reply': {
      const complaint = threaded;
      if (!complaint) throw new Error(`Complaint ${claim.complaintId} not found`);
      // The first delivery (and its retries) hands the reply over; a duplicate delivery only does when
      // the reply is not even on the timeline yet, so the lifecycle sees one reply, not five.
      const firstDelivery = claim.sesMessageId === filing.delivery.sesMessageId;
      if (firstDelivery || !(await store.timeline(complaint.id)).some((e) => e.id === message.id)) {
        const receivedAt = new Date(claim.receivedAt);
        const outcome = await handleCustomerReply(deps, complaint, message, receivedAt, deps.settings.policy);
        if (outcome === 'erased') return fileErased(deps, filing, message);
        deps.logger.info('customer reply filed', { complaintId: complaint.id, outcome });
      }
      return 'filed';
    }
    case 'bounce':
      // The SES event of the same bounce may have been filed first: the bounce is filed once (the raw
      // mail and the claim keep this copy).
      if (
        claim.failedSesMessageId &&
        !(await deps.ledger.claimBounceFiling(claim.failedSesMessageId, message.id))
      ) {
        deps.logger.info('bounce mail not filed: its SES bounce event was', {
          complaintId: claim.complaintId,
          sesMessageId: claim.failedSesMessageId,
        });
        return 'filed';
      }
      if (!(await store.append(claim.complaintId, [message], customer)))
        return fileErased(deps, filing, message);
      return 'filed';
    case 'automated':
      // Stored only: automated mail must not resume or reopen anything, nor be answered.
      if (!(await store.append(claim.complaintId, [message], customer)))
        return fileErased(deps, filing, message);
      return 'filed';
    case 'erased':
      // Filed above.
      return 'erased';
  }
}

/**
 * The decision's read of the complaint, for automated and bounce mail filed on the complaint it read
 * (the claim that stands may be another delivery's, on another complaint since a merge).
 */
function reusableRead({ claim, read }: Filing): Complaint | undefined {
  const storedOnly = claim.disposition === 'automated' || claim.disposition === 'bounce';
  return storedOnly && read?.id === claim.complaintId ? read : undefined;
}

/**
 * Mail threaded into a complaint whose customer was erased (a bounce of the acknowledgement, their
 * out-of-office, a reply on the thread): recorded as the erasure leaves a message (that it arrived, when,
 * what it was; no subject, text, attachment or address: `erasedArrival`), its claim pseudonymised, its
 * raw mail deleted. Nothing is handed to the lifecycle: no resume, reopening or acknowledgement.
 * Each step lands on the same keys again on a redelivery; the raw mail goes last, so a delivery that
 * fails before is retried with it, and one that comes after finds its deletion recorded
 * (`markRawMailErased`: `receiveMail` answers `raw_mail_erased`).
 */
async function fileErased(deps: Deps, filing: Filing, message: MessageEntry): Promise<'erased'> {
  const { claim, delivery } = filing;
  const own = ownMailOf(deps.settings);
  // The system's own addresses and robots' (MAILER-DAEMON, postmaster, noreply) name no person.
  const keep = (address: string) => automaticMailBlockedFor(address, own) !== undefined;
  // A bounce is filed once with its SES event, which the erased complaint records erased as well.
  const file =
    !claim.failedSesMessageId || (await deps.ledger.claimBounceFiling(claim.failedSesMessageId, message.id));
  if (file) await deps.store.append(claim.complaintId, [erasedArrival(message, keep)]);
  // The claim stays under the mail's dedupe key (a redelivery finds it), its sender pseudonymised as an
  // erasure leaves claims; once only, since the erased claim's dedupe key no longer names its key.
  if (claim.sender.includes('@') && !isPseudonym(claim.sender) && !keep(claim.sender)) {
    await deps.ledger.replaceErasedClaim(claim, eraseInboundClaim(claim, claim.sender));
  }
  const bucket = required(deps.settings, 'rawMailBucket');
  // Stored when the complaint was read before its erasure (or by a delivery that did, and died): every
  // key this mail's attachments are stored under, whether there or not.
  for (const key of attachmentKeys(deps.settings, claim, filing.mail)) await deps.rawMail.delete(bucket, key);
  const erasedAt = deps.clock().toISOString();
  for (const key of new Set([delivery.rawMailKey, claim.rawMailKey])) {
    // Recorded first: a delivery of this mail that comes again finds the record, not a missing object.
    await deps.ledger.markRawMailErased(key, { erasedAt, complaintId: claim.complaintId });
    await deps.rawMail.delete(bucket, key);
  }
  deps.logger.info('mail on an erased complaint recorded without personal data', {
    complaintId: claim.complaintId,
    sesMessageId: delivery.sesMessageId,
  });
  return 'erased';
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
  deps: Deps,
  claim: InboundClaim,
  mail: InboundMail,
): Promise<MessageAttachment[]> {
  const bucket = required(deps.settings, 'rawMailBucket');
  const keys = attachmentKeys(deps.settings, claim, mail);
  return Promise.all(
    mail.attachments.map(async (a, index) => {
      const key = keys[index] as string;
      await deps.rawMail.put(bucket, key, a.content, a.contentType);
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

/** Where a mail's attachments are stored, in their order: under the first delivery's SES id. */
function attachmentKeys(settings: Deps['settings'], claim: InboundClaim, mail: InboundMail): string[] {
  const prefix = `${settings.attachmentPrefix}${claim.sesMessageId}/`;
  return mail.attachments.map((a, index) => `${prefix}${index + 1}-${objectName(a.filename)}`);
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
