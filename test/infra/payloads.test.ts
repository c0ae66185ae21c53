import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  JobsPayloads,
  type JobsPayloadsProps,
  type PayloadAction,
  type PayloadPrefix,
} from '../../lib/constructs/jobs-payloads.ts';
import { PAYLOADS } from '../../lambdas/shared/resources.ts';
import { CDK_JSON_CONTEXT, logicalId, resourcesOf, roleStatements, type Statement } from './support/synth.ts';

interface Grant {
  readonly prefix: PayloadPrefix;
  readonly actions: readonly PayloadAction[];
}

/** The construct in a stack of its own (cdk.json feature flags), one test Role per entry of `grants`. */
function payloadsStack(props: Partial<JobsPayloadsProps> = {}, grants: readonly (readonly Grant[])[] = []) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'PayloadsUnderTest');
  const payloads = new JobsPayloads(stack, 'Payloads', {
    retentionDays: 30,
    removalPolicy: RemovalPolicy.RETAIN,
    allowedOrigins: ['*'],
    ...props,
  });
  const roles = grants.map((roleGrants, index) => {
    const role = new Role(stack, `Grantee${index}`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    for (const { prefix, actions } of roleGrants) payloads.grant(role, prefix, actions);
    return role;
  });
  return { stack, payloads, roles, template: Template.fromStack(stack) };
}

/** Every statement of the identity policies attached to a role, with actions and resources as sorted text. */
function grantsOf(template: Template, role: Role) {
  return roleStatements(template, logicalId(role)).map((statement) => ({
      effect: statement.Effect,
      actions: [statement.Action].flat().sort(),
      resources: resourcesOf(statement).sort(),
    }));
}

function bucketProperties(template: Template): Record<string, unknown> {
  const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
  expect(buckets).toHaveLength(1);
  return buckets[0]?.Properties as Record<string, unknown>;
}

/** cdk-nag ids acknowledged anywhere in the tree below `scope`, with the path they were acknowledged on. */
function acknowledgements(scope: IConstruct): { id: string; path: string; reason: string }[] {
  return scope.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
            id: id.replace(/^annotation::/i, ''),
            path: construct.node.path,
            reason,
          })),
        ),
    );
}

const findings = (stack: Stack): string[] =>
  new AwsSolutionsChecks()
    .validateScope(stack)
    .violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

describe('payload bucket', () => {
  const { payloads, template } = payloadsStack();
  const bucket = bucketProperties(template);
  const bucketId = logicalId(payloads.bucket);

  it('is encrypted with S3-managed keys, with no KMS key to manage', () => {
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('blocks all public access', () => {
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('disables ACLs (bucket owner enforced)', () => {
    expect(bucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.AccessControl).toBeUndefined();
  });

  it.each([
    ['any request not made over TLS', { Bool: { 'aws:SecureTransport': 'false' } }],
    ['any request over TLS older than 1.2', { NumericLessThan: { 's3:TlsVersion': 1.2 } }],
  ])('denies %s, on the bucket and its objects', (_, condition) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: condition,
            Resource: [
              { 'Fn::GetAtt': [bucketId, 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
            ],
          },
        ]),
      },
    });
  });

  it('allows nothing through its bucket policy (only denies) when RETAINed', () => {
    const statements = Object.values(template.findResources('AWS::S3::BucketPolicy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
    );
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((statement) => statement.Effect !== 'Deny')).toEqual([]);
  });

  it('expires inputs and results a day after the job record, unused uploads after PAYLOADS.uploadExpiryDays, and aborts stale multipart uploads', () => {
    expect(bucket.LifecycleConfiguration).toEqual({
      Rules: [
        { Id: 'ExpireInputs', Prefix: 'inputs/', ExpirationInDays: 31, Status: 'Enabled' },
        { Id: 'ExpireResults', Prefix: 'results/', ExpirationInDays: 31, Status: 'Enabled' },
        { Id: 'ExpireUploads', Prefix: 'uploads/', ExpirationInDays: PAYLOADS.uploadExpiryDays, Status: 'Enabled' },
        { Id: 'AbortIncompleteMultipartUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
      ],
    });
    expect(PAYLOADS.uploadExpiryDays).toBe(1);
  });

  it('accepts presigned PUTs from any origin with the default origins', () => {
    expect(bucket.CorsConfiguration).toEqual({
      CorsRules: [
        {
          Id: 'PresignedUploads',
          AllowedMethods: ['PUT'],
          AllowedOrigins: ['*'],
          AllowedHeaders: ['*'],
          ExposedHeaders: ['ETag'],
          MaxAge: 3600,
        },
      ],
    });
  });

  it('keeps no versions and has no object lock', () => {
    expect(bucket.VersioningConfiguration).toBeUndefined();
    expect(bucket.ObjectLockEnabled).toBeUndefined();
    expect(bucket.ObjectLockConfiguration).toBeUndefined();
  });

  it('is retained with its objects when the stack is deleted (RETAIN), with no auto-delete resources', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
    expect(bucket.Tags).toBeUndefined();
  });
});

describe('payload bucket settings from props', () => {
  it.each([
    [1, 2],
    [7, 8],
    [30, 31],
    [3650, 3651],
  ])('keeps inputs and results for retentionDays %i + 1 = %i days', (retentionDays, days) => {
    const { template } = payloadsStack({ retentionDays });
    const rules = (bucketProperties(template).LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules.filter((rule) => rule.ExpirationInDays === days).map((rule) => rule.Prefix)).toEqual(['inputs/', 'results/']);
    expect(rules.find((rule) => rule.Prefix === 'uploads/')?.ExpirationInDays).toBe(PAYLOADS.uploadExpiryDays);
  });

  it('allows presigned PUTs from exactly the configured origins', () => {
    const allowedOrigins = ['https://app.example.com', 'https://admin.example.com'];
    const { template } = payloadsStack({ allowedOrigins });
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ['PUT'], AllowedOrigins: allowedOrigins })] },
    });
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects retentionDays %s', (retentionDays) => {
    expect(() => payloadsStack({ retentionDays })).toThrow(/retentionDays/);
  });

  it('rejects an empty list of allowed origins', () => {
    expect(() => payloadsStack({ allowedOrigins: [] })).toThrow(/allowed origin/);
  });
});

describe('payload bucket with RemovalPolicy.DESTROY', () => {
  const { payloads, template } = payloadsStack({ removalPolicy: RemovalPolicy.DESTROY });
  const bucketId = logicalId(payloads.bucket);

  it('is deleted with the stack', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('empties the bucket first through the auto-delete custom resource', () => {
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: bucketId } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      Tags: Match.arrayWith([{ Key: 'aws-cdk:auto-delete-objects', Value: 'true' }]),
    });
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('still denies requests not made over TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('JobsPayloads.grant', () => {
  const { payloads, roles, template } = payloadsStack({}, [
    [{ prefix: 'inputs', actions: ['s3:GetObject', 's3:PutObject'] }],
    [{ prefix: 'results', actions: ['s3:PutObject'] }],
    [{ prefix: 'uploads', actions: ['s3:GetObject', 's3:GetObject'] }],
    [
      { prefix: 'uploads', actions: ['s3:GetObject'] },
      { prefix: 'inputs', actions: ['s3:PutObject'] },
      { prefix: 'results', actions: ['s3:GetObject'] },
    ],
  ]);
  const bucketArn = `\${${logicalId(payloads.bucket)}.Arn}`;
  const statementsOf = (index: number) => grantsOf(template, roles[index] as Role);

  it('grants exactly the given actions on the objects under the prefix', () => {
    expect(statementsOf(0)).toEqual([
      { effect: 'Allow', actions: ['s3:GetObject', 's3:PutObject'], resources: [`${bucketArn}/inputs/*`] },
    ]);
    expect(statementsOf(1)).toEqual([{ effect: 'Allow', actions: ['s3:PutObject'], resources: [`${bucketArn}/results/*`] }]);
  });

  it('names each action once', () => {
    expect(statementsOf(2)).toEqual([{ effect: 'Allow', actions: ['s3:GetObject'], resources: [`${bucketArn}/uploads/*`] }]);
  });

  it('keeps the grants of one grantee apart per prefix', () => {
    const pairs = statementsOf(3).flatMap((s) => s.actions.flatMap((action) => s.resources.map((resource) => `${action} ${resource}`)));
    expect(pairs.sort()).toEqual([
      `s3:GetObject ${bucketArn}/results/*`,
      `s3:GetObject ${bucketArn}/uploads/*`,
      `s3:PutObject ${bucketArn}/inputs/*`,
    ]);
  });

  it('grants nothing on the bucket itself or on the whole bucket', () => {
    const resources = roles.flatMap((role) => grantsOf(template, role).flatMap((s) => s.resources));
    expect(resources.length).toBeGreaterThan(0);
    expect(resources).not.toContain(bucketArn);
    expect(resources).not.toContain(`${bucketArn}/*`);
    for (const resource of resources) expect(resource).toMatch(new RegExp(`^\\$\\{${logicalId(payloads.bucket)}\\.Arn\\}/(inputs|results|uploads)/\\*$`));
  });

  it('rejects an empty list of actions', () => {
    const role = new Role(payloads, 'NoActions', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    expect(() => payloads.grant(role, 'inputs', [])).toThrow(/at least one action/);
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  const grants: Grant[][] = [
    [{ prefix: 'inputs', actions: ['s3:GetObject', 's3:PutObject'] }],
    [
      { prefix: 'uploads', actions: ['s3:GetObject'] },
      { prefix: 'results', actions: ['s3:PutObject'] },
    ],
  ];

  it.each([
    ['RETAIN', RemovalPolicy.RETAIN],
    ['DESTROY', RemovalPolicy.DESTROY],
  ])('reports no unacknowledged findings with RemovalPolicy.%s and grantees', (_, removalPolicy) => {
    const { stack } = payloadsStack({ removalPolicy }, grants);
    expect(findings(stack)).toEqual([]);
  });

  it.each([
    ['RETAIN', RemovalPolicy.RETAIN],
    ['DESTROY', RemovalPolicy.DESTROY],
  ])('acknowledges exactly the findings raised with RemovalPolicy.%s, each where it is raised', (_, removalPolicy) => {
    const { stack, payloads, roles } = payloadsStack({ removalPolicy }, grants);
    const bucketId = logicalId(payloads.bucket);
    // The same checks with every acknowledgement ignored: what would be reported without them.
    const raw = new AwsSolutionsChecks();
    Reflect.set(raw, 'isAcknowledged', () => false);
    const raised = raw.validateScope(stack).violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`),
    );
    const [first, second] = roles.map((role) => role.node.path);
    expect(raised.sort()).toEqual(
      [
        `AwsSolutions-S1 @ ${payloads.bucket.node.path}/Resource`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/inputs/*] @ ${first}/DefaultPolicy/Resource`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/uploads/*] @ ${second}/DefaultPolicy/Resource`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/results/*] @ ${second}/DefaultPolicy/Resource`,
      ].sort(),
    );
    const acknowledged = acknowledgements(stack);
    expect(acknowledged.map(({ id, path }) => `${id} @ ${path}`).sort()).toEqual(
      [
        `AwsSolutions-S1 @ ${payloads.bucket.node.path}`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/inputs/*] @ ${first}`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/uploads/*] @ ${second}`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/results/*] @ ${second}`,
      ].sort(),
    );
    for (const { id, reason } of acknowledged) expect(reason.trim().length, id).toBeGreaterThanOrEqual(40);
  });

  it('gives the server-access-logging acknowledgement its reason', () => {
    const { stack } = payloadsStack();
    const s1 = acknowledgements(stack).find(({ id }) => id === 'AwsSolutions-S1');
    expect(s1?.reason).toMatch(/least-privilege/);
    expect(s1?.reason).toMatch(/CloudTrail S3 data events/);
  });
});
