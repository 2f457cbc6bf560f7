import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { crashPoint } from './crashPoints';
import type { LocalSend } from './mailboxSimulator';

// aws-ses-v2-local is CommonJS with `exports.default`: an ESM default import yields the exports object,
// so load it through require to get the server function in Node, tsx and vitest alike.
const require = createRequire(import.meta.url);
const { default: startSesServer } = require('aws-ses-v2-local') as typeof import('aws-ses-v2-local');
// Its mail store, the module the server itself requires (one instance per process).
const { getStoreReadonly: sesStore } = require('aws-ses-v2-local/dist/store') as {
  getStoreReadonly(): { emails: unknown[] };
};

/** How many sent mails the local mailbox keeps by default: the newest; older ones are dropped. */
export const defaultMailboxRetention = 10_000;

export interface LocalSes {
  /** Base URL: the SES v2 endpoint, the mailbox web UI at `/`, and `GET /store` listing sent mail. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts aws-ses-v2-local (the SES v2 send API, keeping mail in memory) on `host:port`; port 0 picks a
 * free port. Its mail store is module state: every instance in one process shares it. It keeps the
 * newest `retention` mails.
 */
export async function startLocalSes(
  options: {
    host?: string;
    port?: number;
    /**
     * Called for every mail accepted, before SendEmail is answered (SES publishes the events of a mail
     * it accepted even if the caller never reads the answer): a rejection fails the call.
     */
    onSent?: (send: LocalSend) => Promise<void>;
    /**
     * The newest mails the mailbox keeps (default {@link defaultMailboxRetention}): a mail catcher, not an
     * archive, so its memory stays bounded however long the stack runs. The store is shared by every
     * instance in the process: the smallest retention of them applies.
     */
    retention?: number;
  } = {},
): Promise<LocalSes> {
  // With SMTP_TRANSPORT set, aws-ses-v2-local relays every stored mail through nodemailer: refuse, so a
  // local run can never mail real people.
  if (process.env.SMTP_TRANSPORT?.trim()) {
    throw new Error(
      'SMTP_TRANSPORT is set: aws-ses-v2-local would relay mail to it; unset it for the local stack',
    );
  }
  const host = options.host ?? '127.0.0.1';
  const server = await startSesServer({ host, port: options.port ?? 0 });
  // The fault harness can kill the stack while a mail is being sent (SES v2 SendEmail): the sender's
  // send lease stays live and nothing was sent.
  const retention = options.retention ?? defaultMailboxRetention;
  server.prependListener('request', (req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/v2/email/outbound-emails')) {
      crashPoint('ses.midSend');
      if (options.onSent) holdAnswerUntilPublished(req, res, options.onSent);
      res.once('finish', () => {
        const { emails } = sesStore();
        if (emails.length > retention) emails.splice(0, emails.length - retention);
      });
    }
  });
  const address = server.address();
  // express 5 resolves the listen callback on 'error' too (e.g. EADDRINUSE), with no address bound.
  if (!address || typeof address === 'string')
    throw new Error(`aws-ses-v2-local could not listen on ${host}`);
  const { port } = address;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolveClose, reject) => {
        server.close((err) => (err ? reject(err) : resolveClose()));
        // The SDK keeps connections alive; close them or close() waits for their idle timeout.
        server.closeAllConnections();
      }),
  };
}

const sendEmailBody = z.object({
  FromEmailAddress: z.string().default(''),
  Destination: z
    .object({
      ToAddresses: z.array(z.string()).default([]),
      CcAddresses: z.array(z.string()).default([]),
      BccAddresses: z.array(z.string()).default([]),
    })
    .default({ ToAddresses: [], CcAddresses: [], BccAddresses: [] }),
  ConfigurationSetName: z.string().optional(),
  EmailTags: z.array(z.object({ Name: z.string(), Value: z.string() })).default([]),
  Content: z.object({
    Simple: z
      .object({
        Subject: z.object({ Data: z.string() }),
        Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).default([]),
      })
      .optional(),
  }),
});

/**
 * Delays aws-ses-v2-local's answer to a SendEmail (express has parsed the body by then) until `onSent`
 * has taken the accepted mail: a failure there destroys the connection, which the SDK retries.
 */
function holdAnswerUntilPublished(
  req: IncomingMessage,
  res: ServerResponse,
  onSent: (send: LocalSend) => Promise<void>,
) {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const [chunk] = args;
    const messageId =
      res.statusCode === 200 && chunk
        ? (JSON.parse(String(chunk)) as { MessageId?: string }).MessageId
        : undefined;
    const body = sendEmailBody.safeParse((req as IncomingMessage & { body?: unknown }).body);
    if (!messageId || !body.success) return end(...args);
    const { data } = body;
    onSent({
      messageId,
      at: new Date(),
      from: data.FromEmailAddress,
      to: data.Destination.ToAddresses,
      cc: data.Destination.CcAddresses,
      bcc: data.Destination.BccAddresses,
      subject: data.Content.Simple?.Subject.Data ?? '',
      headers: (data.Content.Simple?.Headers ?? []).map((h) => ({ name: h.Name, value: h.Value })),
      ...(data.ConfigurationSetName ? { configurationSet: data.ConfigurationSetName } : {}),
      tags: Object.fromEntries(data.EmailTags.map((t) => [t.Name, t.Value])),
    }).then(
      () => end(...args),
      (error: unknown) => {
        console.error('Local SES could not publish the events of a mail', {
          messageId,
          error: String(error),
        });
        res.destroy();
      },
    );
    return res;
  }) as typeof res.end;
}
