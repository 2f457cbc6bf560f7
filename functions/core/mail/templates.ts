import type { Complaint, Resolution } from '../complaint';
import { deceptiveInvisibles } from '../text';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** Longest customer subject repeated in ours; the reference tag always follows it. */
const maxSubjectBase = 200;

/**
 * One line of customer text for a subject or a greeting: control characters (CR/LF from an
 * encoded-word of the inbound Subject or From would start a new header field, or a new paragraph of
 * the mail we send) become spaces, whitespace collapses, and the invisible characters that reorder or
 * hide text go. Non-ASCII stays: SES v2 `Simple` content encodes the Subject in the given Charset
 * (RFC 2047) itself.
 */
export function singleLine(text: string): string {
  return text
    .replace(deceptiveInvisibles, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** Subject with the reference tag, so replies thread even when headers are lost. */
export function taggedSubject(complaint: Pick<Complaint, 'reference' | 'subject'>): string {
  const tag = `[${complaint.reference}]`;
  const base = [...singleLine(complaint.subject).replace(/^(re|aw|sv|fw|fwd):\s*/i, '')]
    .slice(0, maxSubjectBase)
    .join('');
  return base.includes(tag) ? `Re: ${base}` : `Re: ${base} ${tag}`;
}

function render(paragraphs: string[], subject: string): RenderedMail {
  return {
    subject,
    text: `${paragraphs.join('\n\n')}\n`,
    html: `<!doctype html><html><body>${paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('')}</body></html>`,
  };
}

/** The customer's name as their mail gave it, on one line (a name is no place for a paragraph of its own). */
const greeting = (c: Pick<Complaint, 'customerName'>) => {
  const name = c.customerName ? singleLine(c.customerName) : '';
  return name ? `Dear ${name},` : 'Hello,';
};

/**
 * Acknowledgement sent within seconds of a new complaint, carrying its reference; `continues` names the
 * closed complaint a late reply was linked to.
 */
export function acknowledgementMail(c: Complaint, continues?: string): RenderedMail {
  return render(
    [
      greeting(c),
      `Thank you for contacting us. We have registered your complaint under the reference ${c.reference}.`,
      ...(continues
        ? [
            `As your earlier complaint ${continues} has been closed for a while, we opened this one to follow it up.`,
          ]
        : []),
      'An agent will look into it and get back to you. Simply reply to this email to add anything; please keep the reference in the subject.',
      'This is an automatic acknowledgement.',
    ],
    taggedSubject(c),
  );
}

const money = (r: Resolution) =>
  r.amount !== undefined
    ? ` of ${new Intl.NumberFormat('en', { style: 'currency', currency: r.currency ?? 'EUR' }).format(r.amount)}`
    : '';

const resolutionSentence: Record<Resolution['type'], (r: Resolution) => string> = {
  apology: () => 'We sincerely apologise for what happened.',
  explanation: () => 'We have looked into what happened and want to explain it.',
  replacement: () => 'We will send you a replacement.',
  refund: (r) => `We have issued a refund${money(r)}.`,
  credit: (r) => `We have credited your account${money(r)}.`,
};

/** The resolution as the customer reads it. */
export function resolutionMail(c: Complaint, r: Resolution): RenderedMail {
  return render(
    [
      greeting(c),
      `We have completed our review of your complaint ${c.reference}.`,
      resolutionSentence[r.type](r),
      r.summary,
      'If this does not settle the matter, just reply to this email and we will reopen your case.',
    ],
    taggedSubject(c),
  );
}

/** An agent's public reply; the customer's answer threads back into the complaint. */
export function agentReplyMail(c: Complaint, text: string): RenderedMail {
  return render(
    [greeting(c), text, `Reference: ${c.reference}. Simply reply to this email.`],
    taggedSubject(c),
  );
}

/** The agent's question; the customer's reply threads back and resumes the case. */
export function infoRequestMail(c: Complaint, question: string): RenderedMail {
  return render(
    [
      greeting(c),
      `To continue with your complaint ${c.reference} we need a little more information from you:`,
      question,
      'Simply reply to this email.',
    ],
    taggedSubject(c),
  );
}

/** The one reminder after a request for information went unanswered. */
export function reminderMail(c: Complaint, question: string | undefined): RenderedMail {
  return render(
    [
      greeting(c),
      `We are still waiting for your answer about your complaint ${c.reference}.`,
      ...(question ? [`Our question was: ${question}`] : []),
      'If we do not hear from you, we will close the case; you can reopen it at any time by replying.',
    ],
    taggedSubject(c),
  );
}

/** Closure after the customer did not answer the reminder. */
export function abandonedMail(c: Complaint): RenderedMail {
  return render(
    [
      greeting(c),
      `As we have not heard back from you, we have closed your complaint ${c.reference}.`,
      'If the matter is not settled, just reply to this email and we will pick it up again.',
    ],
    taggedSubject(c),
  );
}

/** Satisfaction question when the follow-up call could not reach the customer. */
export function surveyMail(
  c: Complaint,
  links: { satisfied: string; unsatisfied: string },
  expiresAt: string,
): RenderedMail {
  return render(
    [
      greeting(c),
      `We tried to call you about the resolution of your complaint ${c.reference}. Are you satisfied with how it was resolved?`,
      `Yes, I am satisfied: ${links.satisfied}`,
      `No, I am not satisfied: ${links.unsatisfied}`,
      `These links work until ${expiresAt.slice(0, 10)}. You can also simply reply to this email.`,
    ],
    taggedSubject(c),
  );
}

/** Internal notification to a team (escalations, approvals, manager alerts). */
export function teamNotification(
  c: Complaint,
  headline: string,
  details: string[],
): { subject: string; text: string } {
  return {
    subject: singleLine(`[${c.reference}] ${headline}`),
    text: [
      headline,
      '',
      `Complaint ${c.reference} (${c.id})`,
      // The customer's subject on one line: a line break of theirs would add lines of their own.
      `Subject: ${singleLine(c.subject)}`,
      `Customer: ${c.customerEmail}`,
      `Priority: ${c.priority}, tier ${c.tier}, status ${c.status}`,
      ...(c.slaDueAt ? [`Due: ${c.slaDueAt}`] : []),
      ...details,
    ].join('\n'),
  };
}
