import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Node } from 'constructs';
import { z } from 'zod';
import { holidaySpanProblem } from '../functions/core/holidays';
import { type AgentRole, agentRoles, loadPolicy, PolicyError } from '../functions/core/policy';

/** Repository root: function entries, their asset builds and cdk.json are resolved from here. */
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

/** A deployment mistake the person running `cdk` fixes in the context: reported as one line, no stack trace. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** `development` may deploy placeholders (with a warning); `production` refuses them. */
export const deployProfiles = ['development', 'production'] as const;
export type DeployProfile = (typeof deployProfiles)[number];

const addresses = z.array(z.email()).min(1, 'list at least one address or leave the role out');

/** Who the team notifications reach: email addresses per agent role. */
const notificationsSchema = z.strictObject({
  tier1: addresses.optional(),
  tier2: addresses.optional(),
  tier3: addresses.optional(),
  manager: addresses.optional(),
} satisfies Record<AgentRole, unknown>);

/** `-c key=<JSON>` passes a string; cdk.json passes the object itself. */
const jsonObject = (value: unknown) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
};

const appContextSchema = z.object({
  /** Deployment profile: production refuses placeholder domains and requires manager notifications. */
  deployProfile: z.enum(deployProfiles).default('development'),
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
  /** Email subscriptions of the team-notification topic per role, e.g. `{ "manager": ["ops@…"] }`. */
  notifications: z.preprocess(jsonObject, notificationsSchema).default({}),
  /** Product and business addresses of the weekly insights digest (default: the managers'). */
  digestRecipients: z.preprocess(jsonObject, z.array(z.email())).default([]),
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
  deployProfile: DeployProfile;
  mailDomain: string;
  senderAddress: string;
  policyProfile: string;
  /** The policy override as the JSON string handlers read from COMPLAINTS_POLICY. */
  policyJson?: string;
  alarmEmail?: string;
  notifications: Partial<Record<AgentRole, string[]>>;
  digestRecipients: string[];
  rawMailRetentionDays: number;
  authCallbackUrls: string[];
  authDomainPrefix?: string;
  /** Placeholders a development deployment keeps (production refuses them): one warning each. */
  warnings: string[];
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
    throw new ConfigurationError(
      `Invalid CDK context (set it in cdk.json or with -c key=value): ${problems}`,
    );
  }
  const { policy, ...rest } = parsed.data;
  const policyJson = typeof policy === 'object' ? JSON.stringify(policy) : policy;
  try {
    // Also resolves the calendar: an unknown holiday country, state or region fails here, not at cold
    // start; so does a holiday calendar resolved for years that no longer hold this one and the next.
    const { calendar } = loadPolicy(rest.policyProfile, policyJson);
    const outdated = calendar.holidays ? holidaySpanProblem(new Date().getUTCFullYear()) : undefined;
    if (outdated) throw new Error(`calendar.holidays: ${outdated}`);
  } catch (e) {
    const problems = e instanceof PolicyError ? e.problems.join('; ') : (e as Error).message;
    throw new ConfigurationError(`Invalid CDK context policyProfile/policy: ${problems}`);
  }
  const problems = deploymentProblems(rest);
  if (rest.deployProfile === 'production' && problems.length > 0) {
    const [first, ...more] = problems;
    const also = more.length > 0 ? ` (also: ${more.map((p) => p.key).join(', ')})` : '';
    throw new ConfigurationError(`${first?.message}${also}`);
  }
  return { ...rest, policyJson, warnings: problems.map((p) => p.message) };
}

/**
 * Names reserved for documentation and testing (RFC 2606, RFC 6761): example.com/.net/.org and their
 * subdomains, and the .example, .test, .invalid and .localhost top-level domains and localhost itself.
 * Mail to them never reaches anyone.
 */
export function isPlaceholderDomain(domain: string): boolean {
  const name = domain.trim().toLowerCase().replace(/\.$/, '');
  return /(^|\.)example\.(com|net|org)$/.test(name) || /(^|\.)(example|test|invalid|localhost)$/.test(name);
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

interface DeploymentProblem {
  key: string;
  message: string;
}

/** What a production deployment refuses: placeholder names, and manager alerts that reach nobody. */
function deploymentProblems(ctx: z.infer<typeof appContextSchema>): DeploymentProblem[] {
  const problems: DeploymentProblem[] = [];
  const placeholder = (key: string, value: string, hint: string) =>
    problems.push({ key, message: `context ${key} "${value}" is a placeholder: ${hint}` });
  if (isPlaceholderDomain(ctx.mailDomain)) {
    placeholder('mailDomain', ctx.mailDomain, 'set -c mailDomain=<your domain>');
  }
  if (isPlaceholderDomain(domainOf(ctx.senderAddress))) {
    placeholder('senderAddress', ctx.senderAddress, 'set -c senderAddress=<your sender address>');
  }
  if (ctx.alarmEmail && isPlaceholderDomain(domainOf(ctx.alarmEmail))) {
    placeholder('alarmEmail', ctx.alarmEmail, 'set -c alarmEmail=<your address>');
  }
  for (const role of agentRoles) {
    for (const address of ctx.notifications[role] ?? []) {
      if (isPlaceholderDomain(domainOf(address))) {
        placeholder(`notifications.${role}`, address, `set notifications.${role} to real addresses`);
      }
    }
  }
  for (const address of ctx.digestRecipients) {
    if (isPlaceholderDomain(domainOf(address))) {
      placeholder('digestRecipients', address, 'set -c digestRecipients=<product and business addresses>');
    }
  }
  // Loopback callbacks stay allowed: native and CLI clients redirect to localhost (RFC 8252).
  for (const url of ctx.authCallbackUrls) {
    const host = URL.canParse(url) ? new URL(url).hostname : '';
    if (host !== 'localhost' && isPlaceholderDomain(host)) {
      placeholder('authCallbackUrls', url, 'set -c authCallbackUrls=<your callback URLs>');
    }
  }
  if (!ctx.notifications.manager?.length) {
    problems.push({
      key: 'notifications.manager',
      message:
        'context notifications.manager is empty: escalations and alarms reach nobody; set notifications ' +
        `to e.g. '{"manager":["ops@<your domain>"]}'`,
    });
  }
  return problems;
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
