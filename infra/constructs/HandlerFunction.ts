import { AssetHashType, DockerImage, Duration, type ILocalBundling, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  type FunctionProps,
  Function as LambdaFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { repoRoot } from '../appContext';
import { buildLambdaFunctionSync, lambdaEntryFile } from '../bundling';
import type { FunctionAccess } from '../functionAccess';

export interface HandlerFunctionProps
  extends Pick<
    FunctionProps,
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
 * group with a retention, built by {@link buildLambdaFunctionSync} into the folder that is its code asset
 * (`index.mjs` and its chunks), and its own role that may write to its log group and nothing else until
 * the stack grants what the function needs.
 */
export class HandlerFunction extends LambdaFunction {
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
      code: Code.fromAsset(repoRoot, {
        // The hash of the built folder: a change to any file the function imports changes it, and
        // nothing else does.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          local: new EsbuildBundling(entry),
          // Never used: the local build above always runs (it needs only esbuild, a dependency).
          image: DockerImage.fromRegistry('dummy'),
        },
      }),
      handler: `${lambdaEntryFile.replace(/\.mjs$/, '')}.handler`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      timeout: rest.timeout ?? Duration.seconds(30),
      memorySize: rest.memorySize ?? 512,
      logGroup,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
    });
    this.access = access;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing needs xray:PutTraceSegments/PutTelemetryRecords, which X-Ray authorizes only on "*".',
    });
  }
}

/**
 * Puts a function's folder, built at synth with the project's esbuild (CDK local bundling: no Docker),
 * into the asset's output folder: the folder the local stack runs ({@link buildLambdaFunctionSync}). Its
 * fields are part of CDK's asset cache key, so each entry gets an asset of its own.
 */
class EsbuildBundling implements ILocalBundling {
  constructor(readonly entry: string) {}

  tryBundle(outputDir: string): boolean {
    buildLambdaFunctionSync(this.entry, outputDir);
    return true;
  }
}
