/**
 * The whole product wired for integration tests: the engines and resources (emulators.ts), the
 * real API route handlers loaded from the route table, and factories for the real worker, DLQ
 * consumer and reconciler handlers. Handler modules read their configuration from the
 * environment when imported, so they are imported here only after the environment is set.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ROUTES, type RouteName } from '../../lambdas/api/routes.ts';
import type { ReconcileReport } from '../../lambdas/use-cases/reconcile-jobs.ts';
import type { JobView } from '../../lambdas/domain/job.ts';
import type { StructuredModel } from '../../lambdas/domain/model.ts';
import type { Clock } from '../../lambdas/domain/ports.ts';
import { createJobTypes } from '../../lambdas/job-types/processors.ts';
import { apiEvent, invoke, type ApiEventSpec, type ApiHandler, type ApiResult } from './api-events.ts';
import { startEmulators, type EmulatorOptions, type TestInfrastructure } from './emulators.ts';
import { drainQueue, type DrainOptions, type DrainReport, type SqsHandler } from './event-source.ts';
import { within } from './poll.ts';
import type { Gate } from './scripted-model.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

type WorkerModule = typeof import('../../lambdas/worker/handler.ts');
type DlqModule = typeof import('../../lambdas/dlq/handler.ts');
type ReconcilerModule = typeof import('../../lambdas/reconciler/handler.ts');

export type DrainWith = Omit<DrainOptions, 'sqs' | 'queueUrl' | 'handler'>;

export interface Harness {
  readonly infra: TestInfrastructure;
  /** Every route's real `handler`, loaded from its entry in the route table. */
  readonly routes: Readonly<Record<RouteName, ApiHandler>>;
  /** An API caller signed in as `sub` (null: no authorizer claims). */
  as(sub: string | null): JobsClient;
  /** A fresh caller with a random sub. */
  newUser(): JobsClient;
  /**
   * A fresh machine client: a client-credentials access token of a random app client id (its
   * `sub` and `client_id`) granting `scope` (`"jobs/read jobs/write"`).
   */
  newClient(scope: string): JobsClient;
  /** The real worker handler, running the real job types on `model`. */
  worker(model: StructuredModel): SqsHandler;
  /** The real DLQ consumer, built as its module builds it. */
  dlqConsumer(): SqsHandler;
  /** The real reconciler handler, its clock `clock`. */
  reconcilerAt(clock: Clock): () => Promise<ReconcileReport>;
  /** Feeds the jobs queue to `handler` until it is empty. */
  drainJobs(handler: SqsHandler, options?: DrainWith): Promise<DrainReport>;
  /** Feeds the DLQ to `handler` until it is empty. */
  drainDlq(handler: SqsHandler, options?: DrainWith): Promise<DrainReport>;
  /**
   * Runs the worker on `model` until the attempt waits at `gate` (a call the model holds), runs
   * `during` meanwhile, then lets the call go and returns the drain's report; the call is let go
   * and the drain awaited whatever `during` does.
   */
  whileBlocked(model: StructuredModel, gate: Gate, what: string, during: () => Promise<void>): Promise<DrainReport>;
  stop(): Promise<void>;
}

export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const infra = await startEmulators(options);
  try {
    const routes = {} as Record<RouteName, ApiHandler>;
    for (const route of ROUTES) {
      const module: unknown = await import(resolve(PROJECT_ROOT, route.entry));
      const handler = (module as { handler?: unknown }).handler;
      if (typeof handler !== 'function') throw new Error(`${route.entry} does not export a handler function`);
      routes[route.name] = handler as ApiHandler;
    }
    const workerModule: WorkerModule = await import('../../lambdas/worker/handler.ts');
    const dlqModule: DlqModule = await import('../../lambdas/dlq/handler.ts');
    const reconcilerModule: ReconcilerModule = await import('../../lambdas/reconciler/handler.ts');

    const as = (sub: string | null) => new JobsClient(routes, sub);
    const worker = (model: StructuredModel) => workerModule.createWorkerHandler(workerModule.wireWorker(createJobTypes({ model })));
    return {
      infra,
      routes,
      as,
      newUser: () => as(`user-${crypto.randomUUID()}`),
      newClient: (scope) => {
        const clientId = crypto.randomUUID().replaceAll('-', '').slice(0, 26);
        return new JobsClient(routes, clientId, { token_use: 'access', client_id: clientId, scope });
      },
      worker,
      dlqConsumer: () => dlqModule.createDlqHandler(dlqModule.wireDlqConsumer()),
      reconcilerAt: (clock) => reconcilerModule.createReconcilerHandler(reconcilerModule.wireReconciler(process.env, clock)),
      drainJobs: (handler, drainOptions = {}) =>
        drainQueue({ sqs: infra.sqs, queueUrl: infra.queueUrl, handler, ...drainOptions }),
      drainDlq: (handler, drainOptions = {}) =>
        drainQueue({ sqs: infra.sqs, queueUrl: infra.dlqUrl, handler, ...drainOptions }),
      async whileBlocked(model, gate, what, during) {
        const draining = drainQueue({ sqs: infra.sqs, queueUrl: infra.queueUrl, handler: worker(model) });
        try {
          await within(gate.entered, 5_000, what);
          await during();
          gate.release();
          return await draining;
        } finally {
          gate.release();
          await draining.catch(() => {});
        }
      },
      stop: () => infra.stop(),
    };
  } catch (error) {
    await infra.stop().catch(() => {});
    throw error;
  }
}

/**
 * One harness per test file: started before the file's tests and stopped after them; with
 * `resetEach`, the table and queues are emptied before every test. The returned harness forwards
 * to the one started (use it inside hooks and tests only).
 */
export function useHarness(options: EmulatorOptions & { readonly resetEach?: boolean } = {}): Harness {
  const { resetEach = true, ...emulatorOptions } = options;
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness(emulatorOptions);
  });
  afterAll(async () => {
    await started?.stop();
  });
  if (resetEach) {
    beforeEach(async () => {
      await started!.infra.reset();
    });
  }
  return new Proxy({} as Harness, {
    get(_, property) {
      if (!started) throw new Error('the harness is used before it started (outside a hook or test)');
      return started[property as keyof Harness];
    },
  });
}

type CallSpec = Pick<ApiEventSpec, 'query' | 'body' | 'headers' | 'basePath'> & {
  readonly id?: string;
  /** Other path parameters (`wid`, `principalId`). */
  readonly params?: Readonly<Record<string, string>>;
};

/** Calls the route handlers the way API Gateway would for one signed-in user. */
export class JobsClient {
  constructor(
    private readonly routes: Readonly<Record<RouteName, ApiHandler>>,
    readonly sub: string | null,
    /** The token's claims besides `sub` (default: a person's ID token). */
    private readonly claims?: Readonly<Record<string, unknown>>,
  ) {}

  /** Any route, by its name in the route table. */
  call(name: RouteName, spec: CallSpec = {}): Promise<ApiResult> {
    const route = ROUTES.find((candidate) => candidate.name === name)!;
    const parameters: Record<string, string> = { ...spec.params, ...(spec.id !== undefined ? { id: spec.id } : {}) };
    const path = route.path.replace(/\{(\w+)\}/g, (whole, key: string) => (Object.hasOwn(parameters, key) ? encodeURIComponent(parameters[key]!) : whole));
    return invoke(
      this.routes[name],
      apiEvent({
        method: route.method,
        path,
        resource: route.path,
        ...(Object.keys(parameters).length > 0 ? { pathParameters: parameters } : {}),
        ...(spec.query ? { query: spec.query } : {}),
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        ...(spec.headers ? { headers: spec.headers } : {}),
        ...(spec.basePath !== undefined ? { basePath: spec.basePath } : {}),
        sub: this.sub,
        ...(this.claims ? { claims: this.claims } : {}),
      }),
    );
  }

  create(body: unknown, spec: Omit<CallSpec, 'body' | 'id'> = {}): Promise<ApiResult> {
    return this.call('create-job', { ...spec, body });
  }
  get(id: string): Promise<ApiResult> {
    return this.call('get-job', { id });
  }
  result(id: string): Promise<ApiResult> {
    return this.call('get-job-result', { id });
  }
  cancel(id: string): Promise<ApiResult> {
    return this.call('cancel-job', { id });
  }
  retry(id: string): Promise<ApiResult> {
    return this.call('retry-job', { id });
  }
  list(query: Record<string, string> = {}): Promise<ApiResult> {
    return this.call('list-jobs', { query });
  }

  /** Creates an AI_PREVIEW job and returns its record; throws unless the API answers 202. */
  async createPreview(prompt = 'Summarise the market risks.'): Promise<JobView> {
    const response = await this.create({ type: 'AI_PREVIEW', input: { prompt } });
    if (response.status !== 202) throw new Error(`create answered ${response.status}: ${JSON.stringify(response.json)}`);
    return response.json as JobView;
  }

  /** The job's record as GET /api/jobs/{id} returns it; throws unless 200. */
  async job(id: string): Promise<JobView> {
    const response = await this.get(id);
    if (response.status !== 200) throw new Error(`get ${id} answered ${response.status}: ${JSON.stringify(response.json)}`);
    return response.json as JobView;
  }
}
