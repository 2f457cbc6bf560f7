import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { withoutCommandLog } from '../adapters/sdkClient';
import { Sha256 } from '../adapters/sha256';
import type { Deps } from '../application/deps';
import { type OptionalSetting, settingsFromEnv } from '../application/settings';
import { holidaySpanProblem } from '../core/holidays';
import type { AdapterFactories } from './awsAdapters';
import { buildDeps, type ServiceAdapters } from './buildDeps';

/**
 * SDK client configuration: AWS's defaults, or the runtime's endpoint for `service`; either way the
 * request signing hashes with {@link Sha256} (its HMAC keys made once, not on every request).
 */
export function clientConfig(runtime: Runtime, service: keyof NonNullable<Runtime['aws']>['endpoints']) {
  const { aws } = runtime;
  return aws
    ? { region: aws.region, credentials: aws.credentials, endpoint: aws.endpoints[service], sha256: Sha256 }
    : { sha256: Sha256 };
}

/** A handler's logic, given its dependencies. */
export type HandlerFactory<E, R> = (deps: Deps) => (event: E) => Promise<R>;

/**
 * Where a handler runs, as plain data: on Lambda only the environment; the local stack adds its
 * embedded servers' endpoints, a raw-mail folder and a signing key. Plain data because the local stack
 * hands it to the bundles: every class (SDK clients, errors) is then the bundle's own, so
 * `instanceof` checks inside a bundle see the errors its adapters throw.
 */
export interface Runtime {
  /** Setting values by variable name (`settingNames`): `process.env` on Lambda. */
  env: Record<string, string | undefined>;
  /** SDK client configuration for servers other than AWS's. */
  aws?: {
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    endpoints: {
      dynamodb: string;
      sesv2: string;
      sfn: string;
      lambda: string;
      sns: string;
      eventbridge: string;
    };
  };
  /** Raw mail and attachments in this folder (one subfolder per bucket) instead of S3. */
  rawMailDir?: string;
  /** The HMAC key itself instead of the Secrets Manager secret named by the settings. */
  signingKey?: string;
}

/**
 * A handler module's two entry points: the Lambda `handler`, whose dependencies are built from the
 * environment once per cold start (on the first invocation, so that importing the module reads
 * nothing), and `handlerFor`, which builds them for another runtime. `needs`: the optional settings
 * this function cannot work without, checked when the dependencies are built; `adapters`: how it builds
 * the adapters it uses besides its table (`awsAdapters`), and only those.
 */
export function lambdaEntry<E, R>(
  create: HandlerFactory<E, R>,
  needs: readonly OptionalSetting[] = [],
  adapters: Partial<AdapterFactories> = {},
) {
  let handle: ((event: E) => Promise<R>) | undefined;
  return {
    handler: (event: E): Promise<R> => {
      handle ??= create(depsFor({ env: process.env }, needs, adapters));
      return handle(event);
    },
    handlerFor: (runtime: Runtime) => create(depsFor(runtime, needs, adapters)),
  };
}

/**
 * The dependencies of a handler in `runtime`: settings validated once, the table's adapters and those
 * `adapters` builds wired by `buildDeps`.
 */
export function depsFor(
  runtime: Runtime,
  needs: readonly OptionalSetting[] = [],
  adapters: Partial<AdapterFactories> = {},
): Deps {
  const keyGiven = runtime.signingKey !== undefined;
  const settings = settingsFromEnv(
    runtime.env,
    keyGiven ? needs.filter((n) => n !== 'surveySigningSecretArn') : needs,
  );
  // Public holidays are resolved for a span of years: past it, fail here rather than count holidays
  // as working days.
  const outdated = settings.policy.calendar.holidays
    ? holidaySpanProblem(new Date().getUTCFullYear())
    : undefined;
  if (outdated) throw new Error(`Invalid configuration: ${outdated}`);
  const dynamodb = withoutCommandLog(new DynamoDBClient(clientConfig(runtime, 'dynamodb')));
  const context = { settings, runtime, dynamodb };
  const built: ServiceAdapters = Object.fromEntries(
    Object.entries(adapters).map(([name, factory]) => [name, factory(context)]),
  );
  return buildDeps(settings, { dynamodb, ...built });
}
