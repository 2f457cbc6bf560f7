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
    }
  | { outcome: 'reply' | 'automated'; into: string }
  | { outcome: 'bounce'; into: string; status?: string }
  | { outcome: 'quarantined'; reason: string };

export interface CorpusMessage {
  file: string;
  origin: string;
  /** SMTP MAIL FROM; '' for the null sender; default the From address. */
  envelopeFrom?: string;
  expect: ExpectedOutcome;
}

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
  const rendered = raw.replace(/\{\{(ack|token|ref):([\w.-]+)\}\}/g, (_, kind: string, source: string) => {
    const complaint = filed(source);
    if (!complaint) throw new Error(`${file} refers to ${source}, which has not been filed yet`);
    return kind === 'ack'
      ? complaint.ackSesMessageId
      : kind === 'token'
        ? complaint.token
        : complaint.reference;
  });
  return Buffer.from(rendered, 'latin1');
}
