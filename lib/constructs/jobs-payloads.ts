/**
 * The payload bucket (claim check) and document uploads, shaped by PAYLOADS.
 *
 * Job records stay small and constant-sized in DynamoDB: every write is billed on the size of the
 * whole item (and again for each index that projects it), so an input or result above the small
 * inline limit is stored here, under `inputs/<jobId>/…` or `results/<jobId>/…`, and the record
 * only references it. Documents that clients attach to jobs arrive under `uploads/…` through
 * presigned PUTs straight from the browser or service (never through API Gateway and Lambda), and
 * are copied into `inputs/` when a job uses them.
 *
 * Objects are only transient working data: lifecycle rules expire inputs and results one day after
 * their job record's TTL (retentionDays + 1), unused uploads after PAYLOADS.uploadExpiryDays, and
 * abandoned multipart uploads after a day. Hence no versioning and no object lock. The bucket is
 * private (all public access blocked, ACLs disabled), encrypted with S3-managed keys (SSE-S3: no
 * KMS key to manage or grant, no KMS request charges), and reachable over TLS 1.2+ only.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  CfnBucket,
  HttpMethods,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PAYLOADS } from '../../lambdas/shared/resources.ts';
import { acknowledge } from '../nag.ts';

export type PayloadPrefix = keyof typeof PAYLOADS.prefixes;
/** Object actions a function may be granted; HeadObject needs GetObject, CopyObject GetObject on the source and PutObject on the target. */
export type PayloadAction = 's3:GetObject' | 's3:PutObject';

export interface JobsPayloadsProps {
  /** Days a finished job is kept (jobRetentionDays); input and result objects are kept one day longer. */
  readonly retentionDays: number;
  /** RETAIN keeps the bucket and its objects when the stack is deleted; DESTROY empties and deletes it. */
  readonly removalPolicy: RemovalPolicy;
  /** CORS origins for browser uploads (presigned PUT); ['*'] allows any. */
  readonly allowedOrigins: readonly string[];
}

/** Browsers may cache the CORS preflight of an upload for this long. */
export const UPLOAD_CORS_MAX_AGE_SECONDS = 3600;
/** Requests over older TLS versions are denied by the bucket policy. */
export const MINIMUM_TLS_VERSION = 1.2;

export class JobsPayloads extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: JobsPayloadsProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(`JobsPayloads retentionDays must be a whole number of days ≥ 1, got ${props.retentionDays}`);
    }
    if (props.allowedOrigins.length === 0) throw new Error('JobsPayloads needs at least one allowed origin');
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    const jobDataExpiry = Duration.days(props.retentionDays + 1);
    const { inputs, results, uploads } = PAYLOADS.prefixes;

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: MINIMUM_TLS_VERSION,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: destroy,
      lifecycleRules: [
        { id: 'ExpireInputs', prefix: inputs, expiration: jobDataExpiry },
        { id: 'ExpireResults', prefix: results, expiration: jobDataExpiry },
        { id: 'ExpireUploads', prefix: uploads, expiration: Duration.days(PAYLOADS.uploadExpiryDays) },
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [
        {
          id: 'PresignedUploads',
          allowedMethods: [HttpMethods.PUT],
          allowedOrigins: [...props.allowedOrigins],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: UPLOAD_CORS_MAX_AGE_SECONDS,
        },
      ],
    });

    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Objects are written and read only by the stack’s own functions with least-privilege, per-prefix roles and expire within days; ' +
        'server access logs would need a second bucket per stack. Operators who need an audit trail of object access can turn on CloudTrail S3 data events.',
    );
  }

  /**
   * Grants exactly `actions` on objects under one prefix (arn:…:bucket/<prefix>*), nothing on the bucket itself.
   *
   * The trailing `*` is the object key (`inputs/<jobId>/…`), the narrowest resource S3 offers for
   * per-job objects; the resulting AwsSolutions-IAM5 finding for this exact resource is
   * acknowledged on the grantee's principal (when it lives in the bucket's stack).
   */
  grant(grantee: IGrantable, prefix: PayloadPrefix, actions: readonly PayloadAction[]): void {
    if (actions.length === 0) throw new Error(`JobsPayloads.grant on ${prefix} needs at least one action`);
    const keyPrefix = PAYLOADS.prefixes[prefix];
    Grant.addToPrincipal({
      grantee,
      actions: [...new Set(actions)],
      resourceArns: [`${this.bucket.bucketArn}/${keyPrefix}*`],
    });
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal) && Stack.of(principal) === Stack.of(this)) {
      acknowledge(
        principal,
        `AwsSolutions-IAM5[Resource::<${this.bucketLogicalId()}.Arn>/${keyPrefix}*]`,
        `Object keys under ${keyPrefix} start with the job or upload id, so the key prefix is the narrowest resource S3 offers; ` +
          'the grant holds only s3:GetObject and/or s3:PutObject on those objects, and nothing on the bucket or other prefixes.',
      );
    }
  }

  /** The bucket's logical id as cdk-nag renders it in findings (`<Id.Arn>`). */
  private bucketLogicalId(): string {
    const cfnBucket = this.bucket.node.defaultChild as CfnBucket;
    return Stack.of(this).resolve(cfnBucket.logicalId) as string;
  }
}
