import { join } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { repoRoot } from '../appContext';
import type { FunctionAccess } from '../functionAccess';

/**
 * How every handler is bundled (local esbuild, no Docker). Exported so that code bundling a handler
 * outside CDK (the bundle test) uses exactly these options.
 */
export const lambdaBundling = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node24',
  // Prefer the ESM build of dependencies that ship both.
  mainFields: ['module', 'main'],
  // Bundle the SDK too: the versions tested here (client and lib-dynamodb in lockstep) are the ones
  // that run, instead of whatever SDK the runtime ships that month.
  externalModules: [],
  minify: true,
  // Minifying renames classes; error classes that take their name from the class (`new.target.name`)
  // would then throw `nr` instead of `ConflictError`, and the state machine's Retry/Catch on error
  // names would never match on AWS. keepNames preserves `Function.prototype.name`.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  // CommonJS dependencies bundled into an ESM file still call `require` for Node built-ins.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  // Cuts what the holiday rules engine (date-holidays-parser) imports unconditionally from about
  // 1.05 MB to about 165 kB per bundle (README, "Bundle size"). Aliases resolve from the project root.
  esbuildArgs: {
    '--alias': [
      // moment-timezone without its zone database (733 kB): functions/core/holidays.ts loads the zones
      // of the bundled countries. Only the package itself may be imported: an alias also rewrites
      // its subpaths.
      'moment-timezone=moment-timezone/moment-timezone.js',
      // Astronomical and lunar calendars (170 kB) that no bundled country's rules use; the stand-ins
      // throw when used.
      'astronomia=./functions/core/calendarStubs/astronomia',
      'date-chinese=./functions/core/calendarStubs/dateChinese.ts',
    ],
  },
} as const satisfies BundlingOptions;

export interface HandlerFunctionProps
  extends Pick<
    NodejsFunctionProps,
    'description' | 'timeout' | 'memorySize' | 'deadLetterQueue' | 'retryAttempts'
  > {
  /** Handler module relative to the repository root; it exports `handler`. */
  entry: string;
  /** What the function may do; the stack grants exactly this. */
  access: FunctionAccess;
  environment: Record<string, string>;
  /** Retention of the function's log group; defaults to one month. */
  logRetention?: RetentionDays;
}

/**
 * A Lambda handler as every handler here is deployed: Node.js 24 on arm64, X-Ray tracing, its own log
 * group with a retention, bundled by {@link lambdaBundling}, and its own role that may write to its log
 * group and nothing else until the stack grants what the function needs.
 */
export class HandlerFunction extends NodejsFunction {
  /** The function's own role (see the constructor). */
  declare readonly role: Role;
  readonly access: FunctionAccess;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    const { entry, access, environment, logRetention, ...rest } = props;
    // An explicit log group gets a retention; the implicit /aws/lambda/<name> group would keep logs forever.
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: logRetention ?? RetentionDays.ONE_MONTH });
    // An explicit role: without one CDK attaches AWSLambdaBasicExecutionRole, which lets the function
    // create log groups and write to any log group of the account.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    // The log group's ARN attribute ends in ":*", which covers its log streams (PutLogEvents is
    // authorized on the stream) and nothing outside the group.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    super(scope, id, {
      ...rest,
      role,
      entry: join(repoRoot, entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      timeout: rest.timeout ?? Duration.seconds(30),
      memorySize: rest.memorySize ?? 512,
      logGroup,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: lambdaBundling,
    });
    this.access = access;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing needs xray:PutTraceSegments/PutTelemetryRecords, which X-Ray authorizes only on "*".',
    });
  }
}
