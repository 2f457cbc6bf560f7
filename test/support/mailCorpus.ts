import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the corpus of realistic inbound mail lives (see its manifest.json). */
export const corpusDir = fileURLToPath(new URL('../fixtures/mail/', import.meta.url));

export type ExpectedOutcome =
  | {
      outcome: 'new';
      ack: boolean;
      suppressed?: string;
      subject?: string;
      text?: string;
      truncated?: boolean;
      customer?: string;
      customerName?: string;
      attachments?: { filename: string; contentType: string }[];
      notInto?: string;
      /** The From names no valid sender: filed under a placeholder, flagged, never answered. */
      senderInvalid?: true;
    }
  | { outcome: 'reply' | 'automated'; into: string }
  | { outcome: 'bounce'; into: string; status?: string }
  | {
      outcome: 'quarantined';
      reason: string /** Part of the reason's detail, when given. */;
      detail?: string;
    };

export interface CorpusMessage {
  file: string;
  origin: string;
  /** SMTP MAIL FROM; '' for the null sender; default the From address. */
  envelopeFrom?: string;
  /** The address the mail is filed under; null when it names no valid sender (or is unreadable). */
  sender: string | null;
  /** The decoded subject ('' when there is none). */
  subject: string;
  /** The first non-blank line of the text as filed; null when the mail has no text. */
  firstLine: string | null;
  expect: ExpectedOutcome;
}

/** The first non-blank line of a text, trimmed. */
export const firstLineOf = (text: string): string | null =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '') ?? null;

export function corpusManifest(): CorpusMessage[] {
  return (JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as { messages: CorpusMessage[] })
    .messages;
}

/** What earlier messages produced, for the placeholders of later ones. */
export interface FiledComplaint {
  complaintId: string;
  reference: string;
  token: string;
  ackSesMessageId: string;
}

/**
 * The exact bytes of a corpus message with `{{ack|token|ref:<file>}}` filled in from `filed`. Placeholders
 * only occur in 7-bit parts, so a byte-level replacement keeps every other byte as it is.
 */
export function renderCorpusMessage(
  file: string,
  filed: (file: string) => FiledComplaint | undefined,
): Buffer {
  const raw = readFileSync(join(corpusDir, file)).toString('latin1');
  return Buffer.from(fillPlaceholders(raw, file, filed), 'latin1');
}

/** `{{ack|token|ref:<file>}}` in `text` filled in from `filed` (also used on the manifest's subjects). */
export function fillPlaceholders(
  text: string,
  file: string,
  filed: (file: string) => FiledComplaint | undefined,
): string {
  return text.replace(/\{\{(ack|token|ref):([\w.-]+)\}\}/g, (_, kind: string, source: string) => {
    const complaint = filed(source);
    if (!complaint) throw new Error(`${file} refers to ${source}, which has not been filed yet`);
    return kind === 'ack'
      ? complaint.ackSesMessageId
      : kind === 'token'
        ? complaint.token
        : complaint.reference;
  });
}
