/**
 * The Lambda proxy integration: a route's handler called with the event and a Lambda context,
 * within the integration timeout; a handler that throws or answers a malformed proxy result gets
 * 502, one that takes longer than the timeout 504.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { RouteName } from '../../../lambdas/api/routes.ts';
import type { ProblemCode } from '../../../lambdas/http/problem.ts';
import { LOCAL_REGION } from '../../../lambdas/local-authorizer/local-verifier.ts';
import { fromProxyResult, type Reply } from './reply.ts';
import { describe } from './text.ts';

/** A route's Lambda handler, as the handler modules export it. */
export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export const INTEGRATION_TIMEOUT_MS = 29_000;

export interface Integration {
  readonly timeoutMs: number;
  /** Receives handler failures. */
  readonly log: (line: string) => void;
}

export async function invoke(
  handler: Handler,
  name: RouteName,
  event: APIGatewayProxyEvent,
  integration: Integration,
  fail: (status: number, code: ProblemCode, detail: string, note: string) => Reply,
): Promise<Reply> {
  const { timeoutMs, log } = integration;
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let result: unknown;
  try {
    result = await Promise.race([Promise.resolve().then(() => handler(event, lambdaContext(name, deadline))), timedOut]);
  } catch (error) {
    log(`handler ${name} failed (requestId ${event.requestContext.requestId}): ${describe(error)}`);
    return fail(502, 'INTERNAL_ERROR', 'Internal server error', `handler ${name} threw`);
  } finally {
    clearTimeout(timer);
  }
  if (result === 'timeout') {
    return fail(504, 'SERVICE_UNAVAILABLE', 'Endpoint request timed out', `handler ${name} took over ${timeoutMs}ms`);
  }
  const reply = fromProxyResult(result);
  if (typeof reply === 'string') {
    log(`handler ${name} answered a malformed Lambda proxy response: ${reply}`);
    return fail(502, 'INTERNAL_ERROR', 'Internal server error', `malformed proxy response: ${reply}`);
  }
  return reply;
}

function lambdaContext(name: RouteName, deadline: number): Context {
  const functionName = `local-${name}`;
  const unsupported = () => {
    throw new Error('Callback-style completion is not supported by the local gateway');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
