/**
 * The functions' logger (Powertools Logger behind the Logger port): JSON lines on stdout with the
 * service, level and message, a child's fields, the Lambda context once an invocation starts, and
 * errors by name, message and cause, with a stack trace only at debug.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FunctionLogger } from '../../../lambdas/shared/logger.ts';

let written: string[];

beforeEach(() => {
  written = [];
  // Powertools writes debug and info lines to stdout, warn and error lines to stderr (both reach CloudWatch).
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => vi.unstubAllEnvs());

const lines = () => written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

const lambdaContext = {
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  functionName: 'AsyncJobsStack-Worker',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:AsyncJobsStack-Worker',
  memoryLimitInMB: '256',
};

describe('FunctionLogger', () => {
  it('writes one JSON line with level, message, service and the fields, a child adding its own', () => {
    const logger = FunctionLogger.create({ level: 'info', serviceName: 'AsyncJobsStack' });
    logger.child({ jobId: 'job-1', requestId: 'req-1' }).info('attempt started', { attempt: 1 });
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'attempt started', service: 'AsyncJobsStack', jobId: 'job-1', requestId: 'req-1', attempt: 1 }),
    ]);
  });

  it('drops lines below the level, and every line when silent', () => {
    FunctionLogger.create({ level: 'warn' }).info('not shown');
    FunctionLogger.create({ level: 'silent' }).error('not shown either');
    FunctionLogger.create({ level: 'WARN' }).warn('shown');
    expect(lines().map((line) => line.message)).toEqual(['shown']);
  });

  it('reads LOG_LEVEL when no level is given', () => {
    vi.stubEnv('LOG_LEVEL', 'error');
    const logger = FunctionLogger.create();
    logger.warn('not shown');
    logger.error('shown');
    expect(lines().map((line) => line.message)).toEqual(['shown']);
  });

  it('logs errors by name, message, code and cause, without a stack trace above debug', () => {
    const error = Object.assign(new Error('table busy', { cause: new TypeError('socket hang up') }), { name: 'ServiceUnavailableError', code: 'BUSY' });
    FunctionLogger.create({ level: 'info' }).warn('could not record', { error });
    expect(lines()[0]!.error).toEqual({ name: 'ServiceUnavailableError', message: 'table busy', code: 'BUSY', cause: { name: 'TypeError', message: 'socket hang up' } });
  });

  it('adds the stack trace at debug', () => {
    FunctionLogger.create({ level: 'debug' }).warn('could not record', { error: new Error('boom') });
    expect((lines()[0]!.error as { stack?: string }).stack).toContain('Error: boom');
  });

  it('adds cold start, function name and request id once an invocation starts, for children too', () => {
    // Lambda sets it for on-demand functions; Powertools reports a cold start only then.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const logger = FunctionLogger.create({ level: 'info' });
    const child = logger.child({ jobId: 'job-1' });
    logger.startInvocation(lambdaContext);
    child.info('first');
    logger.startInvocation({ ...lambdaContext, awsRequestId: 'second-request' });
    child.info('second');
    const [first, second] = lines();
    expect(first).toMatchObject({ cold_start: true, function_name: 'AsyncJobsStack-Worker', function_request_id: lambdaContext.awsRequestId, jobId: 'job-1' });
    expect(second).toMatchObject({ cold_start: false, function_request_id: 'second-request' });
  });

  it('keeps a field named like one of Powertools\' own keys, renamed', () => {
    FunctionLogger.create({ level: 'info', serviceName: 'svc' }).info('odd field', { service: 'mine', message: 'also mine' });
    expect(lines()[0]).toMatchObject({ service: 'svc', message: 'odd field', field_service: 'mine', field_message: 'also mine' });
  });
});
