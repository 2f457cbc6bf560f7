import type { Complaint } from '../../core/complaint';
import { normalizeAddress } from '../../core/mail/addresses';
import { contentDigest, divergentDedupeKey } from '../../core/mail/dedupe';
import type { InboundClaim, InboundDelivery, IntakeOutcome } from '../../core/mail/filing';
import { type InboundMail, parseInboundMail, UnparseableMailError } from '../../core/mail/inboundMail';
import { automatedMailReasons, ownMailOf } from '../../core/mail/loopGuard';
import { filedSender } from '../../core/mail/sender';
import { verdictQuarantineReasons } from '../../core/mail/verdicts';
import type { Deps } from '../deps';
import { required } from '../settings';
import { fileMail } from './fileMail';
import { planFiling } from './planFiling';
import { quarantineMail } from './quarantineMail';

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
  deps: Deps,
  delivery: InboundDelivery,
  options: { release?: boolean } = {},
): Promise<IntakeOutcome> {
  const bucket = required(deps.settings, 'rawMailBucket');
  let raw: Buffer;
  try {
    raw = await deps.rawMail.get(bucket, delivery.rawMailKey);
  } catch (e) {
    // Deleted on purpose after it was filed (an erasure): this delivery came again, nothing is left to
    // do. Asked whatever the error: S3 answers a missing object with 403, not 404, to a role without
    // s3:ListBucket, which intake does not have. A raw mail missing otherwise fails the delivery, which
    // is retried and then dead-lettered.
    const erased = await deps.ledger.findRawMailErasure(delivery.rawMailKey);
    if (!erased) throw e;
    deps.logger.info('delivery of an erased mail ignored', {
      sesMessageId: delivery.sesMessageId,
      ...erased,
    });
    return { disposition: 'raw_mail_erased', ...erased };
  }
  let beyondLimits: UnparseableMailError | undefined;
  const parsed = await parseInboundMail(raw).catch((e: unknown) => {
    if (!(e instanceof UnparseableMailError)) throw e;
    beyondLimits = e;
    return undefined;
  });
  const readable = parsed && !isUnreadable(parsed);
  if (!readable && !options.release) {
    // The limit the mail went past, as the parser names it (too many parts, nesting, header size).
    const reason = parsed
      ? 'No sender, text or attachments could be read from the MIME structure'
      : `Beyond the MIME parser’s limits: ${beyondLimits?.message}`;
    return quarantineMail(deps, delivery, placeholderFor(raw, delivery), [
      { code: 'unreadable', detail: reason },
    ]);
  }
  const mail = readable ? parsed : placeholderFor(raw, delivery);
  const automated = automatedMailReasons({
    headers: mail.headers,
    from: mail.from?.address,
    envelopeSender: delivery.source,
    own: ownMailOf(deps.settings),
    subject: mail.subject,
  });

  const claimed = await claimMail(deps, delivery, mail, automated, options.release === true);
  if ('held' in claimed) return claimed.held;
  const filed = claimed.filed
    ? 'filed'
    : await fileMail(deps, { mail, claim: claimed.claim, delivery, automated, read: claimed.read });
  // Filed the erased way (the complaint's customer erased since the claim was decided, or while it was
  // filed): said so, for a released mail's quarantine record to be erased as well (fileReleasedMail).
  const disposition = filed === 'erased' ? 'erased' : claimed.claim.disposition;
  return { disposition, complaintId: claimed.claim.complaintId };
}

/**
 * The claim this mail is filed under: the first delivery's, or a new one after the quarantine rules and
 * the filing decision. The dedupe key is tried as is, then with the content digest appended: the same
 * sender reusing a Message-ID for other content (a broken client) is filed as a mail of its own, also
 * when both arrive at once and the other one's claim won the first key. `filed`: the claim was
 * written together with the complaint it opens (fileMail), nothing is left to file. `read`: the
 * complaint as the filing decision read it, for the filing to use (`Filing.read`).
 *
 * A first-seen new mail (the common case) does not read its claim first: the transaction that opens
 * its complaint writes the claim on the condition that none exists, and a refusal on that condition
 * says another delivery claimed it. The claim is read first only where a decision or a write would
 * come before that transaction: quarantine, and attachments (stored before the complaint that names
 * them, so a duplicate delivery would store them once more).
 */
async function claimMail(
  deps: Deps,
  delivery: InboundDelivery,
  mail: InboundMail,
  automated: string[],
  release: boolean,
): Promise<{ claim: InboundClaim; filed?: true; read?: Complaint } | { held: IntakeOutcome }> {
  const keys = [mail.dedupeKey, divergentDedupeKey(mail.dedupeKey, mail.contentDigest)];
  const reasons = release
    ? []
    : verdictQuarantineReasons(delivery.verdicts, {
        ...(delivery.dmarcPolicy ? { dmarcPolicy: delivery.dmarcPolicy } : {}),
        hasAttachments: mail.attachments.length > 0,
      });
  const readFirst = reasons.length > 0 || mail.attachments.length > 0;
  for (const dedupeKey of keys) {
    const key = { dedupeKey, messageId: mail.messageId };
    let claim = readFirst ? await deps.ledger.findInboundClaim(key) : undefined;
    let read: Complaint | undefined;
    if (!claim) {
      if (reasons.length > 0) return { held: await quarantineMail(deps, delivery, mail, reasons) };
      const base = {
        dedupeKey,
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
        ...filedSender(mail, delivery.source),
        receivedAt: delivery.receivedAt,
        rawMailKey: delivery.rawMailKey,
        sesMessageId: delivery.sesMessageId,
        contentDigest: mail.contentDigest,
      };
      const plan = await planFiling(
        deps,
        { mail, base, automated, recipients: delivery.recipients },
        release,
      );
      const planned = plan?.claim;
      read = plan?.read;
      if (!planned) {
        // Not read yet: a mail filed before is never quarantined after the fact.
        claim = readFirst ? undefined : await deps.ledger.findInboundClaim(key);
        if (!claim) {
          const detail = 'A delivery status notification that matches none of our outbound mails';
          const unmatched = [{ code: 'unmatched_bounce' as const, detail }];
          return { held: await quarantineMail(deps, delivery, mail, unmatched) };
        }
      } else {
        // A new complaint is opened in the same transaction as its claim: one write instead of four.
        if (planned.disposition === 'new') {
          const opened = await fileMail(deps, { mail, claim: planned, delivery, automated }, true);
          if (opened === 'filed') return { claim: planned, filed: true };
          // Refused on the claim's condition: another delivery's claim stands.
          if (opened === 'claimed') claim = await deps.ledger.findInboundClaim(key);
        }
        claim ??= await deps.ledger.claimInbound(planned);
      }
    }
    // Under the key it was found by: an erased sender's claim holds its key pseudonymised, and the
    // timeline entry of the mail is named after the key (a second delivery lands on the same entry).
    if (claim.contentDigest === mail.contentDigest)
      return { claim: claim.dedupeKey === dedupeKey ? claim : { ...claim, dedupeKey }, read };
    deps.logger.warn('Message-ID reused with different content; filed separately', {
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
