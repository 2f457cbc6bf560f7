import type { ComplaintCategory, Investigation } from '../../functions/core/investigation';
import { investigateComplaint } from '../../functions/core/investigation';
import type { Policy } from '../../functions/core/policy';
import type { riskSignalsSimulated, tones } from './scenario';

export type Tone = (typeof tones)[number];
export type SimulatedRisk = (typeof riskSignalsSimulated)[number];

/**
 * The mail a simulated customer writes: a subject and text per category, worded per tone, with a risk
 * sentence when the complaint carries one. The simulation does not draw priorities or tiers: it runs
 * the real triage (`investigateComplaint`) on this mail, as the Investigate step does, and the stack
 * comparison test sends the very same mail over SMTP.
 */
const topics: Record<ComplaintCategory, { subject: string; text: string }> = {
  billing: { subject: 'Wrong invoice', text: 'I was charged twice on my invoice for the same order.' },
  delivery: {
    subject: 'Parcel late',
    text: 'My parcel has still not been delivered, the tracking shows nothing.',
  },
  product_defect: { subject: 'Kettle faulty', text: 'The kettle I bought is faulty and stopped working.' },
  service: {
    subject: 'Rude staff',
    text: 'The staff at your service desk were rude and unhelpful to me on the phone.',
  },
  account: {
    subject: 'Locked out',
    text: 'I cannot log in to my account, the password reset does not arrive.',
  },
  other: { subject: 'A question', text: 'I would like to know more about your opening times.' },
};

const toneWords: Record<Tone, { before: string; after: string }> = {
  mild: { before: 'Just some feedback, no rush.', after: 'Thank you.' },
  neutral: { before: '', after: 'Please look into it.' },
  angry: {
    before: 'This is terrible, awful and unacceptable, I am furious and disgusted.',
    after: 'Worst experience ever, a horrible disgrace.',
  },
};

const riskWords: Record<SimulatedRisk, string> = {
  legal_threat: 'My lawyer will take legal action if this is not fixed.',
  regulator_or_press: 'I will contact the ombudsman about this.',
  cancel_intent: 'I want to cancel my subscription.',
};

export interface ComplaintMail {
  subject: string;
  text: string;
}

/** The mail of a complaint of this category, tone and risk. */
export function complaintMail(category: ComplaintCategory, tone: Tone, risk?: SimulatedRisk): ComplaintMail {
  const topic = topics[category];
  const words = toneWords[tone];
  const text = [words.before, topic.text, risk ? riskWords[risk] : '', words.after].filter(Boolean).join(' ');
  return { subject: topic.subject, text };
}

/**
 * Triage of simulated mail, computed once per kind of mail: the investigation is a pure function of
 * the mail (each simulated customer writes once, so the history is empty).
 */
export class Triage {
  readonly #found = new Map<string, Investigation>();

  constructor(private readonly policy: Policy) {}

  of(category: ComplaintCategory, tone: Tone, risk: SimulatedRisk | undefined, now: Date): Investigation {
    const key = `${category}|${tone}|${risk ?? ''}`;
    let found = this.#found.get(key);
    if (!found) {
      const mail = complaintMail(category, tone, risk);
      found = investigateComplaint({
        complaintId: 'simulated',
        subject: mail.subject,
        text: mail.text,
        createdAt: now.toISOString(),
        now,
        history: [],
        automated: false,
        policy: this.policy,
      });
      this.#found.set(key, found);
    }
    return found;
  }
}
