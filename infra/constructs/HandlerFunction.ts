import { join } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { repoRoot } from '../appContext';

export interface HandlerFunctionProps
  extends Pick<
    NodejsFunctionProps,
    'description' | 'timeout' | 'memorySize' | 'deadLetterQueue' | 'retryAttempts'
  > {
  /** Handler module relative to the repository root; it exports `handler`. */
  entry: string;
  environment: Record<string, string>;
  /** Retention of the function's log group; defaults to one month. */
  logRetention?: RetentionDays;
}

/**
 * A Lambda handler as every handler here is deployed: Node.js 24 on arm64, X-Ray tracing, its own log
 * group with a retention, bundled by the local esbuild (no Docker) as ESM with the AWS SDK v3 left to
 * the runtime.
 */
export class HandlerFunction extends NodejsFunction {
  /** The execution role CDK creates for a function without an explicit one (checked in the constructor). */
  declare readonly role: IRole;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    const { entry, environment, logRetention, ...rest } = props;
    super(scope, id, {
      ...rest,
      entry: join(repoRoot, entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      timeout: rest.timeout ?? Duration.seconds(30),
      memorySize: rest.memorySize ?? 512,
      // An explicit log group gets a retention; the implicit /aws/lambda/<name> group would keep logs forever.
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: logRetention ?? RetentionDays.ONE_MONTH }),
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        // Prefer the ESM build of dependencies that ship both.
        mainFields: ['module', 'main'],
        // Bundle the SDK too: the versions tested here (client and lib-dynamodb in lockstep) are the ones
        // that run, instead of whatever SDK the runtime ships that month.
        externalModules: [],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // CommonJS dependencies bundled into an ESM file still call `require` for Node built-ins.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    if (!this.role) throw new Error(`${id}: a NodejsFunction without an explicit role always has its own`);
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'AWSLambdaBasicExecutionRole only allows writing CloudWatch Logs, which every function needs.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing needs xray:PutTraceSegments/PutTelemetryRecords, which X-Ray authorizes only on "*".',
      },
    );
  }
}
