/** Region of every fake ARN and client of the local stack. */
export const localRegion = 'us-east-1';

/**
 * The configuration of an AWS SDK client talking to an embedded server: its endpoint, the local region
 * and the fake credentials the embedded servers accept (nothing is read from the environment).
 */
export function localAwsConfig(endpoint: string) {
  return { endpoint, region: localRegion, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/** The local stack's own clients (stream poller, event bus publisher) go without the command log too. */
export { withoutCommandLog } from '../../functions/adapters/sdkClient';
