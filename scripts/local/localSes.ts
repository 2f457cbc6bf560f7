import { createRequire } from 'node:module';
import { crashPoint } from './crashPoints';

// aws-ses-v2-local is CommonJS with `exports.default`: an ESM default import yields the exports object,
// so load it through require to get the server function in Node, tsx and vitest alike.
const require = createRequire(import.meta.url);
const { default: startSesServer } = require('aws-ses-v2-local') as typeof import('aws-ses-v2-local');

export interface LocalSes {
  /** Base URL: the SES v2 endpoint, the mailbox web UI at `/`, and `GET /store` listing sent mail. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts aws-ses-v2-local (the SES v2 send API, keeping mail in memory) on `host:port`; port 0 picks a
 * free port. Its mail store is module state: every instance in one process shares it.
 */
export async function startLocalSes(options: { host?: string; port?: number } = {}): Promise<LocalSes> {
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
  server.prependListener('request', (req) => {
    if (req.method === 'POST' && req.url?.startsWith('/v2/email/outbound-emails')) crashPoint('ses.midSend');
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
