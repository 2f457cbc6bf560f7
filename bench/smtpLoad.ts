import { createTransport, type SendMailOptions } from 'nodemailer';
import type { LocalStack } from '../scripts/local/localStack';

/**
 * Sends every mail in order over `connections` pooled SMTP connections to the local intake; resolves
 * when all were accepted (250, after the raw mail is durably stored).
 */
export async function sendPooled(
  stack: LocalStack,
  mails: SendMailOptions[],
  connections: number,
): Promise<void> {
  const transport = createTransport({
    host: stack.endpoints.smtp.host,
    port: stack.endpoints.smtp.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: connections,
  });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < mails.length; i = next++) await transport.sendMail(mails[i] as SendMailOptions);
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    transport.close();
  }
}
