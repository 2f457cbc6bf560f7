/**
 * The SMTP intake in a process of its own, so that a test can let it die by SIGKILL (LOCAL_CRASH_AT, see
 * scripts/local/crashPoints.ts) and start it again on the same folders. Prints `{"port": ...}` on stdout
 * once it listens; every receipt event it files is appended to `LOG_FILE` as a JSON line.
 *
 * Environment: DATA_DIR, LOG_FILE, and optionally LOCAL_CRASH_AT.
 */
import { appendFileSync } from 'node:fs';
import { intakeFolders, startSmtpIntake } from '../../scripts/local/smtpIntake';

const dataDir = process.env.DATA_DIR as string;
const intake = await startSmtpIntake({
  rawMailDir: dataDir,
  bucket: 'raw-mail',
  keyPrefix: 'inbound/',
  recipientDomains: ['shop.example'],
  ...intakeFolders(dataDir),
  onReceived: async (event) => appendFileSync(process.env.LOG_FILE as string, `${JSON.stringify(event)}\n`),
});
process.stdout.write(`${JSON.stringify({ port: intake.port })}\n`);
