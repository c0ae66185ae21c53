/**
 * The REST API, built from the route table: one resource path, one method and one least-privilege
 * function per route, every method behind the Cognito authorizer (or, for LocalStack, the local
 * token authorizer) except the CORS preflights.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  Cors,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
  TokenAuthorizer,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ROUTES, routeDefines, type RouteDefinition, type RouteName } from '../../lambdas/api/routes.ts';
import { ENV } from '../../lambdas/shared/resources.ts';
import type { JobPriority } from '../../lambdas/domain/job.ts';
import { PROBLEM_TITLES, problemType } from '../../lambdas/http/problem.ts';
import { CORS_ALLOW_METHODS, CORS_EXTRA_REQUEST_HEADERS } from '../../lambdas/http/responses.ts';
import type { LocalJwks } from '../local/tokens.ts';
import { acknowledge } from '../nag.ts';
import { JobFunction } from './job-function.ts';
import type { JobsPayloads } from './jobs-payloads.ts';
import type { JobsTable } from './jobs-table.ts';
import type { WorkspacesTable } from './workspaces-table.ts';
import { LocalTokenAuthorizer } from './local-token-authorizer.ts';
import { PoolTokenAuthorizer } from './pool-token-authorizer.ts';

/** Who may call the API: users of a Cognito pool, or (LocalStack only) holders of local dev tokens. */
export type JobsApiAuth =
  | { readonly kind: 'cognito'; readonly userPool: IUserPool; readonly userPoolClient: IUserPoolClient }
  | { readonly kind: 'local-token'; readonly jwks: LocalJwks };

export interface JobsApiProps {
  readonly jobsTable: JobsTable;
  /** Workspaces and memberships (issue 11). */
  readonly workspacesTable: WorkspacesTable;
  /** Inputs and results too large for the job record, and document uploads. */
  readonly payloads: JobsPayloads;
  /** The jobs queue of each priority band (create and retry send to the job's band). */
  readonly jobsQueues: Readonly<Record<JobPriority, IQueue>>;
  readonly auth: JobsApiAuth;
  /** CORS origins; `['*']` allows any origin. */
  readonly allowedOrigins: readonly string[];
  /** Passed to every function as JOB_RETENTION_DAYS (terminal transitions set the TTL). */
  readonly jobRetentionDays: number;
  /** Passed to the create and retry functions as MAX_ACTIVE_JOBS_PER_CALLER (the quota). */
  readonly maxActiveJobsPerCaller: number;
  /** Passed to the create and retry functions as MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE (JSON): each type's own limit. */
  readonly maxActiveJobsPerCallerByType: Readonly<Record<string, number>>;
  /** Stage throttling, requests per second. @default 50 */
  readonly throttlingRateLimit?: number;
  /** Stage throttling, burst. @default 100 */
  readonly throttlingBurstLimit?: number;
}

export const API_STAGE = 'prod';

/** The detail of API Gateway's own 403 (a machine client calling a method its scopes do not cover). */
export const INSUFFICIENT_SCOPE_DETAIL = 'The token does not hold the scope this method requires: jobs/read to read jobs, jobs/write to change them';

/** The routes that make jobs unfinished, so apply the quota of unfinished jobs per caller. */
export const QUOTA_ROUTES: ReadonlySet<RouteName> = new Set<RouteName>(['create-job', 'retry-job', 'workspace-create-job', 'workspace-retry-job']);

/**
 * Regional REST API, stage `prod`: JSON access logs kept one month, ERROR execution logs (no
 * request bodies), X-Ray tracing, CloudWatch metrics and stage throttling. Errors produced by API
 * Gateway itself carry CORS headers so browsers can read them.
 */
export class JobsApi extends Construct {
  readonly restApi: RestApi;
  /** The TOKEN authorizer in front of every method (people's ID tokens and services' access tokens). */
  readonly authorizer: TokenAuthorizer;
  /** The authorizer of the AWS variant (auth kind `cognito`). */
  readonly poolAuthorizer?: PoolTokenAuthorizer;
  /** The LocalStack stand-in (auth kind `local-token` only). */
  readonly localAuthorizer?: LocalTokenAuthorizer;
  /** Signs list-jobs pagination cursors; readable only by routes with `access.cursorSecret`. */
  readonly cursorSecret: Secret;
  readonly routeFunctions: ReadonlyMap<RouteName, JobFunction>;

  constructor(scope: Construct, id: string, props: JobsApiProps) {
    super(scope, id);
    if (props.allowedOrigins.length === 0) throw new Error('JobsApi needs at least one allowed origin');

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.restApi = new RestApi(this, 'RestApi', {
      description: 'Asynchronous jobs API',
      // API Gateway's metrics are per API name: the stack's own, so alarms never mix another stack's API in.
      restApiName: Stack.of(this).stackName,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // API Gateway needs the account-level CloudWatch role to write access and execution logs.
      cloudWatchRole: true,
      deployOptions: {
        stageName: API_STAGE,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: [...props.allowedOrigins],
        allowMethods: [...CORS_ALLOW_METHODS],
        allowHeaders: [...Cors.DEFAULT_HEADERS, ...CORS_EXTRA_REQUEST_HEADERS],
        maxAge: Duration.hours(1),
      },
    });
    this.addCorsGatewayResponses(props.allowedOrigins);

    if (props.auth.kind === 'cognito') {
      this.poolAuthorizer = new PoolTokenAuthorizer(this, 'PoolAuthorizer', { userPool: props.auth.userPool, userPoolClient: props.auth.userPoolClient });
      this.authorizer = this.poolAuthorizer.authorizer;
    } else {
      this.localAuthorizer = new LocalTokenAuthorizer(this, 'LocalAuthorizer', { jwks: props.auth.jwks });
      this.authorizer = this.localAuthorizer.authorizer;
    }
    const authorizationType = AuthorizationType.CUSTOM;
    this.cursorSecret = new Secret(this, 'CursorSecret', {
      description: 'HMAC key signing list-jobs pagination cursors',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    // API Gateway checks the required path parameters declared per method. Bodies are validated by
    // the handlers, the one schema source: body validation applies only to methods given a model.
    const validator = this.restApi.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const functions = new Map<RouteName, JobFunction>();
    for (const route of ROUTES) {
      const fn = this.routeFunction(route, props);
      functions.set(route.name, fn);
      this.restApi.root.resourceForPath(route.path).addMethod(route.method, new LambdaIntegration(fn.function), {
        operationName: route.name,
        authorizationType,
        authorizer: this.authorizer,
        requestValidator: validator,
        requestParameters: pathParameters(route.path),
      });
    }
    this.routeFunctions = functions;

    this.acknowledgeFindings(props.auth.kind);
  }

  private routeFunction(route: RouteDefinition, props: JobsApiProps): JobFunction {
    const fn = new JobFunction(this, constructId(route.name), {
      entry: route.entry,
      description: `${route.method} ${route.path}: ${route.summary}`,
      environment: {
        [ENV.allowedOrigins]: props.allowedOrigins.join(','),
        [ENV.retentionDays]: String(props.jobRetentionDays),
        ...(QUOTA_ROUTES.has(route.name as RouteName)
          ? {
              [ENV.maxActiveJobsPerCaller]: String(props.maxActiveJobsPerCaller),
              [ENV.maxActiveJobsPerCallerByType]: JSON.stringify(props.maxActiveJobsPerCallerByType),
            }
          : {}),
        // LocalStack's free edition never invokes authorizers: the function then verifies the token itself.
        ...(this.localAuthorizer ? { [ENV.localJwks]: this.localAuthorizer.jwksJson } : {}),
      },
      // Only the LocalStack variant's bundles carry that verifier (and aws-jwt-verify).
      // The route's scope, so the bundle needs no route table (routeDefines).
      define: routeDefines(route.name, this.localAuthorizer !== undefined),
    });
    if (route.access.table.length > 0) fn.useTable(props.jobsTable, route.access.table, route.access.indexes ?? []);
    if (route.access.workspaces && route.access.workspaces.length > 0) {
      fn.useWorkspaces(props.workspacesTable, route.access.workspaces, route.access.workspacesByPrincipal === true);
    }
    if ('payloads' in route.access && route.access.payloads) {
      // LocalStack: path-style URLs on its own endpoint, for the functions and for presigned uploads.
      fn.usePayloads(props.payloads, route.access.payloads, { forcePathStyle: this.localAuthorizer !== undefined });
    }
    if (route.access.queueSend) fn.useJobsQueues(props.jobsQueues, 'sqs:SendMessage');
    if (route.access.cursorSecret) fn.useCursorSecret(this.cursorSecret);
    return fn;
  }

  /**
   * API Gateway answers 401/403/429/5xx itself, before any function runs; without CORS headers a
   * browser hides those answers from the page. Specific response types do not inherit from
   * DEFAULT_4XX, so the two with a problem+json body repeat the headers.
   */
  private addCorsGatewayResponses(allowedOrigins: readonly string[]): void {
    const headers = corsResponseHeaders(allowedOrigins);
    this.restApi.addGatewayResponse('Default4xx', { type: ResponseType.DEFAULT_4XX, responseHeaders: headers });
    this.restApi.addGatewayResponse('Default5xx', { type: ResponseType.DEFAULT_5XX, responseHeaders: headers });
    // ACCESS_DENIED comes only from the authorizer's policy, which denies exactly the methods a
    // machine client's scopes do not cover: the route functions answer the same problem.
    const problems = [
      { id: 'Unauthorized', type: ResponseType.UNAUTHORIZED, status: 401, code: 'UNAUTHENTICATED' as const, detail: undefined },
      { id: 'AccessDenied', type: ResponseType.ACCESS_DENIED, status: 403, code: 'INSUFFICIENT_SCOPE' as const, detail: INSUFFICIENT_SCOPE_DETAIL },
    ];
    for (const { id, type, status, code, detail } of problems) {
      const body = {
        type: problemType(code),
        title: PROBLEM_TITLES[code],
        status,
        detail: detail ?? '__DETAIL__',
        code,
        requestId: '$context.requestId',
      };
      this.restApi.addGatewayResponse(id, {
        type,
        statusCode: String(status),
        responseHeaders: { ...headers, 'Content-Type': "'application/problem+json'" },
        templates: {
          // $context.error.messageString is already a quoted JSON string.
          'application/json': JSON.stringify(body).replace('"__DETAIL__"', '$context.error.messageString'),
        },
      });
    }
  }

  private acknowledgeFindings(auth: JobsApiAuth['kind']): void {
    const api = this.restApi;
    const token = auth === 'cognito' ? 'a token of the Cognito user pool' : 'a token the local token authorizer verified';
    acknowledge(api, 'AwsSolutions-APIG3', `No WAF web ACL by default (billed per ACL and rule); every method requires ${token} and the stage is throttled. Associate a web ACL with the stage where needed.`);
    if (auth === 'local-token') {
      acknowledge(api, 'AwsSolutions-COG4', "LocalStack variant (-c localstack=true): the methods use a Lambda TOKEN authorizer that verifies the local dev tokens because LocalStack's free edition has no Cognito. The AWS variant verifies the Cognito user pool's tokens.");
    } else {
      acknowledge(api, 'AwsSolutions-COG4', "The methods use a Lambda TOKEN authorizer that verifies the Cognito user pool's tokens with aws-jwt-verify: a Cognito user-pool authorizer accepts either ID tokens (no OAuth scopes) or access tokens (with scopes) on a method, never both, and people use ID tokens while services use client-credentials access tokens.");
    }
    const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      acknowledge(cloudWatchRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', 'The AWS-managed policy for the account-level API Gateway logging role is the documented way to let API Gateway write access and execution logs.');
    }
    acknowledge(this.cursorSecret, 'AwsSolutions-SMG4', 'The cursor-signing key only signs short-lived pagination cursors; rotating it would just invalidate cursors in flight. Rotate by replacing the secret value.');
  }
}

/** `/api/jobs/{id}/cancel` → `{ 'method.request.path.id': true }` (required). */
function pathParameters(path: string): Record<string, boolean> {
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
  return Object.fromEntries(names.map((name) => [`method.request.path.${name}`, true]));
}

/**
 * `*` and a single origin are static values; with several origins the request's Origin is echoed
 * (gateway responses cannot match a list) and `Vary: Origin` keeps caches honest. These
 * responses carry only API Gateway's own error messages, never job data.
 */
function corsResponseHeaders(allowedOrigins: readonly string[]): Record<string, string> {
  const [first] = allowedOrigins;
  if (allowedOrigins.length === 1 && first) return { 'Access-Control-Allow-Origin': `'${first}'` };
  return { 'Access-Control-Allow-Origin': 'method.request.header.Origin', Vary: "'Origin'" };
}

/** `get-job-result` → `GetJobResult`. */
function constructId(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}
