import { type Settings, settingsFromEnv } from '../../functions/application/settings';

/** Valid settings for tests that build their own dependencies. */
export function testSettings(overrides: Partial<Settings> = {}): Settings {
  return {
    ...settingsFromEnv({
      TABLE_NAME: 'Complaints',
      SUPPORT_ADDRESS: 'support@support.localhost',
      SENDER_ADDRESS: 'support@support.localhost',
      MAIL_DOMAIN: 'support.localhost',
    }),
    ...overrides,
  };
}
