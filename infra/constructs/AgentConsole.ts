import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DockerImage, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { ConsoleConfig } from '../../console/src/config';
import { consoleSourceHash } from '../../scripts/console/sourceHash';
import { consoleContentSecurityPolicy, deployedConnectSources } from '../consoleSecurityHeaders';

const consoleDir = fileURLToPath(new URL('../../console/', import.meta.url));
const buildScript = fileURLToPath(new URL('../../scripts/console/build.ts', import.meta.url));

/** What the console reads from `/config.json`: the console's own type, so the two cannot drift. */
export type ConsoleRuntimeConfig = ConsoleConfig;

export interface AgentConsoleProps {
  /** Server access logs of the console bucket. */
  accessLogsBucket: IBucket;
}

/**
 * The agent console on S3 behind CloudFront: a private bucket read only through origin access control,
 * security headers on every answer, and app routes (any path that is not a file) answered with
 * index.html. The API URL and Cognito ids reach the app as `/config.json`, written at deploy
 * (`deploy()`), so one build serves every stage.
 */
export class AgentConsole extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution domain>`: the console's origin (Cognito callbacks, the API's CORS). */
  readonly url: string;
  /** The Cognito domain's base URL (`https://…amazoncognito.com`), which the CSP lets the console call. */
  private authDomain: string | undefined;

  constructor(scope: Construct, id: string, props: AgentConsoleProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'console/',
      // The build is redeployed from source at will.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Agent console: CSP, HSTS, no framing, no sniffing, no referrer',
      securityHeadersBehavior: {
        // Scripts and styles only from the console itself; API and sign-in calls go to https origins.
        // The one definition the local console server sends too (../consoleSecurityHeaders.ts); where
        // the console may connect is known once the Cognito domain exists (`deploy`).
        contentSecurityPolicy: {
          contentSecurityPolicy: Lazy.string({
            produce: () => {
              if (!this.authDomain) throw new Error('AgentConsole: deploy() names the Cognito domain');
              const stack = Stack.of(this);
              return consoleContentSecurityPolicy(
                deployedConnectSources(stack.region, stack.urlSuffix, this.authDomain),
              );
            },
          }),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Complaints agent console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // App routes (/complaints/…, /callback) are no objects: S3 answers 403 through OAC; serve the app.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Agents may work from anywhere; access is controlled by Cognito sign-in, not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves static files only; every data request goes to the API behind its JWT authorizer and throttling.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Static files only; requests that matter are in the API access logs, and the bucket has S3 server access logs.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default CloudFront certificate (no custom domain) cannot pin the viewer TLS policy; TLS 1.2 applies once a custom domain and certificate are configured.',
      },
    );
  }

  /**
   * Uploads the build and its `/config.json`, then invalidates what changed at the edge; `authDomain`
   * (the Cognito domain's base URL, whose token endpoint the console calls) completes the CSP.
   */
  deploy(config: ConsoleRuntimeConfig, authDomain: string) {
    this.authDomain = authDomain;
    const deployment = new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      sources: [
        Source.asset(consoleDir, {
          exclude: ['dist'],
          // The build's own source hash, not the folder's fingerprint: it covers the modules the console
          // shares with the functions (outside its folder), the build scripts and the locked
          // dependencies, so that a change to any of them deploys the console again.
          assetHash: consoleSourceHash(),
          bundling: {
            // Built with the project's esbuild on the synthesizing machine (no Docker image is used).
            image: DockerImage.fromRegistry('unused'),
            local: {
              tryBundle(outputDir) {
                const built = spawnSync(
                  process.execPath,
                  ['--import', 'tsx', buildScript, '--out', outputDir],
                  {
                    stdio: 'inherit',
                  },
                );
                return built.status === 0;
              },
            },
          },
        }),
        Source.jsonData('config.json', config),
      ],
      memoryLimit: 256,
    });
    // The custom resource's function is a singleton of the stack: its findings are acknowledged on it.
    const stack = Stack.of(this);
    const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('BucketDeployment created no handler function');
    const bucketArn = stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    Validations.of(handler).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'CDK BucketDeployment custom resource: AWSLambdaBasicExecutionRole for its logs.',
      },
      ...[
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        `Resource::<${bucketArn}.Arn>/*`,
        // cloudfront:CreateInvalidation and GetInvalidation, which CloudFront authorizes only on "*".
        'Resource::*',
      ].map((finding) => ({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          'CDK BucketDeployment custom resource: reads the CDK asset, replaces the console bucket’s objects and invalidates the distribution.',
      })),
      {
        id: 'AwsSolutions-L1',
        reason: 'The CDK BucketDeployment custom resource pins its own Lambda runtime; CDK upgrades it.',
      },
    );
    return deployment;
  }
}
