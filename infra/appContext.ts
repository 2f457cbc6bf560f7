import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Node } from 'constructs';
import { z } from 'zod';
import { loadPolicy, PolicyError } from '../functions/core/policy';

/** Repository root: NodejsFunction entries, the lock file and cdk.json are resolved from here. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// `cdk -c key=value` always passes strings while cdk.json passes JSON values: accept both.
const stringList = z.union([
  z.array(z.string().min(1)),
  z.string().transform((s) =>
    s
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  ),
]);

const appContextSchema = z.object({
  /** Domain SES receives mail for; customers write to `support@<mailDomain>`. */
  mailDomain: z
    .string()
    .regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/i, 'must be a domain name such as example.com'),
  /** From address of every outbound mail (a verified SES identity). */
  senderAddress: z.email(),
  /** Named policy profile (functions/core/policy.ts). */
  policyProfile: z.string().min(1),
  /** Optional policy override, deep-merged into the profile (object in cdk.json or a JSON string with -c). */
  policy: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** Where CloudWatch alarms are emailed; without it alarms only publish to the SNS topic. */
  alarmEmail: z.email().optional(),
  /** Days raw inbound mail is kept in S3 before it expires. */
  rawMailRetentionDays: z.coerce.number().int().positive().default(365),
  /** OAuth callback URLs of the agent client (authorization code flow). */
  authCallbackUrls: stringList.default(['http://localhost:8080/callback']),
  /** Cognito hosted-domain prefix; unique per region. Defaults to `complaints-<account id>`. */
  authDomainPrefix: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and hyphens')
    .optional(),
});

/** The validated CDK context the stack is built from (see README: deployment context keys). */
export interface AppContext {
  mailDomain: string;
  senderAddress: string;
  policyProfile: string;
  /** The policy override as the JSON string handlers read from COMPLAINTS_POLICY. */
  policyJson?: string;
  alarmEmail?: string;
  rawMailRetentionDays: number;
  authCallbackUrls: string[];
  authDomainPrefix?: string;
}

/**
 * Reads and validates the app's context keys. Fails at synth with a message naming each missing or
 * invalid key, and validates the policy (profile + override) the handlers will load at cold start, so a
 * bad policy never reaches a deployment.
 */
export function readAppContext(node: Node): AppContext {
  const raw = Object.fromEntries(
    Object.keys(appContextSchema.shape).map((key) => [key, node.tryGetContext(key)]),
  );
  const parsed = appContextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) =>
        raw[String(i.path[0])] === undefined
          ? `${String(i.path[0])} is missing`
          : `${i.path.join('.')}: ${i.message}`,
      )
      .join('; ');
    throw new Error(`Invalid CDK context (set it in cdk.json or with -c key=value): ${problems}`);
  }
  const { policy, ...rest } = parsed.data;
  const policyJson = typeof policy === 'object' ? JSON.stringify(policy) : policy;
  try {
    // Also resolves the calendar: an unknown holiday country, state or region fails here, not at cold start.
    loadPolicy(rest.policyProfile, policyJson);
  } catch (e) {
    const problems = e instanceof PolicyError ? e.problems.join('; ') : (e as Error).message;
    throw new Error(`Invalid CDK context policyProfile/policy: ${problems}`);
  }
  return { ...rest, policyJson };
}

/**
 * The `context` block of cdk.json, for code that builds the app in-process (tests, the local runtime)
 * and must see the same context and feature flags as `cdk synth`.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}
