/** Our own loop header: mail carrying it came from us and is never answered automatically. */
export const loopHeaderName = 'X-Complaints-Loop';

export interface OutboundHeaderInput {
  /** Message-ID (without brackets) of the mail being answered, if any. */
  inReplyTo?: string;
  references?: string[];
  /** True for mail no person wrote (acknowledgements, reminders): RFC 3834 `Auto-Submitted: auto-replied`. */
  automatic: boolean;
  mailDomain: string;
}

const bracket = (id: string) => (id.startsWith('<') ? id : `<${id}>`);

/**
 * Threading and loop-guard headers for a mail to a customer: In-Reply-To/References make mail clients
 * thread the conversation; the loop header and Auto-Submitted stop other robots from answering robots.
 */
export function outboundHeaders(input: OutboundHeaderInput): Record<string, string> {
  const headers: Record<string, string> = { [loopHeaderName]: input.mailDomain };
  if (input.automatic) {
    headers['Auto-Submitted'] = 'auto-replied';
    // Asks Exchange/Outlook not to answer with out-of-office or other auto-replies (MS-OXCMAIL 2.2.3.2.14).
    headers['X-Auto-Response-Suppress'] = 'All';
  }
  if (input.inReplyTo) {
    headers['In-Reply-To'] = bracket(input.inReplyTo);
    const refs = [...(input.references ?? []), input.inReplyTo].map(bracket);
    headers.References = [...new Set(refs)].join(' ');
  }
  return headers;
}
