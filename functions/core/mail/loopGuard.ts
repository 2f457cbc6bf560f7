import { boundedValue, headerValueBounds } from './headerBounds';
import { loopHeaderName } from './outboundHeaders';

/** What the loop guard reads of an inbound mail. */
export interface LoopGuardInput {
  /** Lower-cased header names -> first value (as {@link InboundMail.headers}). */
  headers: Record<string, string>;
  /** Address of the From header, lower-cased. */
  from?: string;
  /** Envelope MAIL FROM of the receipt ('' for the null sender), when known. */
  envelopeSender?: string;
  /** This system's own mail ({@link ownMailOf}): mail From it is never a customer's. */
  own?: OwnMail;
  /** The decoded Subject. */
  subject?: string;
}

/**
 * The mail this system sends and receives as: the domain it receives mail for (every address there,
 * the support address and its `+token` reply addresses included) and the addresses it sends from and
 * receives at, wherever their domains are.
 */
export interface OwnMail {
  domains: readonly string[];
  addresses: readonly string[];
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** The own mail of a deployment, from its settings. */
export function ownMailOf(settings: { mailDomain: string; supportAddress: string; senderAddress: string }) {
  return {
    domains: [settings.mailDomain.toLowerCase()],
    addresses: [settings.supportAddress, settings.senderAddress].map(
      (address) => `${localPart(address)}@${domainOf(address)}`,
    ),
  } satisfies OwnMail;
}

/** Whether `address` is this system's own (tags count as the bare address, case does not count). */
function isOwnAddress(address: string, own: OwnMail): boolean {
  if (!address.includes('@')) return false;
  const domain = domainOf(address);
  return own.domains.includes(domain) || own.addresses.includes(`${localPart(address)}@${domain}`);
}

// RFC 3834 §5: Precedence is not standard, but these values mark mail no person expects an answer to.
const automatedPrecedence = new Set(['bulk', 'junk', 'list', 'auto_reply']);
// Vendor auto-responder markers (Zammad, FreeScout, osTicket and RT check these).
const autoreplyHeaders = [
  'x-autoreply',
  'x-autorespond',
  'x-autoresponse',
  'x-autoreply-from',
  'x-mail-autoreply',
];
// The list headers of the managers that predate RFC 2369 or never adopted it: ezmlm (`Mailing-List`),
// SmartList and vger (`X-Mailing-List`), FML, which runs many Japanese lists (`X-ML-Name`, `X-MLServer`;
// its list alerts carry no Precedence or List-Id).
const listManagerHeaders = ['mailing-list', 'x-mailing-list', 'x-ml-name', 'x-mlserver'];
// `post_master` too: Apache James sends its bounces from it (sisimai's email-apachejames-01.eml).
const systemLocalPart = /^(mailer[-_.]?daemon|post[-_.]?master)$/;
const noAutoMailLocalPart = /^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|post[-_.]?master)$/;

/** Case, accents and compatibility forms (a fullwidth colon) left out, as subjects are compared here. */
const folded = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * The subject prefixes auto-responders put before the subject they answer, in the languages of the
 * clients that send them: Outlook and Exchange (`Automatic reply:`, `Out of Office:`, `Out of Office
 * AutoReply:`, `Abwesenheitsnotiz:`, `Réponse automatique :`, `Autosvar:`…), cPanel, Plesk and
 * Zimbra (`Auto-Reply:`, `Autoreply:`, `Auto Response:`), each followed by a colon, or in brackets
 * (`[Auto-Reply]`). Only at the very start: `Re: Automatic reply: …` is a person answering one.
 */
const autoReplyPhrases = [
  'auto[- ]?reply',
  'auto[- ]?response',
  'auto[- ]?respond',
  'automatic reply',
  'automatic response',
  'automated reply',
  'automated response',
  'out of (the )?office( auto[- ]?reply| reply)?',
  'abwesenheitsnotiz',
  'automatische antwort',
  'reponse automatique',
  'autosvar',
  'automatisk svar',
  'automatiskt svar',
  'respuesta automatica',
  'risposta automatica',
  'automatisch antwoord',
  'resposta automatica',
  'automatyczna odpowiedz',
  'automaattinen vastaus',
  'automaticka odpoved',
  'automatikus valasz',
  'αυτοματη απαντηση',
  'автоматический ответ',
  'автоответ',
  'otomatik yan[iı]t',
  '自动回复',
  '自动答复',
  '自動回覆',
  '自動応答',
  '자동 회신',
  '자동 응답',
].map(folded);
const autoReplySubject = new RegExp(
  `^\\s*(?:(?:${autoReplyPhrases.join('|')})\\s*:|\\[(?:${autoReplyPhrases.join('|')})\\])`,
  'u',
);

const localPart = (address: string) => {
  const at = address.lastIndexOf('@');
  return (at < 0 ? address : address.slice(0, at)).toLowerCase().split('+')[0] ?? '';
};
const firstToken = (value: string) => value.split(';')[0]?.trim().toLowerCase() ?? '';
/**
 * A header value as a reason quotes it: reasons are stored on the timeline and in the audit of the
 * suppressed answer, and a value of 450 KB (header fields may have 1 MiB) made that write exceed
 * DynamoDB's item limit, so that the mail was retried and dead-lettered instead of filed.
 */
const quoted = (value: string) => boundedValue(value, headerValueBounds.reasonValue);

/**
 * Why an inbound mail was written by a machine, one reason per finding (e.g. `Auto-Submitted:
 * auto-replied`); empty for mail a person wrote. Such mail is stored but never answered automatically
 * and never resumes or reopens a complaint: answering robots is how mail loops start.
 */
export function automatedMailReasons(input: LoopGuardInput): string[] {
  const { headers } = input;
  const reasons: string[] = [];
  // RFC 3834 §5.1: any value but "no" means the mail was sent automatically.
  const autoSubmitted = headers['auto-submitted'];
  if (autoSubmitted !== undefined && firstToken(autoSubmitted) !== 'no')
    reasons.push(`Auto-Submitted: ${quoted(autoSubmitted)}`);
  const precedence = headers.precedence;
  if (precedence !== undefined && automatedPrecedence.has(firstToken(precedence)))
    reasons.push(`Precedence: ${quoted(precedence)}`);
  // Exchange/Outlook: the sender asks that no auto-response be sent (set on OOF and other robot mail).
  if (headers['x-auto-response-suppress']?.trim())
    reasons.push(`X-Auto-Response-Suppress: ${quoted(headers['x-auto-response-suppress'])}`);
  for (const name of autoreplyHeaders)
    if (headers[name] !== undefined) reasons.push(`${name}: ${quoted(headers[name])}`);
  // X-Loop is the loop marker of the robots that predate RFC 3834 and of helpdesks: procmail and
  // Majordomo put their address there, OTRS/Znuny and Zammad `yes` on their auto-responses (OTRS's
  // carries nothing else a person's mail lacks: an acknowledgement to it opens their next ticket, whose
  // acknowledgement opens our next complaint). No mail client adds it.
  if (headers['x-loop'] !== undefined) reasons.push(`X-Loop: ${quoted(headers['x-loop'])}`);
  // RFC 2369 list headers: mailing-list and newsletter traffic.
  if (headers['list-unsubscribe'] !== undefined) reasons.push('List-Unsubscribe present');
  if (headers['list-id'] !== undefined) reasons.push(`List-Id: ${quoted(headers['list-id'])}`);
  for (const name of listManagerHeaders)
    if (headers[name] !== undefined) reasons.push(`${name}: ${quoted(headers[name])}`);
  // RFC 5321 §4.5.5: the null reverse-path marks delivery status notifications and other robot mail.
  const returnPath = headers['return-path']?.trim();
  if (returnPath === '<>' || input.envelopeSender === '') reasons.push('Null Return-Path (<>)');
  if (input.from && systemLocalPart.test(localPart(input.from))) reasons.push(`System sender ${input.from}`);
  const contentType = headers['content-type'];
  if (contentType && firstToken(contentType) === 'multipart/report')
    reasons.push('Content-Type: multipart/report');
  if (headers[loopHeaderName.toLowerCase()] !== undefined) reasons.push(`Our own ${loopHeaderName} header`);
  // Mail from the support address, a reply address or anyone at the domain the system receives for is
  // the system's own (a forwarding rule, a misrouted copy, a spoofed sender): answering it mails ourselves.
  if (input.from && input.own && isOwnAddress(input.from, input.own))
    reasons.push(`Sender ${input.from} is this system's own address`);
  // Auto-responders behind gateways that strip the headers above, and older or simpler ones that never
  // set them, still name themselves in the subject. A person's subject starts so only by mistake, and
  // then the mail is still filed (without an answer), never dropped.
  if (input.subject && autoReplySubject.test(folded(input.subject)))
    reasons.push(`Subject of an auto-reply: ${quoted(input.subject)}`);
  return reasons;
}

/**
 * Why no automatic mail may go to an address, or undefined when it may: role addresses of robots
 * (noreply, do-not-reply, mailer-daemon, postmaster) never read an answer, and answering them is how
 * bounce loops start; nor may this system's own addresses (`own`), which would mail themselves. Tags
 * (`noreply+x@`) count as the bare local part.
 */
export function automaticMailBlockedFor(address: string, own?: OwnMail): string | undefined {
  if (!address.includes('@')) return 'no recipient address';
  if (noAutoMailLocalPart.test(localPart(address))) return `${address} is a robot address`;
  return own && isOwnAddress(address, own) ? `${address} is this system's own address` : undefined;
}

/**
 * The fixed window an automatic mail counts in for the per-recipient cap: its start (epoch seconds).
 * A fixed window lets a single counter item be incremented atomically (DynamoDB ADD); across a window
 * boundary at most twice the cap can go out in one window's length, still a hard bound on any loop.
 */
export function automaticMailWindow(now: Date, windowSeconds: number): number {
  const seconds = Math.floor(now.getTime() / 1000);
  return seconds - (seconds % windowSeconds);
}
