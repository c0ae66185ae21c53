/**
 * The functions' logger: Powertools for AWS Lambda's Logger behind the domain's `Logger` port. One
 * JSON object per line (level, message, timestamp, service, sampling_rate, xray_trace_id in
 * Lambda; cold_start, function_name, function_request_id once the invocation's context is added),
 * which CloudWatch Logs Insights can query. LOG_LEVEL sets the level (debug, info, warn, error,
 * silent; default info); POWERTOOLS_LOGGER_SAMPLE_RATE logs that share of invocations at debug.
 * Errors are logged by name and message (and their causes), never with stack traces unless the
 * level is debug. Callers must not pass secrets or job input/result content.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../domain/ports.ts';

type PowertoolsLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
const LEVELS: readonly PowertoolsLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'];

/** Keys Powertools owns: a field of ours by one of these names is logged as `field_<name>`. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

function parseLevel(value: string | undefined): PowertoolsLevel {
  const level = (value ?? '').trim().toUpperCase();
  return (LEVELS as readonly string[]).includes(level) ? (level as PowertoolsLevel) : 'INFO';
}

/** Turns an error into loggable fields: name, message, code and the cause chain. */
export function describeError(error: unknown, withStack = false): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') fields.code = code;
  if (withStack && error.stack) fields.stack = error.stack;
  if (error.cause !== undefined) fields.cause = describeError(error.cause, withStack);
  return fields;
}

export interface LoggerOptions {
  /** @default env LOG_LEVEL, else info */
  readonly level?: string;
  /** Fields on every line. */
  readonly context?: Record<string, unknown>;
  /** @default env POWERTOOLS_SERVICE_NAME (the stack's name) */
  readonly serviceName?: string;
}

/** What of the Lambda context the logger reads (the local runtime passes less, or nothing). */
export interface InvocationContext {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  readonly functionVersion?: string;
  readonly invokedFunctionArn?: string;
  readonly memoryLimitInMB?: string | number;
}

export class FunctionLogger implements Logger {
  private constructor(
    private readonly root: PowertoolsLogger,
    private readonly context: Record<string, unknown>,
  ) {}

  static create(options: LoggerOptions = {}): FunctionLogger {
    const root = new PowertoolsLogger({
      logLevel: parseLevel(options.level ?? process.env.LOG_LEVEL),
      ...(options.serviceName ? { serviceName: options.serviceName } : {}),
    });
    return new FunctionLogger(root, { ...options.context });
  }

  /**
   * Call at the start of each invocation: adds the cold start flag, function name and request id
   * (when in Lambda), and draws the debug sampling again.
   */
  startInvocation(context?: InvocationContext | null): void {
    if (context?.awsRequestId && context.functionName) {
      this.root.addContext({
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        functionVersion: context.functionVersion ?? '$LATEST',
        invokedFunctionArn: context.invokedFunctionArn ?? '',
        memoryLimitInMB: String(context.memoryLimitInMB ?? ''),
      } as Parameters<PowertoolsLogger['addContext']>[0]);
    }
    this.root.refreshSampleRateCalculation();
  }

  /** A logger that adds these fields to every line (sharing this one's level and Lambda context). */
  child(fields: Record<string, unknown>): FunctionLogger {
    return new FunctionLogger(this.root, { ...this.context, ...fields });
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.root.debug(message, this.fields(fields));
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.root.info(message, this.fields(fields));
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.root.warn(message, this.fields(fields));
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.root.error(message, this.fields(fields));
  }

  private fields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
    const level = this.root.getLevelName();
    const withStack = level === 'DEBUG' || level === 'TRACE';
    const entry: Record<string, unknown> = {};
    for (const [key, value] of Object.entries({ ...this.context, ...fields })) {
      entry[RESERVED_KEYS.has(key) ? `field_${key}` : key] = value instanceof Error ? describeError(value, withStack) : value;
    }
    return entry;
  }
}
