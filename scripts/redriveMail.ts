import { resolve } from 'node:path';
import { intakeFolders, redriveMail } from './local/smtpIntake';

/**
 * `npm run redrive:mail`: moves dead-lettered inbound mail (`<data>/dead-letter/`) back to the intake
 * spool, as an operator redrives a dead-letter queue on AWS. The local stack files it when it next starts.
 */
const dataDir = resolve(process.env.COMPLAINTS_DATA_DIR ?? '.local');
const { spoolDir, deadLetterDir } = intakeFolders(dataDir);
const moved = await redriveMail(deadLetterDir, spoolDir);
console.log(
  moved.length === 0
    ? `no dead-lettered mail in ${deadLetterDir}`
    : `${moved.length} mail(s) moved back to ${spoolDir}; \`npm start\` files them: ${moved.join(', ')}`,
);
