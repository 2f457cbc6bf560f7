import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createTransport, type Transporter } from 'nodemailer';
import type { LocalEndpoints } from './localStack';

/**
 * Whether an error from a probe will come back however long one polls: the probe itself is wrong (a
 * failed assertion, a TypeError other than fetch's network failure, a ReferenceError), or the service
 * refuses the request as such (missing credentials; an SDK client fault other than "not found" or
 * throttling).
 */
export function isPermanent(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'AssertionError' || error.name === 'CredentialsProviderError') return true;
  if (error instanceof ReferenceError) return true;
  if (error instanceof TypeError) return error.message !== 'fetch failed';
  const fault = (error as { $fault?: string }).$fault;
  return fault === 'client' && !/NotFound|DoesNotExist|Throttl|TooManyRequests/.test(error.name);
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. An error
 * that polling cannot outwait ({@link isPermanent}) is thrown at once instead of at the deadline.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      if (isPermanent(e)) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A customer's mail client: plain SMTP to the local intake. */
export async function sendMail(
  endpoints: LocalEndpoints,
  mail: {
    from: string;
    subject: string;
    text: string;
    to?: string;
    headers?: Record<string, string>;
    messageId?: string;
    attachments?: { filename: string; content: string }[];
  },
) {
  return withSmtp(endpoints, (transport) => transport.sendMail({ to: endpoints.supportAddress, ...mail }));
}

/** One SMTP connection to the local intake (no TLS locally), closed after `use`. */
async function withSmtp<T>(
  endpoints: LocalEndpoints,
  use: (transport: Transporter) => Promise<T>,
): Promise<T> {
  const transport = createTransport({
    host: endpoints.smtp.host,
    port: endpoints.smtp.port,
    secure: false,
    ignoreTLS: true,
  });
  try {
    return await use(transport);
  } finally {
    transport.close();
  }
}

/**
 * A mail server handing exact bytes over SMTP (nodemailer `raw` + `envelope`); resolves with the SES
 * message id the intake answered with (`250 Ok <id>`). `from` '' is the null sender of bounces.
 */
export async function sendRawMail(
  endpoints: LocalEndpoints,
  raw: Buffer,
  envelope: { from: string; to?: string },
): Promise<string> {
  const info = await withSmtp(endpoints, (transport) =>
    transport.sendMail({
      envelope: { from: envelope.from, to: [envelope.to ?? endpoints.supportAddress] },
      raw,
    }),
  );
  return /^250 Ok (\S+)$/.exec(info.response ?? '')?.[1] as string;
}

/** Names of every execution of the state machine (all pages of ListExecutions). */
export async function executionNames(endpoints: LocalEndpoints): Promise<string[]> {
  const sfn = new SFNClient({
    endpoint: endpoints.stepfunctions.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: endpoints.stepfunctions.stateMachineArn, nextToken }),
    );
    names.push(...(page.executions ?? []).map((e) => e.name as string));
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** An agent's HTTP client for the local API. */
export async function api<T = Record<string, unknown>>(
  endpoints: LocalEndpoints,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const res = await fetch(`${endpoints.api.url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/** One mail as aws-ses-v2-local's `GET /store` lists it. */
export interface SentMail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: unknown[];
  headers?: { name: string; value: string }[];
  at: number;
}

/** Everything the local SES has sent (aws-ses-v2-local `GET /store`). */
export async function mailbox(mailboxUrl: string): Promise<SentMail[]> {
  const res = await fetch(`${mailboxUrl}/store`);
  return ((await res.json()) as { emails: SentMail[] }).emails;
}

/** Waits for a mail to `to` whose subject or text matches. */
export function waitForMail(
  endpoints: LocalEndpoints,
  to: string,
  match: RegExp,
  timeoutMs?: number,
): Promise<SentMail> {
  return waitFor(
    async () =>
      (await mailbox(endpoints.mailbox.url)).find(
        (m) => m.destination.to.includes(to) && (match.test(m.subject) || match.test(m.body.text ?? '')),
      ),
    `a mail to ${to} matching ${match}`,
    timeoutMs,
  );
}
