/**
 * What a job costs, per job profile: DynamoDB write and read units (table and each index, as
 * DynamoDB bills them, computed from the items before and after every write), S3 and SQS requests,
 * API requests and Lambda invocations, and the cost per million jobs at on-demand prices, for the
 * documented client: one create, then a poll every 3 s for 15 s (two polls while PENDING, two
 * while PROCESSING, one that finds it COMPLETED). Then what one poll reads and answers: the full
 * record, /status, and each with If-None-Match (a 304).
 *
 * The real handlers run on the embedded engines (dynalite, fauxqs) through the integration
 * harness; the model is scripted (Bedrock's own price is not included). Jobs run one at a time so
 * every write is measured alone.
 *
 *   npx tsx bench/capacity.ts
 */
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { JobView } from '../lambdas/domain/job.ts';
import type { ModelRequest, ModelResponse, StructuredModel, StructuredRequest, StructuredResponse } from '../lambdas/domain/model.ts';
import { typeQuotaLimits } from '../lambdas/domain/job-types.ts';
import { JOB_TYPE_DEFINITIONS } from '../lambdas/job-types/definitions.ts';
import { ENV, JOBS_TABLE, JOBS_TABLE_INDEXES, QUOTAS } from '../lambdas/shared/resources.ts';
import { NonRetryableError } from '../lambdas/domain/errors.ts';
import { jobQueueFrom } from '../lambdas/shared/queue-wiring.ts';
import { jobStoreFrom } from '../lambdas/shared/wiring.ts';
import { FailedJobs } from '../lambdas/use-cases/failed-jobs.ts';
import { silentLogger } from '../test/support/fakes.ts';
import { startHarness, type JobsClient } from '../test/support/harness.ts';
import { minimalPdf } from '../test/support/pdf.ts';
import { itemSize, PRICES, queryReadUnits, readUnits, toItem, writeUnits, type TableShape } from './support/dynamodb-billing.ts';

process.env.TEST_LOG_LEVEL ??= 'silent';

const TABLE: TableShape = { partitionKey: JOBS_TABLE.partitionKey, indexes: JOBS_TABLE_INDEXES };

/** us-east-1 on demand (DESIGN.md). */
const PRICE = {
  apiRequest: 3.5e-6,
  lambdaRequest: 0.2e-6,
  lambdaGbSecond: 0.0000133334,
  sqsRequest: 0.4e-6,
  s3Put: 0.005e-3,
  s3Get: 0.0004e-3,
};
/** Assumed Lambda durations (not measured here): API functions 256 MB × 50 ms; the worker 512 MB × 300 ms plus the model's time (not counted). */
const LAMBDA_GB_SECONDS = { api: 0.25 * 0.05, worker: 0.5 * 0.3 };

interface Tally {
  wcu: Record<string, number>;
  rcu: number;
  rcuWhileRunning: number[];
  s3Put: number;
  s3Get: number;
  sqs: number;
  api: number;
  workerInvocations: number;
  modelCalls: number;
}

const emptyTally = (): Tally => ({
  wcu: Object.fromEntries([['table', 0], ...TABLE.indexes.map((index) => [index.name, 0])]),
  rcu: 0,
  rcuWhileRunning: [],
  s3Put: 0,
  s3Get: 0,
  sqs: 0,
  api: 0,
  workerInvocations: 0,
  modelCalls: 0,
});
let tally = emptyTally();
let counting = false;
let nested = false;

// The per-type limits as the stack passes them (the types' own: PARSE_DOCUMENT 10).
const TYPE_LIMITS = typeQuotaLimits(JOB_TYPE_DEFINITIONS, undefined, 'the types');
const harness = await startHarness({ env: { [ENV.maxActiveJobsPerCallerByType]: JSON.stringify(TYPE_LIMITS) } });
const raw = harness.infra.doc;

/** The item as it is now (not counted). */
async function snapshot(key: Record<string, unknown>) {
  nested = true;
  try {
    const { Item } = await raw.send(new GetCommand({ TableName: harness.infra.tableName, Key: key, ConsistentRead: true }));
    return Item ? toItem(Item) : undefined;
  } finally {
    nested = false;
  }
}

// Every SDK client inherits `send` from the same smithy Client prototype: measure there.
const proto = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (...args: unknown[]) => Promise<any> };
const original = proto.send;
proto.send = async function (this: unknown, command: { constructor: { name: string }; input: any }, ...rest: unknown[]) {
  if (!counting || nested) return original.call(this, command, ...rest);
  const name = command.constructor.name;
  if (name === 'PutCommand' || name === 'UpdateCommand') {
    const key = command.input.Key ?? { id: command.input.Item.id };
    const before = await snapshot(key);
    let failed = false;
    try {
      return await original.call(this, command, ...rest);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const after = failed ? before : await snapshot(key);
      const units = writeUnits(before, after, TABLE);
      tally.wcu.table! += units.table;
      for (const [index, value] of Object.entries(units.indexes)) tally.wcu[index] = (tally.wcu[index] ?? 0) + (failed ? 0 : value);
    }
  }
  const result = await original.call(this, command, ...rest);
  if (name === 'GetCommand') tally.rcu += readUnits(result.Item ? itemSize(toItem(result.Item)) : 0, command.input.ConsistentRead === true);
  if (name === 'BatchGetCommand') {
    for (const items of Object.values(result.Responses ?? {}) as Record<string, unknown>[][]) {
      for (const item of items) tally.rcu += readUnits(itemSize(toItem(item)), true);
    }
  }
  if (name === 'QueryCommand') tally.rcu += queryReadUnits((await evaluatedEntries(this, command, result)).map((item) => toItem(item)), false);
  if (name === 'PutObjectCommand' || command instanceof CopyObjectCommand) tally.s3Put++;
  if (name === 'GetObjectCommand' || name === 'HeadObjectCommand') tally.s3Get++;
  if (/^(SendMessage|ReceiveMessage|DeleteMessage|DeleteMessageBatch|ChangeMessageVisibility)Command$/.test(name)) tally.sqs++;
  return result;
} as typeof proto.send;

/**
 * The index entries a Query read, which it is billed for: those it returned, or, for a COUNT, a
 * filtered Query or one with a ProjectionExpression (which return fewer entries, or less of each),
 * the same Query again without them (not counted).
 */
async function evaluatedEntries(client: unknown, command: { input: any }, result: { Items?: Record<string, unknown>[] }): Promise<Record<string, unknown>[]> {
  if (command.input.Select !== 'COUNT' && !command.input.FilterExpression && !command.input.ProjectionExpression) return result.Items ?? [];
  const { Select: _select, FilterExpression: _filter, ProjectionExpression: _projection, ...input } = command.input;
  const names = { ...input.ExpressionAttributeNames };
  const values = { ...input.ExpressionAttributeValues };
  // Placeholders only the filter or the projection used must go too, or DynamoDB refuses the request.
  for (const key of Object.keys(names)) if (!String(input.KeyConditionExpression).includes(key)) delete names[key];
  for (const key of Object.keys(values)) if (!String(input.KeyConditionExpression).includes(key)) delete values[key];
  nested = true;
  try {
    const again = await original.call(client, new QueryCommand({ ...input, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
    return again.Items ?? [];
  } finally {
    nested = false;
  }
}

/** A scripted model that polls the job twice while it is PROCESSING, then answers. */
function model(text: string, structured: (request: StructuredRequest) => unknown, whileRunning: () => Promise<void>): StructuredModel {
  const reply = (request: ModelRequest): ModelResponse => ({ text, modelId: 'bench.model', usage: { inputTokens: request.prompt.length, outputTokens: 50 }, stopReason: 'end_turn', latencyMs: 1 });
  return {
    async generate(request) {
      tally.modelCalls++;
      await whileRunning();
      return reply(request);
    },
    async generateStructured(request): Promise<StructuredResponse> {
      tally.modelCalls++;
      await whileRunning();
      const { text: _text, ...rest } = reply(request);
      return { ...rest, value: structured(request) };
    },
  };
}

/** A poll as the documented client makes it; its read units count as "while running" when the job is not finished. */
async function poll(user: JobsClient, id: string): Promise<JobView> {
  const before = tally.rcu;
  tally.api++;
  const job = await user.job(id);
  if (job.status === 'PENDING' || job.status === 'PROCESSING') tally.rcuWhileRunning.push(tally.rcu - before);
  return job;
}

const PARSED = {
  title: 'Harvest plan',
  summary: 'When and how to bring the harvest in, and what could go wrong.',
  sections: Array.from({ length: 6 }, (_, n) => ({ heading: `Section ${n + 1}`, text: 'The harvest should start in late September. '.repeat(4) })),
};
const structured = (request: StructuredRequest) => {
  if (request.tool.name === 'record_document_structure') return PARSED;
  if (request.tool.name === 'record_risks') return { risks: [{ category: 'schedule', description: 'Late start.', likelihood: 'medium', impact: 'high', mitigation: 'Book crews early.' }] };
  return { title: 'Report', markdown: '# Report\n\nAll is well. '.repeat(20) };
};

/** Runs one job the documented way; returns its id. */
async function runJob(
  user: JobsClient,
  type: string,
  input: Record<string, unknown>,
  reply = 'A short answer. '.repeat(20),
  headers: Record<string, string> = {},
): Promise<string> {
  tally.api++;
  const created = await user.create({ type, input }, { headers });
  if (created.status !== 202) throw new Error(`create ${type} answered ${created.status}: ${JSON.stringify(created.json)}`);
  const id = created.json.id as string;
  await poll(user, id);
  await poll(user, id);
  let polls = 0;
  const worker = harness.worker(
    model(reply, structured, async () => {
      if (polls++ === 0) {
        await poll(user, id);
        await poll(user, id);
      }
    }),
  );
  const report = await harness.drainJobs(worker);
  tally.workerInvocations += new Set(report.deliveries.map((delivery) => delivery.receivedAt)).size;
  const finished = await poll(user, id);
  if (finished.status !== 'COMPLETED') throw new Error(`${type} ended ${finished.status}: ${finished.error}`);
  return id;
}

async function profile(label: string, jobs: number, run: (user: JobsClient) => Promise<void>): Promise<void> {
  await harness.infra.reset();
  const user = harness.newUser();
  tally = emptyTally();
  counting = true;
  try {
    await run(user);
  } finally {
    counting = false;
  }
  const per = (value: number) => value / jobs;
  const wcu = Object.values(tally.wcu).reduce((sum, value) => sum + value, 0);
  const lambda = tally.api + tally.workerInvocations;
  const dollars = {
    apiGateway: tally.api * PRICE.apiRequest,
    lambda: lambda * PRICE.lambdaRequest + (tally.api * LAMBDA_GB_SECONDS.api + tally.workerInvocations * LAMBDA_GB_SECONDS.worker) * PRICE.lambdaGbSecond,
    dynamodb: wcu * PRICES.writeRequestUnit + tally.rcu * PRICES.readRequestUnit,
    sqs: tally.sqs * PRICE.sqsRequest,
    s3: tally.s3Put * PRICE.s3Put + tally.s3Get * PRICE.s3Get,
  };
  const total = Object.values(dollars).reduce((sum, value) => sum + value, 0);
  const million = (value: number) => `$${((value / jobs) * 1e6).toFixed(2)}`;
  const running = tally.rcuWhileRunning;
  console.log(`\n${label}${jobs > 1 ? ` (${jobs} jobs; figures per job)` : ''}`);
  const parts = Object.entries(tally.wcu).map(([name, units]) => `${name} ${per(units).toFixed(1)}`);
  console.log(`  DynamoDB write units  ${per(wcu).toFixed(1)}  (${parts.join(', ')})`);
  console.log(
    `  DynamoDB read units   ${per(tally.rcu).toFixed(1)}  (a poll while running: ${running.length ? `${Math.min(...running)}–${Math.max(...running)}` : 'n/a'})`,
  );
  console.log(`  S3 requests           ${per(tally.s3Put).toFixed(1)} PUT/COPY, ${per(tally.s3Get).toFixed(1)} GET/HEAD`);
  console.log(`  SQS requests          ${per(tally.sqs).toFixed(1)}  (the send, and the event source's receive, delete and visibility calls)`);
  console.log(`  API requests          ${per(tally.api).toFixed(1)};  Lambda invocations ${per(lambda).toFixed(1)};  model calls ${per(tally.modelCalls).toFixed(1)}`);
  console.log(
    `  per million jobs      ${million(total)}  = API Gateway ${million(dollars.apiGateway)} + Lambda ${million(dollars.lambda)} + DynamoDB ${million(dollars.dynamodb)} + SQS ${million(dollars.sqs)} + S3 ${million(dollars.s3)}  (Bedrock not included)`,
  );
}

/** Bytes of an answer as the handler gives it: the body and `name: value` header lines. */
function answerBytes(response: { json: unknown; headers: Readonly<Record<string, string>> }): { body: number; headers: number } {
  const body = response.json === undefined ? 0 : Buffer.byteLength(JSON.stringify(response.json));
  const headers = Object.entries(response.headers).reduce((sum, [name, value]) => sum + Buffer.byteLength(`${name}: ${value}\r\n`), 0);
  return { body, headers };
}

/** One poll of each kind on a job: read units and bytes answered. */
async function pollFigures(): Promise<void> {
  await harness.infra.reset();
  const user = harness.newUser();
  const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'List three risks of a late harvest' } });
  const id = created.json.id as string;
  const measure = async (label: string, route: 'get-job' | 'get-job-status', headers: Record<string, string> = {}) => {
    tally = emptyTally();
    counting = true;
    const response = await user.call(route, { id, headers });
    counting = false;
    const bytes = answerBytes(response);
    console.log(`  ${label.padEnd(46)} ${response.status}  ${tally.rcu} read unit(s)  body ${String(bytes.body).padStart(4)} B  headers ${bytes.headers} B`);
    return response;
  };
  for (const phase of ['PENDING', 'COMPLETED'] as const) {
    if (phase === 'COMPLETED') await harness.drainJobs(harness.worker(model('A short answer. '.repeat(20), structured, async () => {})));
    console.log(`
A poll of an AI_PREVIEW job while ${phase}`);
    const full = await measure('GET /api/jobs/{id}', 'get-job');
    await measure('GET /api/jobs/{id} with If-None-Match (its ETag)', 'get-job', { 'If-None-Match': full.headers.etag! });
    const status = await measure('GET /api/jobs/{id}/status', 'get-job-status');
    await measure('GET /api/jobs/{id}/status with If-None-Match', 'get-job-status', { 'If-None-Match': status.headers.etag! });
  }
  console.log('  (every poll is one API request, one Lambda invocation and one GetItem: a 304 saves the bytes, not the read)');
}

try {
  console.log('Cost per job, measured through the handlers on the embedded engines; prices: us-east-1 on demand (DESIGN.md).');
  console.log(`Lambda duration is assumed (API 256 MB × 50 ms, worker 512 MB × 300 ms + model time), not measured.`);

  await profile('AI_PREVIEW, short prompt', 1, async (user) => {
    await runJob(user, 'AI_PREVIEW', { prompt: 'List three risks of a late harvest' });
  });
  await profile('AI_PREVIEW, 15 KB prompt', 1, async (user) => {
    await runJob(user, 'AI_PREVIEW', { prompt: 'Summarise: '.padEnd(15 * 1024, 'lorem ipsum ') });
  });
  await profile('PARSE_DOCUMENT, 100 KB text', 1, async (user) => {
    await runJob(user, 'PARSE_DOCUMENT', { text: `# Harvest plan\n\n${'The harvest starts in late September. '.repeat(2800)}`.slice(0, 100 * 1024) });
  });
  await profile('PARSE_DOCUMENT, 4 MB PDF uploaded', 1, async (user) => {
    const pdf = minimalPdf('Harvest plan', { paddingBytes: 4 * 1024 * 1024 });
    tally.api++;
    const ticket = await user.call('create-upload', { body: { name: 'plan.pdf', contentType: 'application/pdf', size: pdf.byteLength } });
    if (ticket.status !== 201) throw new Error(`upload answered ${ticket.status}: ${JSON.stringify(ticket.json)}`);
    const put = await fetch(ticket.json.url, { method: 'PUT', headers: { 'Content-Type': 'application/pdf' }, body: pdf });
    if (put.status !== 200) throw new Error(`the presigned PUT answered ${put.status}`);
    tally.s3Put++; // the client's PUT
    await runJob(user, 'PARSE_DOCUMENT', { document: { uploadId: ticket.json.uploadId, format: 'pdf' } });
  });
  await profile('a chain: PARSE_DOCUMENT (10 KB) → RISK_ANALYSIS → REPORT_GENERATION', 3, async (user) => {
    const parse = await runJob(user, 'PARSE_DOCUMENT', { text: 'The harvest starts in late September. '.repeat(270) });
    const risk = await runJob(user, 'RISK_ANALYSIS', { sourceJobIds: [parse] });
    await runJob(user, 'REPORT_GENERATION', { sourceJobIds: [parse, risk] });
  });

  // Flow control (README "Idempotent creates", "Result reuse"): what the request itself costs.
  const prompt = 'List three risks of a late harvest';
  await profile('AI_PREVIEW, short prompt, sent with an Idempotency-Key (the first request)', 1, async (user) => {
    await runJob(user, 'AI_PREVIEW', { prompt }, undefined, { 'Idempotency-Key': 'bench-first' });
  });
  await profile('a replayed create: the same request and Idempotency-Key again (the job COMPLETED); only the replay counted', 1, async (user) => {
    const key = { 'Idempotency-Key': 'bench-replay' };
    await runJob(user, 'AI_PREVIEW', { prompt }, undefined, key);
    tally = emptyTally();
    tally.api++;
    const replay = await user.create({ type: 'AI_PREVIEW', input: { prompt } }, { headers: key });
    if (replay.status !== 200 || replay.headers['idempotent-replayed'] !== 'true') throw new Error(`the replay answered ${replay.status}`);
  });
  const text = `# Harvest plan\n\n${'The harvest starts in late September. '.repeat(2800)}`.slice(0, 100 * 1024);
  await profile('a reused result: PARSE_DOCUMENT (100 KB text: input stored in S3, result in the record) created with reuse, then one poll; only those counted', 1, async (user) => {
    await runJob(user, 'PARSE_DOCUMENT', { text });
    tally = emptyTally();
    tally.api++;
    const reused = await user.create({ type: 'PARSE_DOCUMENT', input: { text }, reuse: { maxAgeSeconds: 3600 } });
    if (reused.status !== 201 || reused.json.fromCache !== true) throw new Error(`the reuse answered ${reused.status}: ${JSON.stringify(reused.json)}`);
    await poll(user, reused.json.id);
  });
  await profile(`a create by a caller with ${QUOTAS.defaultMaxActiveJobsPerCaller - 1} unfinished jobs (the quota's count reads them all); only that create counted`, 1, async (user) => {
    for (let n = 1; n < QUOTAS.defaultMaxActiveJobsPerCaller; n++) await user.create({ type: 'AI_PREVIEW', input: { prompt: `backlog ${n}` } });
    tally = emptyTally();
    tally.api++;
    const last = await user.create({ type: 'AI_PREVIEW', input: { prompt } });
    if (last.status !== 202) throw new Error(`the last create answered ${last.status}`);
    counting = false;
    const refused = await user.create({ type: 'AI_PREVIEW', input: { prompt } });
    if (refused.status !== 429) throw new Error(`a create beyond the quota answered ${refused.status}`);
  });
  const parseLimit = TYPE_LIMITS.PARSE_DOCUMENT!;
  const backlog = QUOTAS.defaultMaxActiveJobsPerCaller - 1;
  await profile(`a PARSE_DOCUMENT create by a caller with ${backlog} unfinished jobs, ${parseLimit - 1} of them PARSE_DOCUMENT (its own limit ${parseLimit} reads the same entries with their type); only that create counted`, 1, async (user) => {
    for (let n = 1; n < parseLimit; n++) await user.create({ type: 'PARSE_DOCUMENT', input: { text: `backlog document ${n}` } });
    let preview = '';
    for (let n = parseLimit; n <= backlog; n++) preview = (await user.create({ type: 'AI_PREVIEW', input: { prompt: `backlog ${n}` } })).json.id;
    tally = emptyTally();
    tally.api++;
    const last = await user.create({ type: 'PARSE_DOCUMENT', input: { text: 'the last document' } });
    if (last.status !== 202) throw new Error(`the last create answered ${last.status}: ${JSON.stringify(last.json)}`);
    counting = false;
    await user.cancel(preview); // room under the overall quota: the type's own limit refuses
    const refused = await user.create({ type: 'PARSE_DOCUMENT', input: { text: 'one document too many' } });
    if (refused.status !== 429 || refused.json.jobType !== 'PARSE_DOCUMENT') throw new Error(`a create beyond the type's limit answered ${refused.status}: ${JSON.stringify(refused.json)}`);
  });

  await profile('AI_PREVIEW that fails at once (non-retryable), found by `npm run ops -- list` and redriven to COMPLETED: the byFailed index costs 1 write unit when a job fails and 1 when it leaves', 1, async (user) => {
    tally.api++;
    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'List three risks of a late harvest' } });
    const id = created.json.id as string;
    const failing: StructuredModel = {
      generate: async () => {
        tally.modelCalls++;
        throw new NonRetryableError('Bedrock API error: ValidationException - bench');
      },
      generateStructured: async () => {
        throw new NonRetryableError('not used');
      },
    };
    const first = await harness.drainJobs(harness.worker(failing));
    tally.workerInvocations += new Set(first.deliveries.map((delivery) => delivery.receivedAt)).size;
    if ((await poll(user, id)).status !== 'FAILED') throw new Error('the job did not fail');
    const operator = new FailedJobs({ store: jobStoreFrom(process.env), queue: jobQueueFrom(process.env), logger: silentLogger });
    const window = { since: new Date(Date.now() - 3_600_000).toISOString(), until: new Date(Date.now() + 60_000).toISOString(), limit: 100 };
    const rcuBefore = tally.rcu;
    if (!(await operator.list(window)).jobs.some((job) => job.id === id)) throw new Error('ops list did not find the failed job');
    console.log(`\n  (npm run ops -- list: ${tally.rcu - rcuBefore} read units for one failed job: one Query per shard of byFailed (${JOBS_TABLE.failedIndex.shards}, each at least 0.5 unit) and the record)`);
    const { results } = await operator.redrive({ ids: [id] }, { dryRun: false });
    if (results[0]?.outcome !== 'redriven') throw new Error(`redrive: ${JSON.stringify(results)}`);
    const second = await harness.drainJobs(harness.worker(model('A short answer. '.repeat(20), structured, async () => {})));
    tally.workerInvocations += new Set(second.deliveries.map((delivery) => delivery.receivedAt)).size;
    if ((await poll(user, id)).status !== 'COMPLETED') throw new Error('the redriven job did not complete');
  });

  await pollFigures();
} finally {
  await harness.stop();
}
