/**
 * The whole product on one machine, no AWS account and no Docker: the same handler modules as in
 * AWS, behind a local gateway built from the route table, on embedded DynamoDB (dynalite, kept
 * on disk) and SQS (fauxqs), with a stand-in for the Lambda SQS event source, a scheduled
 * reconciler, a local Cognito-like token issuer and a Bedrock stand-in.
 * With AWS_ENDPOINT_URL set (e.g. LocalStack), that endpoint replaces the embedded engines.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ROUTES, type RouteName } from '../../lambdas/api/routes.ts';
import type { ReconcileReport } from '../../lambdas/use-cases/reconcile-jobs.ts';
import type { Recovery } from '../../lambdas/reconciler/handler.ts';
import { JOB_PRIORITIES, type JobPriority } from '../../lambdas/domain/job.ts';
import { typeQuotaLimits } from '../../lambdas/domain/job-types.ts';
import { JOB_TYPE_DEFINITIONS } from '../../lambdas/job-types/definitions.ts';
import { numberEnv } from '../../lambdas/shared/config.ts';
import { BACKGROUND_ENTRIES, DLQ_CONSUMER, ENV, MAX_WORKER_CONCURRENCY, MIN_WORKER_CONCURRENCY, splitWorkerConcurrency, WORKER } from '../../lambdas/shared/resources.ts';
import { startBedrockStandIn } from './bedrock-stand-in.ts';
import type { RepairReport } from './atomic-dynalite.ts';
import { startDynamoEngine, startQueueAndObjectEngines, type Engine } from './engines.ts';
import { createS3Client } from '../../lambdas/adapters/s3-payload-store.ts';
import { startPoller, type Poller, type SqsHandler } from './event-source.ts';
import { startGateway, type Handler } from './gateway.ts';
import { assertQueueReachable, bandQueueEnv, ensureJobQueues, ensureJobsTable, ensurePayloadBucket, ensureWorkspacesTable, jobsTableUpgrade } from './resources.ts';
import { keysDir, PROJECT_ROOT } from './paths.ts';
import { isRunning, writeRuntimeState } from './runtime-state.ts';
import { createLocalVerifier, issueIdToken, loadOrCreateSigningKey } from './tokens.ts';
import { consoleSite } from './console-site.ts';

export { defaultDataDir } from './paths.ts';

/** Resource names used locally (the CDK stack names its own). */
export const LOCAL_NAMES = {
  table: 'async-jobs-local',
  workspacesTable: 'async-jobs-local-workspaces',
  /** The normal band's queue; the others are `<name>-low`, `-high`, `-urgent`. */
  jobsQueue: 'async-jobs-local-jobs',
  dlq: 'async-jobs-local-dlq',
  payloadBucket: 'async-jobs-local-payloads',
};

export interface LocalRuntimeOptions {
  /** Gateway port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  readonly dataDir: string;
  /** Deletes the stored jobs first (keys and secrets are kept, so tokens stay valid). */
  readonly reset?: boolean;
  /** How often the reconciler runs (default RECONCILE_INTERVAL_SECONDS, else 30 s; 5 minutes in AWS). */
  readonly reconcileIntervalMs?: number;
  /** Human-readable log lines. */
  readonly log?: (line: string) => void;
}

export interface LocalRuntime {
  readonly url: string;
  readonly port: number;
  readonly engines: {
    readonly dynamodb: Engine;
    readonly sqs: Engine;
    readonly s3: Engine;
    /** The Bedrock Runtime endpoint the worker calls. */
    readonly bedrock: string;
    /** True when that is our stand-in. */
    readonly bedrockStandIn: boolean;
  };
  /** Unfinished jobs found on start (left by the previous run), settled in the background. */
  readonly backlog: number;
  /** Resolves once every job of the backlog has been settled (each message sent once). */
  readonly recovered: Promise<ReconcileReport>;
  /** What rebuilding the embedded DynamoDB's indexes from its records found on start. */
  readonly repaired: RepairReport | undefined;
  stop(): Promise<void>;
}

type Env = Record<string, string | undefined>;

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? (() => {});
  const stops: (() => Promise<void>)[] = [];
  const env = process.env as Env;
  try {
    mkdirSync(options.dataDir, { recursive: true });
    stops.push(lockDataDir(options.dataDir));
    const dynamoDir = path.join(options.dataDir, 'dynamodb');
    const s3Dir = path.join(options.dataDir, 's3');
    if (options.reset) {
      rmSync(dynamoDir, { recursive: true, force: true });
      rmSync(s3Dir, { recursive: true, force: true });
    }

    // The SDK reads these when a client sends its first request.
    env.AWS_REGION ||= 'us-east-1';
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      env.AWS_ACCESS_KEY_ID = 'local';
      env.AWS_SECRET_ACCESS_KEY = 'local';
    }
    env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';

    // As the stack does at synth: the types' own limits with the variable's over them (a clear
    // error naming an unknown type before anything starts); the handlers get the result.
    const typeLimits = typeQuotaLimits(JOB_TYPE_DEFINITIONS, env[ENV.maxActiveJobsPerCallerByType]?.trim(), `Environment variable ${ENV.maxActiveJobsPerCallerByType}`);
    const tableName = env[ENV.tableName]?.trim() || LOCAL_NAMES.table;
    // A data folder from an older version gets the indexes added since (filled from its records).
    const dynamodb = await startDynamoEngine({ path: dynamoDir, indexes: jobsTableUpgrade(tableName) });
    stops.push(() => dynamodb.stop());
    const { sqs: sqsEngine, s3: s3Engine } = await startQueueAndObjectEngines({ s3Path: s3Dir });
    stops.push(() => sqsEngine.stop());
    stops.push(() => s3Engine.stop());
    if (dynamodb.embedded) env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
    if (sqsEngine.embedded) env.AWS_ENDPOINT_URL_SQS = sqsEngine.endpoint;
    if (s3Engine.embedded) env.AWS_ENDPOINT_URL_S3 = s3Engine.endpoint;
    // fauxqs (and LocalStack) address buckets path-style: no DNS name per bucket on loopback.
    env[ENV.s3ForcePathStyle] ||= 'true';

    const ddb = new DynamoDBClient({ endpoint: dynamodb.endpoint });
    const sqs = new SQSClient({ endpoint: sqsEngine.endpoint });
    const s3 = createS3Client(env, { endpoint: s3Engine.endpoint });
    stops.push(async () => {
      ddb.destroy();
      sqs.destroy();
      s3.destroy();
    });
    await ensureJobsTable(ddb, tableName);
    const workspacesTableName = env[ENV.workspacesTableName]?.trim() || LOCAL_NAMES.workspacesTable;
    await ensureWorkspacesTable(ddb, workspacesTableName);
    const queues = await ensureJobQueues(sqs, { jobs: LOCAL_NAMES.jobsQueue, dlq: LOCAL_NAMES.dlq });
    await assertQueueReachable(queues.jobs.url, sqsEngine.endpoint);
    const workerMaxConcurrency = numberEnv(env, ENV.workerMaxConcurrency, WORKER.maxConcurrency, MIN_WORKER_CONCURRENCY, MAX_WORKER_CONCURRENCY);
    if (!Number.isInteger(workerMaxConcurrency)) throw new Error(`${ENV.workerMaxConcurrency} must be an integer, got ${workerMaxConcurrency}`);
    const payloadBucket = env[ENV.payloadBucket]?.trim() || LOCAL_NAMES.payloadBucket;
    await ensurePayloadBucket(s3, payloadBucket);

    let bedrock = env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME?.trim();
    const bedrockStandIn = !bedrock;
    if (!bedrock) {
      const standIn = await startBedrockStandIn({ log: (line) => log(line) });
      stops.push(() => standIn.close());
      bedrock = standIn.url;
      env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = bedrock;
      // One HTTP call per model call, so `[[fail:Name:n]]` fails exactly n job attempts.
      env[ENV.bedrockMaxAttempts] ||= '1';
    }

    const handlerEnv: Env = {
      [ENV.tableName]: tableName,
      [ENV.workspacesTableName]: workspacesTableName,
      ...bandQueueEnv(queues.bands),
      [ENV.payloadBucket]: payloadBucket,
      [ENV.cursorSecret]: env[ENV.cursorSecret]?.trim() || persistentSecret(options.dataDir),
      [ENV.bedrockModelId]: env[ENV.bedrockModelId]?.trim() || 'amazon.nova-lite-v1:0',
      [ENV.allowedOrigins]: env[ENV.allowedOrigins]?.trim() || '*',
      [ENV.retryBaseDelaySeconds]: env[ENV.retryBaseDelaySeconds]?.trim() || '2',
      [ENV.maxActiveJobsPerCallerByType]: JSON.stringify(typeLimits),
      LOG_LEVEL: env.LOG_LEVEL?.trim() || 'warn',
      // The `service` of log lines and metrics, as the stack's name is in AWS.
      POWERTOOLS_SERVICE_NAME: env.POWERTOOLS_SERVICE_NAME?.trim() || LOCAL_SERVICE_NAME,
    };
    // The metrics' EMF lines are printed at LOG_LEVEL info and debug (as CloudWatch would read them).
    if (env.POWERTOOLS_METRICS_DISABLED === undefined) {
      handlerEnv.POWERTOOLS_METRICS_DISABLED = String(!['info', 'debug'].includes(handlerEnv.LOG_LEVEL!.toLowerCase()));
    }
    Object.assign(env, handlerEnv);

    // The handler modules read the environment when imported: import them only now.
    const handlers = {} as Record<RouteName, Handler>;
    for (const route of ROUTES) handlers[route.name] = await importHandler<Handler>(route.entry);
    const worker = await importHandler<SqsHandler>(BACKGROUND_ENTRIES.worker);
    const dlqConsumer = await importHandler<SqsHandler>(BACKGROUND_ENTRIES.dlqConsumer);
    const reconcilerModule = (await import(path.join(PROJECT_ROOT, BACKGROUND_ENTRIES.reconciler))) as {
      handler: () => Promise<ReconcileReport>;
      recovery: Recovery;
    };
    const reconciler = reconcilerModule.handler;

    // Nothing from before a restart can still be running: read every unfinished job now, before
    // any worker of this process starts, and settle each of them once (PENDING re-sent,
    // PROCESSING counted as a lost attempt) while the API already serves.
    const backlog = await reconcilerModule.recovery.snapshot();

    // As the stack: one event source per priority band with its share of the workers (instances
    // at once, each with a batch of WORKER.batchSize messages, run one job at a time), so at most
    // WORKER_MAX_CONCURRENCY jobs (and model calls) run at once.
    const shares = splitWorkerConcurrency(workerMaxConcurrency);
    const pollers: Poller[] = [
      ...JOB_PRIORITIES.map((band) =>
        startPoller({
          sqs,
          queueUrl: queues.bands[band].url,
          handler: worker,
          batchSize: WORKER.batchSize,
          concurrency: shares[band],
          invocationTimeoutMs: WORKER.timeoutSeconds * 1000,
          log: (message, fields) => log(`worker event source (${band}): ${message} ${describe(fields)}`),
        }),
      ),
      startPoller({
        sqs,
        queueUrl: queues.dlq.url,
        handler: dlqConsumer,
        batchSize: DLQ_CONSUMER.batchSize,
        concurrency: 1,
        invocationTimeoutMs: DLQ_CONSUMER.timeoutSeconds * 1000,
        log: (message, fields) => log(`DLQ event source: ${message} ${describe(fields)}`),
      }),
    ];
    stops.push(async () => {
      await Promise.all(pollers.map((poller) => poller.stop()));
    });
    // One run at a time, as EventBridge with a 60 s function every 5 minutes: a run that takes
    // longer than the interval (a large backlog) is not joined by a second one.
    let reconciling = false;
    const timer = setInterval(() => {
      if (reconciling) return;
      reconciling = true;
      reconciler()
        .catch((error: unknown) => log(`reconciler failed: ${describe({ error })}`))
        .finally(() => (reconciling = false));
    }, options.reconcileIntervalMs ?? reconcileIntervalMs(env));
    timer.unref();
    stops.push(async () => clearInterval(timer));

    const key = loadOrCreateSigningKey(keysDir(options.dataDir));
    const gateway = await startGateway({
      port: options.port,
      handlers,
      verifier: createLocalVerifier(key.jwks),
      allowedOrigins: (handlerEnv[ENV.allowedOrigins] ?? '*').split(',').map((origin) => origin.trim()),
      log,
      // The web console at `/`, built in memory on its first request (esbuild; the job types'
      // schemas as JSON Schema), signing in through the local issuer.
      site: consoleSite({ assets: () => import('../../console/build.ts').then((module) => module.buildConsole()), issueToken: (username) => issueIdToken(key, username), tokenLifetimeSeconds: 3600 }),
    });
    stops.push(() => gateway.close());
    stops.push(
      writeRuntimeState(options.dataDir, {
        pid: process.pid,
        apiUrl: gateway.url,
        region: env.AWS_REGION ?? 'us-east-1',
        dynamodbEndpoint: dynamodb.endpoint,
        sqsEndpoint: sqsEngine.endpoint,
        tableName,
        queueUrls: Object.fromEntries(JOB_PRIORITIES.map((band) => [band, queues.bands[band].url])) as Record<JobPriority, string>,
        dlqUrl: queues.dlq.url,
        bedrockUrl: bedrock,
        bedrockStandIn,
        workerMaxConcurrency,
      }),
    );

    const settling = new AbortController();
    const recovered = reconcilerModule.recovery.settle(backlog, settling.signal);
    let stopped = false;
    return {
      url: gateway.url,
      port: gateway.port,
      engines: { dynamodb, sqs: sqsEngine, s3: s3Engine, bedrock, bedrockStandIn },
      backlog: backlog.length,
      recovered,
      repaired: dynamodb.repaired,
      async stop() {
        if (stopped) return;
        stopped = true;
        // What is not settled yet is still unfinished in the store: the next start settles it.
        settling.abort();
        await recovered.catch(() => {});
        await runStops(stops);
      },
    };
  } catch (error) {
    await runStops(stops).catch(() => {});
    throw error;
  }
}

/** RECONCILE_INTERVAL_SECONDS (0.5 to 3600), else 30 s. */
/** The `service` dimension and log field of `npm run dev` (POWERTOOLS_SERVICE_NAME overrides it). */
export const LOCAL_SERVICE_NAME = 'AsyncJobsLocal';

function reconcileIntervalMs(env: Env): number {
  const raw = env.RECONCILE_INTERVAL_SECONDS?.trim();
  const seconds = raw ? Number(raw) : 30;
  if (!Number.isFinite(seconds) || seconds < 0.5 || seconds > 3600) {
    throw new Error(`RECONCILE_INTERVAL_SECONDS must be a number from 0.5 to 3600, got "${raw}"`);
  }
  return seconds * 1000;
}

async function importHandler<T>(entry: string): Promise<T> {
  const module = (await import(path.join(PROJECT_ROOT, entry))) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${entry} does not export a handler function`);
  return module.handler as T;
}

/**
 * One runtime per data folder: the embedded DynamoDB's files cannot be shared. A lock file names
 * the owner's pid; a lock left by a process that no longer runs is taken over.
 */
function lockDataDir(dataDir: string): () => Promise<void> {
  const file = path.join(dataDir, 'dev.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return async () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
        throw new Error(
          `The data folder ${dataDir} is in use by another npm run dev (pid ${owner}); stop it, or start this one with --data <another folder>`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock the data folder ${dataDir}`);
}

/** A random cursor-signing secret kept in the data folder, so cursors survive restarts. */
function persistentSecret(dataDir: string): string {
  const file = path.join(dataDir, 'cursor-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

function describe(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${value instanceof Error ? `${value.name}: ${value.message}` : String(value)}`)
    .join(' ');
}

/** Stops newest first; every step runs. */
async function runStops(stops: (() => Promise<void>)[]): Promise<void> {
  while (stops.length > 0) {
    try {
      await stops.pop()!();
    } catch {
      // keep stopping the rest
    }
  }
}
