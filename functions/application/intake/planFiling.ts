import { randomBytes } from 'node:crypto';
import type { ComplaintStore } from '../../adapters/ports';
import type { Complaint } from '../../core/complaint';
import { isErased } from '../../core/erasure';
import { isBounce, isDelayWarning, readBounce } from '../../core/mail/bounce';
import type { InboundClaim } from '../../core/mail/filing';
import type { InboundMail } from '../../core/mail/inboundMail';
import {
  chooseThread,
  referencedMessageIds,
  replyTokensIn,
  routeThreadedMail,
  sesMessageIdOf,
  subjectTagReferences,
  type ThreadDecision,
  type ThreadSignal,
} from '../../core/mail/threading';
import { complaintIdFor } from '../../core/reference';
import { withinReopenWindow } from '../customerReplies';
import type { Deps } from '../deps';

/** References of a mail looked up for threading: the newest ones (References can list a whole thread). */
const maxReferenceLookups = 20;
/** A merged complaint forwards to the one it was merged into; bounded against cycles. */
const maxMergeHops = 5;

export type ClaimBase = Omit<InboundClaim, 'complaintId' | 'disposition'>;

/**
 * Where a first-seen mail goes, and the complaint it goes into as the decision read it (`read`), which
 * the filing uses instead of reading it again (`Filing.read`).
 */
export interface PlannedFiling {
  claim: InboundClaim;
  read?: Complaint;
}

/**
 * Decides where a first-seen mail goes. Undefined for a failure report that matches none of our mails
 * (backscatter of forged mail), unless a manager released it.
 */
export async function planFiling(
  deps: Deps,
  input: { mail: InboundMail; base: ClaimBase; automated: string[]; recipients: string[] },
  released: boolean,
): Promise<PlannedFiling | undefined> {
  const { mail, base, automated } = input;
  const { store } = deps;
  if (isBounce(mail)) {
    const report = readBounce(mail);
    for (const id of report.originalMessageIds) {
      const sesMessageId = sesMessageIdOf(id);
      const complaintId = sesMessageId ? await store.findIdByOutbound(sesMessageId) : undefined;
      if (!complaintId || !sesMessageId) continue;
      const failed = report.failed ? { failedSesMessageId: sesMessageId } : {};
      // The mail went to a customer who has since been erased: the bounce names them.
      const complaint = await store.get(complaintId);
      if (complaint && isErased(complaint))
        return { claim: { ...base, complaintId, disposition: 'erased', ...failed } };
      // A delay warning is stored like any automated mail; only a failure marks the delivery failed.
      return report.failed
        ? { claim: { ...base, complaintId, disposition: 'bounce', ...failed }, read: complaint }
        : { claim: { ...base, complaintId, disposition: 'automated' }, read: complaint };
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
  if (!decision.thread) return { claim: { ...newComplaint, disposition: 'new' } };
  const complaint = await followMerges(store, decision.complaintId);
  // Automated mail on an erased customer's thread (their out-of-office, a bounce that comes back by its
  // In-Reply-To): recorded without personal data, never a reply, a reopening or a new complaint
  // acknowledged on its behalf. The person writing on the old thread contacts us anew: the erased
  // complaint can take nothing of theirs, so it is a new complaint, as is their mail with a subject tag
  // (which threads only mail from the complaint's customer, whom the pseudonym names no more).
  if (isErased(complaint)) {
    return {
      claim:
        automated.length > 0
          ? { ...base, complaintId: complaint.id, disposition: 'erased' }
          : { ...newComplaint, disposition: 'new' },
    };
  }
  const route = routeThreadedMail(complaint, {
    automated: automated.length > 0,
    withinReopenWindow: withinReopenWindow(complaint, new Date(base.receivedAt), deps.settings.policy),
  });
  return route === 'linked'
    ? { claim: { ...newComplaint, disposition: 'linked', linkedTo: complaint.id } }
    : { claim: { ...base, complaintId: complaint.id, disposition: route }, read: complaint };
}

/** Unguessable token of the reply-to address `support+<token>@domain` (96 bits). */
const newThreadToken = () => randomBytes(12).toString('base64url').toLowerCase();

/** Looks the threading signals up kind by kind, strongest first, and stops at the first that decides. */
async function findThread(
  deps: Deps,
  mail: InboundMail,
  sender: string,
  addresses: string[],
): Promise<ThreadDecision> {
  const { store } = deps;
  const lookups: (() => Promise<ThreadSignal[]>)[] = [
    async () => {
      const tokens = replyTokensIn(addresses, deps.settings.supportAddress);
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
          return outbound ?? (await deps.ledger.findIdByInboundMessageId(ref));
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
