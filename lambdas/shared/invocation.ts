/**
 * What every function does around each invocation: the logger learns the Lambda context first
 * (cold start, function name, request id; the debug sampling is drawn again), and the metrics
 * recorded during the invocation are written last, also when it throws.
 */
import type { FunctionLogger, InvocationContext } from './logger.ts';

/** Something that buffers during an invocation and writes at its end (the metrics adapter). */
export interface Flushable {
  flush(): void;
}

export interface InvocationHooks {
  start(context?: InvocationContext | null): void;
  end(): void;
}

export function invocationHooks(logger: FunctionLogger, flushables: readonly Flushable[] = []): InvocationHooks {
  return {
    start: (context) => logger.startInvocation(context),
    end: () => {
      for (const flushable of flushables) flushable.flush();
    },
  };
}

/** Runs `work` as one invocation (no hooks: just `work`). */
export async function asInvocation<T>(hooks: InvocationHooks | undefined, context: unknown, work: () => Promise<T>): Promise<T> {
  hooks?.start(context as InvocationContext | undefined);
  try {
    return await work();
  } finally {
    hooks?.end();
  }
}
