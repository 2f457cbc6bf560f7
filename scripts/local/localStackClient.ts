import { createTransport } from 'nodemailer';
import type { LocalEndpoints } from './localStack';

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
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
  },
) {
  const transport = createTransport({
    host: endpoints.smtp.host,
    port: endpoints.smtp.port,
    secure: false,
    ignoreTLS: true,
  });
  try {
    return await transport.sendMail({ to: endpoints.supportAddress, ...mail });
  } finally {
    transport.close();
  }
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
