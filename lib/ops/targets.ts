/**
 * Where the operator command acts: a deployed stack (its names from `cdk deploy --outputs-file`,
 * from flags or from the functions' environment variables, with the caller's own AWS credentials)
 * or the `npm run dev` running on a data folder (its endpoints from the runtime.json it writes).
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient, DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { SqsJobQueue } from '../../lambdas/adapters/sqs-job-queue.ts';
import { JOB_PRIORITIES, type JobPriority } from '../../lambdas/domain/job.ts';
import type { JobQueue, JobStore } from '../../lambdas/domain/ports.ts';
import { lifecycleSettings, type Env } from '../../lambdas/shared/config.ts';
import { ENV, PRIORITY_BANDS, STACK_OUTPUTS } from '../../lambdas/shared/resources.ts';
import { readRuntimeState } from '../local/runtime-state.ts';


export interface TargetOptions {
  /** A `cdk deploy --outputs-file` file, and the stack in it (needed when it holds several). */
  readonly outputsFile?: string;
  readonly stack?: string;
  readonly table?: string;
  readonly region?: string;
  /** The `npm run dev` data folder. */
  readonly dataDir: string;
}

export interface Target {
  /** `stack JobsStack (table …)` or `npm run dev on <folder>`: said before acting. */
  readonly description: string;
  readonly store: JobStore;
  /** Absent when the queue URLs are unknown: listing works, redrive refuses. */
  readonly queue?: JobQueue;
  close(): void;
}

/** The deployed stack when outputs, a table or JOBS_TABLE_NAME are given; else the local runtime. */
export function resolveTarget(options: TargetOptions, env: Env): Target {
  if (options.outputsFile) return awsTarget(fromOutputs(options.outputsFile, options.stack), options.region, env);
  const table = options.table ?? env[ENV.tableName]?.trim();
  if (table) {
    const queueUrls = Object.fromEntries(JOB_PRIORITIES.map((band) => [band, env[PRIORITY_BANDS.queueUrlEnv[band]]?.trim()]));
    return awsTarget({ name: `table ${table}`, table, queueUrls: complete(queueUrls) }, options.region, env);
  }
  return devTarget(options.dataDir, env);
}

interface StackNames {
  readonly name: string;
  readonly table: string;
  readonly queueUrls?: Record<JobPriority, string>;
}

function fromOutputs(file: string, stack: string | undefined): StackNames {
  let outputs: Record<string, Record<string, string>>;
  try {
    outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  } catch (error) {
    throw new Error(`Cannot read the stack outputs file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const stacks = Object.keys(outputs).filter((name) => typeof outputs[name]?.[STACK_OUTPUTS.table] === 'string');
  const name = stack ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (!name || !stacks.includes(name)) {
    throw new Error(`${file}: ${stack ? `no stack ${stack} with a ${STACK_OUTPUTS.table} output` : `name the stack with --stack (stacks: ${stacks.join(', ') || 'none with a JobsTableName output'})`}`);
  }
  const values = outputs[name]!;
  const queueUrls = Object.fromEntries(JOB_PRIORITIES.map((band) => [band, values[STACK_OUTPUTS.queues[band]]]));
  return { name: `stack ${name}`, table: values[STACK_OUTPUTS.table]!, queueUrls: complete(queueUrls) };
}

function complete(urls: Record<string, string | undefined>): Record<JobPriority, string> | undefined {
  return JOB_PRIORITIES.every((band) => urls[band]) ? (urls as Record<JobPriority, string>) : undefined;
}

function awsTarget(names: StackNames, region: string | undefined, env: Env): Target {
  // The caller's credentials and Region, as the AWS CLI finds them.
  const ddb = new DynamoDBClient(region ? { region } : {});
  const sqs = new SQSClient(region ? { region } : {});
  return {
    description: `${names.name} (table ${names.table}${region ? `, ${region}` : ''})`,
    store: new DynamoJobStore({ tableName: names.table, lifecycle: lifecycleSettings(env), client: createDocumentClient(ddb) }),
    ...(names.queueUrls ? { queue: new SqsJobQueue({ queueUrls: names.queueUrls, client: sqs }) } : {}),
    close: () => {
      ddb.destroy();
      sqs.destroy();
    },
  };
}

function devTarget(dataDir: string, env: Env): Target {
  const state = readRuntimeState(dataDir);
  // The embedded engines take any credentials: never the caller's AWS ones.
  const local = { region: state.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const ddb = new DynamoDBClient({ ...local, endpoint: state.dynamodbEndpoint });
  const sqs = new SQSClient({ ...local, endpoint: state.sqsEndpoint });
  return {
    description: `npm run dev on ${dataDir} (pid ${state.pid}, ${state.apiUrl})`,
    store: new DynamoJobStore({ tableName: state.tableName, lifecycle: lifecycleSettings(env), client: createDocumentClient(ddb) }),
    queue: new SqsJobQueue({ queueUrls: state.queueUrls, client: sqs }),
    close: () => {
      ddb.destroy();
      sqs.destroy();
    },
  };
}
