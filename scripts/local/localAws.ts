/** Region of every fake ARN and client of the local stack. */
export const localRegion = 'us-east-1';

/**
 * The configuration of an AWS SDK client talking to an embedded server: its endpoint, the local region
 * and the fake credentials the embedded servers accept (nothing is read from the environment).
 */
export function localAwsConfig(endpoint: string) {
  return { endpoint, region: localRegion, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/**
 * `client` without the SDK's logger middleware. That middleware hands the client's logger each command's
 * input and output with their sensitive fields redacted, and it builds that copy (a walk of the whole
 * input and output along the command's schema, every attribute of every item read) even for the default
 * logger, which discards it. For the local stack's own clients, which read every record of the table's
 * stream, the copy was pure cost.
 */
export function withoutCommandLog<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
