import type { Mailer } from '../../adapters/ports';
import { type AdapterContext, onFirstCall } from '../awsAdapters';
import { clientConfig } from '../lambda';

/** Customer mail and agent replies through SES. */
export const sesMailer = ({ settings, runtime }: AdapterContext): Mailer =>
  onFirstCall(async () =>
    (await import('../../adapters/mailer')).sesMailerWith(
      {
        from: settings.senderAddress,
        ...(settings.sesConfigurationSet ? { configurationSet: settings.sesConfigurationSet } : {}),
      },
      clientConfig(runtime, 'sesv2'),
    ),
  );
