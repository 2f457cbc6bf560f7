import { SESv2Client, type SESv2ClientConfig, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Mailer, OutboundMail } from './ports';
import { withoutCommandLog } from './sdkClient';

export interface SesMailerOptions {
  client?: SESv2Client;
  /** The verified sender identity, e.g. `Support <support@example.com>`. */
  from: string;
  /** Configuration set that publishes delivery/bounce events. */
  configurationSet?: string;
}

/**
 * SES v2 mailer. It sends `Simple` content with `Headers` rather than raw MIME: SES keeps
 * In-Reply-To/References/Auto-Submitted given that way, and so does aws-ses-v2-local, which drops the
 * custom headers of raw mail.
 */
/** A mailer with an SES v2 client of its own (what the composition roots import on the first mail). */
export const sesMailerWith = (options: Omit<SesMailerOptions, 'client'>, config: SESv2ClientConfig) =>
  new SesMailer({ ...options, client: withoutCommandLog(new SESv2Client(config)) });

export class SesMailer implements Mailer {
  private readonly ses: SESv2Client;

  constructor(private readonly options: SesMailerOptions) {
    this.ses = options.client ?? withoutCommandLog(new SESv2Client({}));
  }

  async send(mail: OutboundMail): Promise<string> {
    const charset = 'UTF-8';
    const out = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: this.options.from,
        Destination: { ToAddresses: mail.to },
        ...(mail.replyTo?.length ? { ReplyToAddresses: mail.replyTo } : {}),
        Content: {
          Simple: {
            Subject: { Data: mail.subject, Charset: charset },
            Body: {
              Text: { Data: mail.text, Charset: charset },
              ...(mail.html ? { Html: { Data: mail.html, Charset: charset } } : {}),
            },
            Headers: Object.entries(mail.headers ?? {}).map(([Name, Value]) => ({ Name, Value })),
          },
        },
        ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
        ...(mail.tags ? { EmailTags: messageTags(mail.tags) } : {}),
      }),
    );
    // SES replaces the Message-ID of what it sends with `<MessageId@…amazonses.com>`: this id is what
    // replies will reference, so a send without one is a failure.
    if (!out.MessageId) throw new Error('SES SendEmail returned no MessageId');
    return out.MessageId;
  }
}

// SES refuses the whole send for a tag outside ASCII letters, digits, `_` and `-` (at most 256 each): such a
// tag is left out, since the mail matters more than the tag.
const tagText = /^[A-Za-z0-9_-]{1,256}$/;
const messageTags = (tags: Record<string, string>) =>
  Object.entries(tags)
    .filter(([Name, Value]) => tagText.test(Name) && tagText.test(Value))
    .map(([Name, Value]) => ({ Name, Value }));
