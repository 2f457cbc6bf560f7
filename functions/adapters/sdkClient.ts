/**
 * `client` without the SDK's logger middleware. That middleware hands the client's logger each command's
 * input and output with their sensitive fields redacted, and it builds that copy (a walk of the whole
 * input and output along the command's schema, every attribute of every item a query returns) even for
 * the default logger, which discards it. No client here is given a logger: an SDK error reaches the code
 * that called, which logs or retries it. So the copy was pure cost, a part of every call's CPU on Lambda
 * as locally. Every SDK client the functions and the local stack build goes through this.
 */
export function withoutCommandLog<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
