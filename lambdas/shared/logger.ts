/**
 * A small structured logger: one JSON object per line, which CloudWatch Logs Insights can
 * query. Errors are logged by name and message (and their causes), never with stack traces
 * unless LOG_LEVEL is `debug`. Callers must not pass secrets or job input/result content.
 */
import type { Logger } from '../domain/ports.ts';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = keyof typeof LEVELS;

function parseLevel(value: string | undefined): Level {
  const level = (value ?? 'info').toLowerCase();
  return level in LEVELS ? (level as Level) : 'info';
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
  readonly level?: string;
  readonly context?: Record<string, unknown>;
  readonly write?: (line: string) => void;
}

export class JsonLogger implements Logger {
  private readonly threshold: number;
  private readonly withStack: boolean;
  private readonly context: Record<string, unknown>;
  private readonly write: (line: string) => void;

  constructor(private readonly options: LoggerOptions = {}) {
    const level = parseLevel(options.level ?? process.env.LOG_LEVEL);
    this.threshold = LEVELS[level];
    this.withStack = level === 'debug';
    this.context = options.context ?? {};
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  /** A logger that adds these fields to every line. */
  child(context: Record<string, unknown>): JsonLogger {
    return new JsonLogger({ ...this.options, context: { ...this.context, ...context } });
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }

  private log(level: Exclude<Level, 'silent'>, message: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] < this.threshold) return;
    const entry: Record<string, unknown> = { level, time: new Date().toISOString(), message, ...this.context };
    for (const [key, value] of Object.entries(fields ?? {})) {
      entry[key] = value instanceof Error ? describeError(value, this.withStack) : value;
    }
    this.write(JSON.stringify(entry));
  }
}
