import type { SesDmarcPolicy, SesVerdicts } from './sesReceipt';

/** Why a mail sits in quarantine instead of reaching a complaint. */
export type QuarantineCode =
  | 'spam'
  | 'virus'
  | 'virus_scan_inconclusive'
  | 'spf'
  | 'dkim'
  | 'dmarc'
  | 'unreadable'
  | 'unmatched_bounce'
  /** An SES event notification that is not one (unreadable JSON, an unknown event type). */
  | 'unreadable_ses_event'
  /** An SES event about a mail none of our complaints sent. */
  | 'unknown_ses_message';

export interface QuarantineReason {
  code: QuarantineCode;
  detail: string;
}

/**
 * The quarantine policy for the verdicts of an SES receipt. Empty means the mail may reach a complaint.
 *
 * - FAIL of any check (spam, virus, SPF, DKIM, DMARC) quarantines: a forged sender would otherwise get
 *   our acknowledgement (backscatter) and a complaint in the queue. SES reports DMARC FAIL together with
 *   the sender domain's policy; a `none` policy quarantines too (the mail is still unauthenticated), the
 *   policy is named in the reason.
 * - GRAY (SES could not decide; for SPF/DKIM/DMARC: no record or no signature) passes: most small
 *   senders publish no SPF or DMARC and sign nothing, and their complaints must arrive.
 * - PROCESSING_FAILED passes for spam, SPF, DKIM and DMARC (a hiccup at SES proves nothing about the
 *   sender); DISABLED (scanning off) passes.
 * - Virus GRAY or PROCESSING_FAILED quarantines mail with attachments (agents open them; nothing
 *   vouches for them) and passes mail without (a text body carries no executable).
 */
export function verdictQuarantineReasons(
  verdicts: SesVerdicts,
  context: { dmarcPolicy?: SesDmarcPolicy; hasAttachments: boolean },
): QuarantineReason[] {
  const reasons: QuarantineReason[] = [];
  if (verdicts.spam === 'FAIL') reasons.push({ code: 'spam', detail: 'SES spam verdict FAIL' });
  if (verdicts.virus === 'FAIL') reasons.push({ code: 'virus', detail: 'SES virus verdict FAIL' });
  else if (context.hasAttachments && (verdicts.virus === 'GRAY' || verdicts.virus === 'PROCESSING_FAILED'))
    reasons.push({
      code: 'virus_scan_inconclusive',
      detail: `SES virus verdict ${verdicts.virus} on a mail with attachments`,
    });
  if (verdicts.spf === 'FAIL') reasons.push({ code: 'spf', detail: 'SES SPF verdict FAIL' });
  if (verdicts.dkim === 'FAIL') reasons.push({ code: 'dkim', detail: 'SES DKIM verdict FAIL' });
  if (verdicts.dmarc === 'FAIL')
    reasons.push({
      code: 'dmarc',
      detail: `SES DMARC verdict FAIL (sender domain policy: ${context.dmarcPolicy ?? 'not given'})`,
    });
  return reasons;
}
