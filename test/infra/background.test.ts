import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JOB_PRIORITIES } from '../../lambdas/domain/job.ts';
import { DLQ_CONSUMER, ENV, JOBS_TABLE, PRIORITY_BANDS, RECONCILER, splitWorkerConcurrency, WORKER } from '../../lambdas/shared/resources.ts';
import { actionsOf, logicalId, resourcesOf, roleActions, roleStatements, synthDefaultStack, synthStack } from './support/synth.ts';
import { POWERTOOLS_SERVICE_NAME } from '../../lib/constructs/job-function.ts';

const BASELINE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** What the SQS event source needs to poll and delete messages. */
const CONSUME_ACTIONS = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'];

describe('worker', () => {
  const { stack, template } = synthDefaultStack();
  const role = logicalId(stack.background.worker.role);
  const statementsWith = (action: string) =>
    roleStatements(template, role).filter((statement) => actionsOf(statement).includes(action));

  it('may only read and update jobs, read and write payloads, consume the jobs queue and invoke the model', () => {
    expect(roleActions(template, role)).toEqual(
      [...BASELINE_ACTIONS, ...CONSUME_ACTIONS, 'dynamodb:GetItem', 'dynamodb:UpdateItem', 's3:GetObject', 's3:PutObject', 'bedrock:InvokeModel'].sort(),
    );
  });

  it('reads inputs and results and writes results, and nothing else of the payload bucket', () => {
    const bucketArn = `\${${logicalId(stack.payloads.bucket)}.Arn}`;
    const granted = roleStatements(template, role)
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:')))
      .flatMap((statement) => resourcesOf(statement).flatMap((resource) => actionsOf(statement).map((action) => `${action} ${resource}`)));
    expect(granted.sort()).toEqual(
      [`s3:GetObject ${bucketArn}/inputs/*`, `s3:GetObject ${bucketArn}/results/*`, `s3:PutObject ${bucketArn}/results/*`].sort(),
    );
  });

  it('may change message visibility on the four band queues only', () => {
    const bandArns = JOB_PRIORITIES.map((band) => `\${${logicalId(stack.queues.bandQueues[band])}.Arn}`);
    const statements = statementsWith('sqs:ChangeMessageVisibility');
    expect(statements.length).toBeGreaterThan(0);
    expect([...new Set(statements.flatMap(resourcesOf))].sort()).toEqual(bandArns.sort());
  });

  it('may invoke only the configured foundation model in its own Region', () => {
    const resources = statementsWith('bedrock:InvokeModel').flatMap(resourcesOf);
    expect(resources).toEqual(['arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/amazon.nova-lite-v1:0']);
  });

  it('runs for WORKER.timeoutSeconds with 512 MB and the model id, table and queue in its environment', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.background.worker.function)];
    expect(fn?.Properties).toMatchObject({ Timeout: WORKER.timeoutSeconds, MemorySize: 512 });
    expect(Object.keys(fn?.Properties.Environment.Variables).sort()).toEqual(
      ['NODE_OPTIONS', POWERTOOLS_SERVICE_NAME, ENV.bedrockModelId, ENV.retentionDays, ENV.tableName, ...Object.values(PRIORITY_BANDS.queueUrlEnv), ENV.payloadBucket].sort(),
    );
    expect(fn?.Properties.Environment.Variables).toMatchObject({ [ENV.bedrockModelId]: 'amazon.nova-lite-v1:0', [ENV.retentionDays]: '30' });
  });

  it.each(JOB_PRIORITIES)('polls the %s band queue in batches with partial batch responses and its share of the concurrency', (band) => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.queues.bandQueues[band]), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.background.worker.function) },
      BatchSize: WORKER.batchSize,
      MaximumBatchingWindowInSeconds: WORKER.maxBatchingWindowSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: splitWorkerConcurrency(WORKER.maxConcurrency)[band] },
    });
  });

  it('splits WORKER.maxConcurrency over the band event sources: their sum is the cap', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (mapping) => JSON.stringify(mapping.Properties.FunctionName) === JSON.stringify({ Ref: logicalId(stack.background.worker.function) }),
    );
    expect(mappings).toHaveLength(JOB_PRIORITIES.length);
    const total = mappings.reduce((sum, mapping) => sum + (mapping.Properties.ScalingConfig.MaximumConcurrency as number), 0);
    expect(total).toBe(WORKER.maxConcurrency);
  });
});

describe('worker with context', () => {
  it('splits workerMaxConcurrency over the band event sources', () => {
    const { stack, template } = synthStack({ workerMaxConcurrency: '25' });
    const shares = splitWorkerConcurrency(25);
    for (const band of JOB_PRIORITIES) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.queues.bandQueues[band]), 'Arn'] },
        ScalingConfig: { MaximumConcurrency: shares[band] },
      });
    }
  });

  it('caps concurrent model calls at workerMaxConcurrency: the worker event sources\' maxConcurrency adds up to it', () => {
    // The worker runs its batch one job at a time, so instances bound the model calls at once.
    const { stack, template } = synthStack({ workerMaxConcurrency: '25' });
    const worker = JSON.stringify({ Ref: logicalId(stack.background.worker.function) });
    const total = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))
      .filter((mapping) => JSON.stringify(mapping.Properties.FunctionName) === worker)
      .reduce((sum, mapping) => sum + (mapping.Properties.ScalingConfig.MaximumConcurrency as number), 0);
    expect(total).toBe(25);
  });

  it('may invoke a cross-Region inference profile and, through it only, its model in any Region', () => {
    const modelId = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
    const { stack, template } = synthStack({ bedrockModelId: modelId });
    const statements = roleStatements(template, logicalId(stack.background.worker.role)).filter((statement) =>
      actionsOf(statement).includes('bedrock:InvokeModel'),
    );
    const profileArn = `arn:\${AWS::Partition}:bedrock:\${AWS::Region}:\${AWS::AccountId}:inference-profile/${modelId}`;
    expect(statements.flatMap(resourcesOf).sort()).toEqual(
      [profileArn, 'arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0'].sort(),
    );
    const anyRegion = statements.find((statement) => resourcesOf(statement).some((arn) => arn.includes(':*::')));
    expect(anyRegion?.Condition?.StringEquals?.['bedrock:InferenceProfileArn']).toSatisfy(
      (value: unknown) => JSON.stringify(value).includes(`inference-profile/${modelId}`),
    );
  });
});

describe('dead-letter queue consumer', () => {
  const { stack, template } = synthDefaultStack();

  it('may only read and update jobs and consume the dead-letter queue', () => {
    expect(roleActions(template, logicalId(stack.background.dlqConsumer.role))).toEqual(
      [...BASELINE_ACTIONS, ...CONSUME_ACTIONS, 'dynamodb:GetItem', 'dynamodb:UpdateItem'].sort(),
    );
  });

  it('polls the dead-letter queue with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.queues.deadLetterQueue), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.background.dlqConsumer.function) },
      BatchSize: DLQ_CONSUMER.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('times out after DLQ_CONSUMER.timeoutSeconds', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.background.dlqConsumer.function)];
    expect(fn?.Properties.Timeout).toBe(DLQ_CONSUMER.timeoutSeconds);
  });
});

describe('reconciler', () => {
  const { stack, template } = synthDefaultStack();
  const role = logicalId(stack.background.reconciler.role);

  it('may query the due index, read and update jobs and send to the jobs queue, and nothing else', () => {
    expect(roleActions(template, role)).toEqual(
      [...BASELINE_ACTIONS, 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'sqs:SendMessage'].sort(),
    );
  });

  it('queries only the byDue index (and the table), not the owner index', () => {
    const tableArn = `\${${logicalId(stack.jobsTable.table)}.Arn}`;
    const query = roleStatements(template, role).filter((statement) => actionsOf(statement).includes('dynamodb:Query'));
    expect(query.flatMap(resourcesOf).sort()).toEqual([tableArn, `${tableArn}/index/${JOBS_TABLE.dueIndex.name}`].sort());
  });

  it(`runs every ${RECONCILER.scheduleMinutes} minutes with a ${RECONCILER.timeoutSeconds}s timeout`, () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${RECONCILER.scheduleMinutes} minutes)`,
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.background.reconciler.function), 'Arn'] } })],
    });
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.background.reconciler.function)];
    expect(fn?.Properties.Timeout).toBe(RECONCILER.timeoutSeconds);
  });
});
