import type { Complaint, Resolution } from '../complaint';

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

/** Subject with the reference tag, so replies thread even when headers are lost. */
export function taggedSubject(complaint: Pick<Complaint, 'reference' | 'subject'>): string {
  const tag = `[${complaint.reference}]`;
  const base = complaint.subject.replace(/^(re|aw|sv|fw|fwd):\s*/i, '');
  return base.includes(tag) ? `Re: ${base}` : `Re: ${base} ${tag}`;
}

function render(paragraphs: string[], subject: string): RenderedMail {
  return {
    subject,
    text: `${paragraphs.join('\n\n')}\n`,
    html: `<!doctype html><html><body>${paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('')}</body></html>`,
  };
}

const greeting = (c: Pick<Complaint, 'customerName'>) =>
  c.customerName ? `Dear ${c.customerName},` : 'Hello,';

/** Acknowledgement sent within seconds of a new complaint, carrying its reference. */
export function acknowledgementMail(c: Complaint): RenderedMail {
  return render(
    [
      greeting(c),
      `Thank you for contacting us. We have registered your complaint under the reference ${c.reference}.`,
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
