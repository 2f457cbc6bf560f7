import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface RawMailStorageProps {
  /** Key prefix SES writes raw MIME under (RAW_MAIL_PREFIX of the handlers). */
  rawMailPrefix: string;
  /** Key prefix intake stores the attachments of inbound mail under (ATTACHMENT_PREFIX). */
  attachmentPrefix: string;
  /** Days raw mail (and its attachments) is kept before S3 expires it. */
  retentionDays: number;
}

/**
 * Where SES stores every inbound mail as raw MIME (up to 40 MB) before the intake Lambda runs: the mail
 * is never lost even when intake fails. Private, TLS-only, encrypted, access-logged, expired by policy.
 */
export class RawMailStorage extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: RawMailStorageProps) {
    super(scope, id);
    // Grant S3 log delivery through the log bucket's policy rather than the legacy LogDeliveryWrite ACL
    // (which needs ACLs enabled on the bucket); construct-level context scopes this flag to these buckets.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3 server access logging delivers only to buckets with SSE-S3 (not SSE-KMS).
      encryption: BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // SSE-S3 lets the SES S3 action write without a KMS key policy for SES.
      encryption: BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'raw-mail/',
      lifecycleRules: [
        { prefix: props.rawMailPrefix, expiration: Duration.days(props.retentionDays) },
        // Attachments are copies out of the raw mail: they expire with it.
        { prefix: props.attachmentPrefix, expiration: Duration.days(props.retentionDays) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
