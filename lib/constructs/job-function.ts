/**
 * The one place Lambda defaults live. Every function of the stack is a JobFunction, and the
 * `use*` helpers grant access to a resource and set the environment variable naming it together.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PayloadAccess, TableAction, WorkspacesTableAction } from '../../lambdas/api/routes.ts';
import { JOB_PRIORITIES, type JobPriority } from '../../lambdas/domain/job.ts';
import { ENV, PRIORITY_BANDS } from '../../lambdas/shared/resources.ts';
import { bundleFunction } from '../bundling.ts';
import { acknowledge } from '../nag.ts';
import type { JobsPayloads, PayloadPrefix } from './jobs-payloads.ts';
import type { JobsTable } from './jobs-table.ts';
import type { WorkspacesTable } from './workspaces-table.ts';

/** Read by Powertools Logger and Metrics: the service (dimension and log field) is the stack's name. */
export const POWERTOOLS_SERVICE_NAME = 'POWERTOOLS_SERVICE_NAME';

/** The repository root: handler entries in the route table are relative to it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface JobFunctionProps {
  /** Handler module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** @default 256 MB */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** Extra environment variables; `use*` helpers add the resource ones. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Compile-time constants (esbuild `define`): global identifiers replaced by these JavaScript
   * expressions, so that code behind a `false` is left out of the bundle. @default none
   */
  readonly define?: Readonly<Record<string, string>>;
}

/**
 * A Node.js function with the stack's defaults: Node.js 24 on arm64, active tracing, an explicit
 * log group kept one month, an own role (logs write on its log group only, no managed policy), and
 * a minified ESM bundle with source maps that includes the AWS SDK v3 (lib/bundling.ts): the
 * pinned, tested SDK versions run in Lambda instead of whatever the runtime ships, only the used
 * clients are bundled, and code behind a dynamic `import()` is split into chunks loaded on first use.
 * esbuild runs in the CDK process (its JS API): NodejsFunction's bundling writes one file
 * (`--outfile`) and so cannot split.
 */
export class JobFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** The compile-time constants the bundle is built with. */
  readonly define: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: JobFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);
    this.define = { ...props.define };

    this.function = new LambdaFunction(this, 'Function', {
      code: bundledCode(path.join(PROJECT_ROOT, props.entry), this.define),
      handler: 'index.handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      // POWERTOOLS_SERVICE_NAME: the `service` of every log line and metric (lambdas/shared/metric-catalog.ts).
      environment: { NODE_OPTIONS: '--enable-source-maps', [POWERTOOLS_SERVICE_NAME]: Stack.of(this).stackName, ...props.environment },
    });

    // Active tracing adds xray:PutTraceSegments/PutTelemetryRecords on `*` to the role.
    acknowledge(this.role, 'AwsSolutions-IAM5[Resource::*]', 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; this is the only `*` statement (added by Tracing.ACTIVE).');
  }

  /** Grants exactly `actions` on the jobs table (Query also on `indexNames`) and sets its name. */
  useTable(jobsTable: JobsTable, actions: readonly TableAction[], indexNames?: readonly string[]): this {
    jobsTable.grant(this.function, actions, indexNames);
    this.function.addEnvironment(ENV.tableName, jobsTable.table.tableName);
    return this;
  }

  /** Grants exactly `actions` on the workspaces table (Query: on `byPrincipal` with `byPrincipal`) and sets its name. */
  useWorkspaces(workspaces: WorkspacesTable, actions: readonly WorkspacesTableAction[], byPrincipal = false): this {
    workspaces.grant(this.function, actions, byPrincipal);
    this.function.addEnvironment(ENV.workspacesTableName, workspaces.table.tableName);
    return this;
  }

  /** Grants exactly `actions` on every band's queue and sets their URLs (PRIORITY_BANDS.queueUrlEnv). */
  useJobsQueues(queues: Readonly<Record<JobPriority, IQueue>>, ...actions: readonly string[]): this {
    for (const band of JOB_PRIORITIES) {
      queues[band].grant(this.function, ...actions);
      this.function.addEnvironment(PRIORITY_BANDS.queueUrlEnv[band], queues[band].queueUrl);
    }
    return this;
  }

  /**
   * Grants exactly these object actions per prefix of the payload bucket and sets its name;
   * `forcePathStyle` addresses it path-style (LocalStack).
   */
  usePayloads(payloads: JobsPayloads, access: PayloadAccess, options: { readonly forcePathStyle?: boolean } = {}): this {
    for (const [prefix, actions] of Object.entries(access)) {
      if (actions && actions.length > 0) payloads.grant(this.function, prefix as PayloadPrefix, actions);
    }
    this.function.addEnvironment(ENV.payloadBucket, payloads.bucket.bucketName);
    if (options.forcePathStyle) this.function.addEnvironment(ENV.s3ForcePathStyle, 'true');
    return this;
  }

  /** Grants read on the cursor-signing secret and sets its ARN. */
  useCursorSecret(secret: ISecret): this {
    secret.grantRead(this.function);
    this.function.addEnvironment(ENV.cursorSecretArn, secret.secretArn);
    return this;
  }
}

/**
 * The function's code: `entry` bundled by esbuild in this process (lib/bundling.ts, with source
 * maps but not their sources), hashed on the output as NodejsFunction does. Never Docker: the
 * image is only a required placeholder, `local` always bundles.
 */
function bundledCode(entry: string, define: Readonly<Record<string, string>>): Code {
  return Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
      // CDK caches bundled assets by source path and bundling options, where `local` (a function)
      // counts for nothing: without the entry and the constants in those options, every function
      // of the stack would get the first one's bundle. (Docker never runs: `local` always bundles.)
      environment: { JOBS_BUNDLE: JSON.stringify({ entry: path.relative(PROJECT_ROOT, entry), define }) },
      local: {
        tryBundle(outputDir: string): boolean {
          bundleFunction(entry, outputDir, define, { sourcemap: true, sourcesContent: false });
          return true;
        },
      },
    },
  });
}
