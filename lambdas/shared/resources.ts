/**
 * The shape of the AWS resources, shared by the CDK stack, the local runtime and the tests, so
 * the table, its indexes and the queue settings cannot drift between them.
 * No AWS SDK or CDK imports here.
 */
import { MAX_DOCUMENT_BYTES } from '../domain/bedrock-limits.ts';
import { stableHash } from '../domain/fingerprints.ts';
import { JOB_PRIORITIES, type JobPriority } from '../domain/job.ts';

export const JOBS_TABLE = {
  partitionKey: 'id',
  /** Epoch seconds; set once a job reaches a terminal state. */
  ttlAttribute: 'expiresAt',
  /**
   * The caller's jobs, newest first. It projects only `type` (so `?type=` filters on the index):
   * an entry is written once, when the job is created, and never again; listing reads the page's
   * records themselves.
   */
  ownerIndex: { name: 'byOwner', partitionKey: 'ownerId', sortKey: 'createdAt', nonKeyAttributes: ['type'] },
  /**
   * The caller's jobs by their last status change (`?sort=updatedAt`), keys only. An entry is
   * rewritten (a delete and a put, 1 write unit each) on every status change: created, claimed,
   * requeued, finished, retried; progress reports do not touch it.
   */
  ownerUpdatedIndex: { name: 'byOwnerUpdated', partitionKey: 'ownerId', sortKey: 'statusChangedAt' },
  /**
   * Sparse index of unfinished jobs by the time the reconciler should look at them, keys only.
   * Only PENDING and PROCESSING jobs carry `dueShard`, spread over `shards` partition keys by a
   * hash of the job id, so no one key takes every job's writes; the reconciler reads them all.
   */
  dueIndex: { name: 'byDue', partitionKey: 'dueShard', sortKey: 'dueAt', shards: 64 },
  /**
   * Sparse index of each caller's unfinished jobs: by owner and dueAt, which a job has exactly
   * while it is PENDING or PROCESSING, projecting only `type`. The quota counts it (Query, Select
   * COUNT, Limit = the quota); a type's own limit reads the same entries (at most the quota) and
   * counts those of its type. Written when a job is created or retried and when it finishes (and
   * twice more whenever its dueAt moves: a retry after a failed attempt, a re-send).
   */
  activeIndex: { name: 'byActive', partitionKey: 'ownerId', sortKey: 'dueAt', nonKeyAttributes: ['type'] },
  /**
   * Sparse index for result reuse: jobs of reusable types carry `reuseKey` (a hash of owner, type
   * and canonical input); an entry exists once the job has a completedAt (it finished), sorted by
   * it, with the status projected so only COMPLETED ones are read. Written once when a reusable
   * job finishes (and removed if it is retried); jobs of other types never enter it.
   */
  reuseIndex: { name: 'byReuse', partitionKey: 'reuseKey', sortKey: 'completedAt', nonKeyAttributes: ['status'] },
  /**
   * Sparse index of FAILED jobs of every owner by the time they failed (completedAt), for the
   * operator command (`npm run ops`): only a FAILED job carries `failedShard`, spread over `shards`
   * keys by a hash of its id, projecting `type` so a type filter reads the index only. An entry is
   * written when a job fails and deleted when it is retried or redriven (1 write unit each);
   * no other job ever enters it.
   */
  failedIndex: { name: 'byFailed', partitionKey: 'failedShard', sortKey: 'completedAt', shards: 16, nonKeyAttributes: ['type'] },
} as const;

/** A global secondary index of the jobs table as the stack and the local runtime create it. */
export interface JobsTableIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Keys only, or keys and these attributes. */
  readonly projection: 'KEYS_ONLY' | { readonly include: readonly string[] };
}

const { ownerIndex, ownerUpdatedIndex, dueIndex, activeIndex, reuseIndex, failedIndex } = JOBS_TABLE;

/** Every global secondary index of the jobs table (all key attributes are strings). */
export const JOBS_TABLE_INDEXES: readonly JobsTableIndex[] = [
  { ...pick(ownerIndex), projection: { include: ownerIndex.nonKeyAttributes } },
  { ...pick(ownerUpdatedIndex), projection: 'KEYS_ONLY' },
  { ...pick(dueIndex), projection: 'KEYS_ONLY' },
  { ...pick(activeIndex), projection: { include: activeIndex.nonKeyAttributes } },
  { ...pick(reuseIndex), projection: { include: reuseIndex.nonKeyAttributes } },
  { ...pick(failedIndex), projection: { include: failedIndex.nonKeyAttributes } },
];

function pick(index: { name: string; partitionKey: string; sortKey?: string }): Omit<JobsTableIndex, 'projection'> {
  return { name: index.name, partitionKey: index.partitionKey, ...(index.sortKey ? { sortKey: index.sortKey } : {}) };
}

export type JobsTableIndexName =
  | typeof ownerIndex.name
  | typeof ownerUpdatedIndex.name
  | typeof dueIndex.name
  | typeof activeIndex.name
  | typeof reuseIndex.name
  | typeof failedIndex.name;

export const JOBS_TABLE_INDEX_NAMES: readonly JobsTableIndexName[] = JOBS_TABLE_INDEXES.map((index) => index.name as JobsTableIndexName);

/**
 * The workspaces table: a workspace (`sk` = `WORKSPACE`: name, times, the owner count) and its
 * memberships (`sk` = `MEMBER#<principalId>`: role) share one partition, so a workspace's members
 * are one Query and a membership one strongly consistent GetItem. `byPrincipal` (every attribute:
 * memberships are small) lists a principal's workspaces; only membership items carry
 * `principalId`, so the index is sparse. A table of its own, not the jobs table: the job routes get
 * GetItem on it and nothing else, and the workspace routes get no access to jobs at all.
 */
export const WORKSPACES_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  workspaceSortKey: 'WORKSPACE',
  memberSortKeyPrefix: 'MEMBER#',
  principalIndex: { name: 'byPrincipal', partitionKey: 'principalId', sortKey: 'workspaceId' },
} as const;

/** Unfinished jobs a caller may have at once (context maxActiveJobsPerCaller, env MAX_ACTIVE_JOBS_PER_CALLER). */
export const QUOTAS = {
  defaultMaxActiveJobsPerCaller: 100,
  /** Retry-After of a 429 TOO_MANY_JOBS: about the time a short job takes. */
  retryAfterSeconds: 15,
} as const;

/** The `dueShard` of a job: `due-00` … `due-63`, from an FNV-1a hash of its id. */
export function dueShardOf(id: string): string {
  return dueShardName(stableHash(id) % JOBS_TABLE.dueIndex.shards);
}

/** `due-07` for shard 7. */
export function dueShardName(shard: number): string {
  return `due-${String(shard).padStart(2, '0')}`;
}

/** The `failedShard` of a FAILED job: `failed-00` … `failed-15`, from the same hash of its id. */
export function failedShardOf(id: string): string {
  return failedShardName(stableHash(id) % JOBS_TABLE.failedIndex.shards);
}

/** `failed-07` for shard 7. */
export function failedShardName(shard: number): string {
  return `failed-${String(shard).padStart(2, '0')}`;
}

/**
 * The payload bucket (claim check): job inputs and results too large to keep in the job record,
 * and document uploads. Each function may touch only the prefixes it needs.
 */
export const PAYLOADS = {
  prefixes: {
    /** `inputs/<jobId>/...`: a job's input (and its uploaded document), written by create-job. */
    inputs: 'inputs/',
    /** `results/<jobId>/<generation>.json`: a run's result, written by the worker. */
    results: 'results/',
    /** `uploads/<owner>/<uploadId>`: presigned uploads; copied into inputs/ when a job uses one. */
    uploads: 'uploads/',
  },
  /** Unused uploads are deleted after this many days. */
  uploadExpiryDays: 1,
  /** Largest document a client may upload (Bedrock Converse's document limit). */
  uploadMaxBytes: MAX_DOCUMENT_BYTES,
} as const;

export const WORKER = {
  /** Lambda timeout of the worker; every job type's timeout must fit inside it with a margin. */
  timeoutSeconds: 120,
  /** Time kept back from the Lambda deadline to record the outcome of an attempt. */
  finishMarginSeconds: 10,
  /**
   * Messages per invocation. The worker runs a batch one job at a time (one model call at once per
   * instance), and a job starts only with its type's full timeout left, so a batch is at most as
   * many jobs as fit one after another: with the longest type's 90 s in 120 s, one. A larger batch
   * would send the jobs that do not fit back to the queue unstarted, each such return counting one
   * of the maxReceiveCount receives (a backlog of slow jobs would dead-letter some).
   */
  batchSize: 1,
  maxBatchingWindowSeconds: 1,
  /** Deliveries before SQS moves a message to the DLQ; larger than any job's maxAttempts. */
  maxReceiveCount: 10,
  /** AWS guidance: at least six times the function timeout. */
  visibilityTimeoutSeconds: 6 * 120,
  /**
   * Upper bound on concurrent worker instances, split over the priority bands
   * (splitWorkerConcurrency). Each instance runs its batch one job at a time, so this is also the
   * most model calls at once (protects downstream quotas such as Bedrock).
   */
  maxConcurrency: 10,
} as const;

/**
 * Priorities that schedule: one queue per priority (a band), each with its own event source and
 * its own share of WORKER.maxConcurrency, all redriving to the one dead-letter queue. Standard SQS
 * keeps no order, so a band is the only way a message can overtake another; a band's share is
 * reserved for it, so no band can starve another (a `low` job waits only for the `low` jobs
 * ahead of it).
 */
export const PRIORITY_BANDS = {
  /** AWS's smallest maximum concurrency of an SQS event source mapping. */
  minShare: 2,
  /** How the workers above 2 per band are shared out (ties go to the higher priority). */
  weights: { low: 1, normal: 3, high: 2, urgent: 2 },
  /** The environment variable naming each band's queue URL; `normal` is the original jobs queue. */
  queueUrlEnv: {
    low: 'JOBS_QUEUE_URL_LOW',
    normal: 'JOBS_QUEUE_URL',
    high: 'JOBS_QUEUE_URL_HIGH',
    urgent: 'JOBS_QUEUE_URL_URGENT',
  },
} as const satisfies {
  minShare: number;
  weights: Record<JobPriority, number>;
  queueUrlEnv: Record<JobPriority, string>;
};

/** The smallest total that gives every band its minimum share. */
export const MIN_WORKER_CONCURRENCY = PRIORITY_BANDS.minShare * JOB_PRIORITIES.length;
/** The largest total whose largest share (normal's) is within Lambda's 1,000 per event source. */
export const MAX_WORKER_CONCURRENCY = 2668;

/**
 * Splits `total` concurrent workers over the bands: each gets PRIORITY_BANDS.minShare, then each
 * further worker goes to the band with the fewest per unit of weight (ties: the higher priority).
 * The shares add up to `total`. 10 → low 2, normal 3, high 2, urgent 3.
 */
export function splitWorkerConcurrency(total: number): Record<JobPriority, number> {
  if (!Number.isInteger(total) || total < MIN_WORKER_CONCURRENCY) {
    throw new RangeError(`The worker concurrency must be an integer of at least ${MIN_WORKER_CONCURRENCY} (${PRIORITY_BANDS.minShare} per priority), got ${total}`);
  }
  const shares = Object.fromEntries(JOB_PRIORITIES.map((band) => [band, PRIORITY_BANDS.minShare])) as Record<JobPriority, number>;
  const highestFirst = [...JOB_PRIORITIES].reverse();
  for (let left = total - MIN_WORKER_CONCURRENCY; left > 0; left--) {
    let next = highestFirst[0]!;
    for (const band of highestFirst) {
      if (shares[band] / PRIORITY_BANDS.weights[band] < shares[next] / PRIORITY_BANDS.weights[next]) next = band;
    }
    shares[next]++;
  }
  return shares;
}

export const DLQ_CONSUMER = {
  timeoutSeconds: 30,
  batchSize: 10,
  visibilityTimeoutSeconds: 6 * 30,
  /** DLQ messages are kept 14 days (the SQS maximum) for inspection. */
  retentionDays: 14,
} as const;

export const RECONCILER = {
  timeoutSeconds: 60,
  /** How often the reconciler looks for stuck jobs. */
  scheduleMinutes: 5,
} as const;

/** Entries of the functions that are not API routes (those are in lambdas/api/routes.ts). */
export const BACKGROUND_ENTRIES = {
  worker: 'lambdas/worker/handler.ts',
  dlqConsumer: 'lambdas/dlq/handler.ts',
  reconciler: 'lambdas/reconciler/handler.ts',
} as const;

/**
 * Entry of the TOKEN authorizer of the LocalStack deployment (`-c localstack=true`), which stands
 * in for the Cognito authorizer: it verifies the local dev ID tokens of lib/local/tokens.ts.
 */
export const LOCAL_AUTHORIZER_ENTRY = 'lambdas/local-authorizer/handler.ts';

/** Entry of the API's TOKEN authorizer in AWS: people's ID tokens and machine clients' access tokens. */
export const AUTHORIZER_ENTRY = 'lambdas/authorizer/handler.ts';

/**
 * The compile-time constant (esbuild `define`) that keeps the route functions' local token
 * verifier out of the AWS variant's bundles: `false` there, `true` in the LocalStack variant.
 */
export const LOCAL_TOKENS_DEFINE = 'JOBS_LOCAL_TOKENS';

/**
 * The compile-time constant (esbuild `define`) that gives a route function its route's scope
 * (routeScope, as a JSON string), so its bundle needs no route table at cold start.
 */
export const ROUTE_SCOPE_DEFINE = 'JOBS_ROUTE_SCOPE';

/** Environment variable names read by the functions. */
export const ENV = {
  tableName: 'JOBS_TABLE_NAME',
  /** The workspaces table (WORKSPACES_TABLE). */
  workspacesTableName: 'WORKSPACES_TABLE_NAME',
  /** The `normal` band's queue; the other bands' are PRIORITY_BANDS.queueUrlEnv. */
  queueUrl: 'JOBS_QUEUE_URL',
  /** Local runtime only: worker instances (each runs one job at a time), split like the stack's. */
  workerMaxConcurrency: 'WORKER_MAX_CONCURRENCY',
  cursorSecretArn: 'CURSOR_SECRET_ARN',
  cursorSecret: 'CURSOR_SECRET',
  allowedOrigins: 'ALLOWED_ORIGINS',
  bedrockModelId: 'BEDROCK_MODEL_ID',
  bedrockRegion: 'BEDROCK_REGION',
  /** HTTP attempts per model call inside one job attempt (the SDK's retries); default 3. */
  bedrockMaxAttempts: 'BEDROCK_MAX_ATTEMPTS',
  /** Read by the AWS SDK itself: the Bedrock Runtime endpoint (a stand-in instead of Bedrock). */
  bedrockEndpointUrl: 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME',
  /**
   * LocalStack deployment only: the public JWKS (JSON) of the local dev token key. The local
   * authorizer verifies tokens with it, and so do the route functions when no authorizer ran.
   */
  localJwks: 'LOCAL_JWKS',
  /** The authorizer's user pool (its tokens' issuer) and the people's app client (their ID tokens' `aud`). */
  userPoolId: 'USER_POOL_ID',
  userPoolClientId: 'USER_POOL_CLIENT_ID',
  retentionDays: 'JOB_RETENTION_DAYS',
  retryBaseDelaySeconds: 'RETRY_BASE_DELAY_SECONDS',
  retryMaxDelaySeconds: 'RETRY_MAX_DELAY_SECONDS',
  stalePendingSeconds: 'STALE_PENDING_SECONDS',
  /**
   * How far ahead a scheduled job's message is sent with a delivery delay (default and maximum:
   * SQS's 900 s); a shorter one makes the reconciler send jobs scheduled further ahead sooner
   * (the e2e tests use it with a short reconciler interval).
   */
  scheduleHorizonSeconds: 'SCHEDULE_HORIZON_SECONDS',
  /** The payload bucket (PAYLOADS). */
  payloadBucket: 'JOBS_BUCKET_NAME',
  /** Unfinished (PENDING or PROCESSING) jobs a caller may have at once; default QUOTAS.defaultMaxActiveJobsPerCaller. */
  maxActiveJobsPerCaller: 'MAX_ACTIVE_JOBS_PER_CALLER',
  /**
   * JSON object of job type → unfinished jobs of that type a caller may have at once, e.g.
   * `{"PARSE_DOCUMENT":10}`. The stack and `npm run dev` resolve it (the types' own limits with
   * context `maxActiveJobsPerCallerByType` or this variable over them) and pass the result.
   */
  maxActiveJobsPerCallerByType: 'MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE',
  /** `true` to address the bucket path-style (local engines: fauxqs, LocalStack). */
  s3ForcePathStyle: 'S3_FORCE_PATH_STYLE',
} as const;

/**
 * The stack outputs that name the jobs table and each band's queue: lib/jobs-stack.ts writes them
 * and `npm run ops` reads them from a `cdk deploy --outputs-file` file.
 */
export const STACK_OUTPUTS = {
  table: 'JobsTableName',
  queues: { low: 'JobsQueueUrlLow', normal: 'JobsQueueUrl', high: 'JobsQueueUrlHigh', urgent: 'JobsQueueUrlUrgent' },
} as const satisfies { table: string; queues: Record<JobPriority, string> };
