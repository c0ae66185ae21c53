import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createDlqHandler, wireDlqConsumer } from '../../../lambdas/dlq/handler.ts';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';
import type { Model } from '../../../lambdas/domain/model.ts';
import { JOB_TYPE_DEFINITIONS } from '../../../lambdas/job-types/definitions.ts';
import { createJobTypes } from '../../../lambdas/job-types/processors.ts';
import { encodeJobMessage } from '../../../lambdas/shared/messages.ts';
import { createWorkerHandler, wireWorker } from '../../../lambdas/worker/handler.ts';
import { RecordingLogger } from '../../support/fakes.ts';
import { JOB_ID, jobItem, writtenValues } from '../../support/items.ts';
import { WORKER } from '../../../lambdas/shared/resources.ts';

const message = (jobId: string) => encodeJobMessage({ jobId, generation: 0 });

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const ID = JOB_ID;
const OTHER = '550e8400-e29b-41d4-a716-446655440001';

function record(body: string, messageId = `m-${Math.random()}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:jobs-unit-high',
    awsRegion: 'us-east-1',
  };
}

const claimed = (id: string, attempts = 1) => jobItem({ id, status: 'PROCESSING', attempts, runId: 'r' });

let model: Model;
// The worker's Lambda timeout: room for more than one job of the batch.
const context = { getRemainingTimeInMillis: () => WORKER.timeoutSeconds * 1000 };

function worker() {
  const types = createJobTypes({
    model: {
      generate: (request) => model.generate(request),
      generateStructured: () => Promise.reject(new Error('AI_PREVIEW never asks for structured output')),
    },
  });
  return createWorkerHandler(
    wireWorker(types, { ...process.env, RETRY_BASE_DELAY_SECONDS: '8', RETRY_MAX_DELAY_SECONDS: '8' }),
  );
}

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  model = {
    generate: async () => ({ text: 'ok', modelId: 'm', usage: { inputTokens: 1, outputTokens: 2 }, stopReason: 'end_turn', latencyMs: 5 }),
  };
});

describe('worker handler', () => {
  it('completes a claimed job and reports no failures', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: claimed(ID) });
    const response = await worker()({ Records: [record(message(ID))] } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([]);
    // The claim first, the outcome last: COMPLETED with the model's answer.
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(new Set(updates.map((update) => update.Key?.id))).toEqual(new Set([ID]));
    expect(writtenValues(updates[0]!)).toContain('PROCESSING');
    expect(writtenValues(updates.at(-1)!)).toEqual(expect.arrayContaining(['COMPLETED', expect.objectContaining({ output: 'ok' })]));
  });

  it('reports only the retryable message as a batch failure and delays its next delivery', async () => {
    ddb.on(UpdateCommand).callsFake((input) => ({
      Attributes: { ...claimed(input.Key.id), input: { prompt: input.Key.id === OTHER ? 'throttle' : 'fine' } },
    }));
    model = {
      generate: async (request) => {
        if (request.prompt === 'throttle') throw new RetryableError('Bedrock API error: ThrottlingException - Rate exceeded');
        return { text: 'ok', modelId: 'm', usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'end_turn', latencyMs: 1 };
      },
    };
    const response = await worker()(
      { Records: [record(message(ID), 'ok'), record(message(OTHER), 'retry')] } as SQSEvent,
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'retry' }]);
    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input);
    expect(visibility).toHaveLength(1);
    expect(visibility[0]!.ReceiptHandle).toBe('rh-retry');
    // In the queue the message came from: the high band's here.
    expect(visibility[0]!.QueueUrl).toBe(process.env.JOBS_QUEUE_URL_HIGH);
    // Equal jitter: between half the ceiling (8 s) and the ceiling.
    expect(visibility[0]!.VisibilityTimeout).toBeGreaterThanOrEqual(4);
    expect(visibility[0]!.VisibilityTimeout).toBeLessThanOrEqual(8);
  });

  it('acknowledges a non-retryable failure after recording FAILED', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: claimed(ID) });
    model = { generate: async () => { throw new NonRetryableError('Bedrock API error: AccessDeniedException - no access'); } };
    const response = await worker()({ Records: [record(message(ID))] } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(writtenValues(ddb.commandCalls(UpdateCommand).at(-1)!.args[0].input)).toEqual(
      expect.arrayContaining(['FAILED', 'Bedrock API error: AccessDeniedException - no access']),
    );
  });

  it('acknowledges a duplicate delivery of a finished job without calling the model', async () => {
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' }));
    ddb.on(GetCommand).resolves({ Item: { ...claimed(ID), status: 'COMPLETED' } });
    let calls = 0;
    model = { generate: async () => { calls++; throw new Error('must not run'); } };
    const response = await worker()({ Records: [record(message(ID))] } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toBe(0);
  });

  it('discards a message that carries no job id instead of looping on it', async () => {
    const response = await worker()({ Records: [record('garbage')] } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('runs its batch one job at a time: one model call in flight per instance', async () => {
    const ids = [ID, OTHER, '550e8400-e29b-41d4-a716-446655440002'];
    ddb.on(UpdateCommand).callsFake((input) => ({ Attributes: claimed(input.Key.id) }));
    let inFlight = 0;
    let most = 0;
    model = {
      generate: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return { text: 'ok', modelId: 'm', usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'end_turn', latencyMs: 5 };
      },
    };
    const response = await worker()({ Records: ids.map((id) => record(message(id))) } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(most).toBe(1);
    // In the batch's order, each job's writes (claim … outcome) before the next one's.
    const written = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key?.id);
    expect(written.filter((id, n) => id !== written[n - 1])).toEqual(ids);
  });

  it('returns the rest of the batch unstarted, visible at once, when less than the longest attempt is left', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const ids = [ID, OTHER, '550e8400-e29b-41d4-a716-446655440002'];
      ddb.on(UpdateCommand).callsFake((input) => ({ Attributes: claimed(input.Key.id) }));
      model = {
        generate: async () => {
          vi.setSystemTime(Date.now() + 5_000); // the first job's model call takes 5 s
          return { text: 'ok', modelId: 'm', usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'end_turn', latencyMs: 5_000 };
        },
      };
      // Room for the longest type (90 s) and the finish margin (10 s), plus 1 s: enough for one job.
      const tight = { getRemainingTimeInMillis: () => 101_000 };
      const response = await worker()({ Records: ids.map((id, n) => record(message(id), `m${n}`)) } as SQSEvent, tight);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
      const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input);
      expect(visibility.map((input) => [input.ReceiptHandle, input.VisibilityTimeout])).toEqual([['rh-m1', 0], ['rh-m2', 0]]);
      // Never claimed: no attempt spent on them.
      expect(new Set(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key?.id))).toEqual(new Set([ID]));
    } finally {
      vi.useRealTimers();
    }
  });

  it('gets batches no larger than the jobs that fit one after another, each with its full timeout', () => {
    const longest = Math.max(...JOB_TYPE_DEFINITIONS.map((type) => type.timeoutSeconds));
    expect(WORKER.batchSize * longest + WORKER.finishMarginSeconds).toBeLessThanOrEqual(WORKER.timeoutSeconds);
  });

  it('returns the message when DynamoDB is unavailable, to be delivered again', async () => {
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const response = await worker()({ Records: [record(message(ID), 'x')] } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'x' }]);
  });
});

describe('DLQ handler', () => {
  it('marks an unfinished job FAILED', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...claimed(ID), status: 'PENDING', runId: undefined } });
    ddb.on(UpdateCommand).resolves({ Attributes: {} });
    const handler = createDlqHandler(wireDlqConsumer());
    const response = await handler({ Records: [record(message(ID))] } as SQSEvent);
    expect(response.batchItemFailures).toEqual([]);
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates.map((update) => update.Key)).toEqual([{ id: ID }]);
    expect(writtenValues(updates[0]!)).toEqual(expect.arrayContaining(['FAILED', expect.stringContaining('delivered repeatedly')]));
  });

  it('leaves a completed job untouched', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...claimed(ID), status: 'COMPLETED' } });
    const handler = createDlqHandler(wireDlqConsumer());
    await handler({ Records: [record(message(ID))] } as SQSEvent);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe('request id in the consumers\' log lines', () => {
  const REQUEST_ID = 'c6af9ac6-7b61-11e6-9a41-93e812345678';

  it("the DLQ consumer logs the dead-lettered job with the create's request id from its message", async () => {
    ddb.on(GetCommand).resolves({ Item: { ...claimed(ID), status: 'PENDING', runId: undefined } });
    ddb.on(UpdateCommand).resolves({ Attributes: {} });
    const logger = new RecordingLogger();
    const handler = createDlqHandler({ ...wireDlqConsumer(), logger });
    await handler({ Records: [record(encodeJobMessage({ jobId: ID, generation: 0, requestId: REQUEST_ID }))] } as SQSEvent);
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'dead-lettered job', fields: expect.objectContaining({ jobId: ID, requestId: REQUEST_ID }) }));
  });

  it('the worker logs a message it cannot handle with the request id it carries', async () => {
    ddb.on(UpdateCommand).rejects(new Error('table unavailable'));
    const logger = new RecordingLogger();
    const deps = wireWorker(createJobTypes({ model: { generate: (request) => model.generate(request), generateStructured: () => Promise.reject(new Error('unused')) } }));
    const handler = createWorkerHandler({ ...deps, logger });
    await handler({ Records: [record(encodeJobMessage({ jobId: ID, generation: 0, requestId: REQUEST_ID }))] } as SQSEvent, context);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ message: 'message handling failed; it will be delivered again', fields: expect.objectContaining({ jobId: ID, requestId: REQUEST_ID }) }),
    );
  });
});

describe('job messages', () => {
  it('round-trip the job id and generation, and read a message without generation as run 0', async () => {
    const { decodeJobMessage, encodeJobMessage } = await import('../../../lambdas/shared/messages.ts');
    expect(decodeJobMessage(encodeJobMessage({ jobId: ID, generation: 2 }))).toEqual({ jobId: ID, generation: 2 });
    expect(decodeJobMessage(JSON.stringify({ jobId: ID.toUpperCase(), generation: 1 }))).toEqual({ jobId: ID, generation: 1 });
  });

  it("carry the create's request id when there is one; a message without it reads as before", async () => {
    const { decodeJobMessage, encodeJobMessage } = await import('../../../lambdas/shared/messages.ts');
    const requestId = 'c6af9ac6-7b61-11e6-9a41-93e812345678';
    expect(JSON.parse(encodeJobMessage({ jobId: ID, generation: 0, requestId }))).toEqual({ jobId: ID, generation: 0, requestId });
    expect(decodeJobMessage(encodeJobMessage({ jobId: ID, generation: 0, requestId }))).toEqual({ jobId: ID, generation: 0, requestId });
    expect(decodeJobMessage(JSON.stringify({ jobId: ID, generation: 0 }))).toEqual({ jobId: ID, generation: 0 });
    // A request id that is not one (too long, odd characters) is left out, the message still read.
    expect(decodeJobMessage(JSON.stringify({ jobId: ID, generation: 0, requestId: 'x'.repeat(200) }))).toEqual({ jobId: ID, generation: 0 });
    expect(decodeJobMessage(JSON.stringify({ jobId: ID, generation: 0, requestId: 'a\nb' }))).toEqual({ jobId: ID, generation: 0 });
  });

  it.each(['{}', 'null', '[]', '{"jobId":"nope"}', `{"jobId":"${ID}"}`, `{"jobId":"${ID}","generation":-1}`, `{"jobId":"${ID}","generation":"1"}`])(
    'refuse %s',
    async (body) => {
      const { decodeJobMessage } = await import('../../../lambdas/shared/messages.ts');
      expect(decodeJobMessage(body)).toBeUndefined();
    },
  );
});
