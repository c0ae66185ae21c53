/**
 * What a queue consumer's use case tells the event source to do with a message, and the one way
 * an outcome is written: if the attempt (or the caller's view of the job) still holds, else not
 * at all. No AWS imports here.
 */
import { ConcurrentUpdateError } from '../domain/errors.ts';
import type { Logger } from '../domain/ports.ts';

/** What the event source should do with the message. */
export type RunOutcome =
  | { readonly kind: 'done'; readonly detail: string }
  | { readonly kind: 'retry-later'; readonly delaySeconds: number };

/** Writes the outcome if the job is still as the caller saw it; a lost fence means someone else won. */
export async function recordOutcome(write: () => Promise<void>, logger: Logger): Promise<RunOutcome> {
  try {
    await write();
    return { kind: 'done', detail: 'recorded' };
  } catch (error) {
    if (!(error instanceof ConcurrentUpdateError)) throw error;
    logger.info('outcome not recorded: the job changed during the attempt (cancelled or taken over)');
    return { kind: 'done', detail: 'superseded' };
  }
}
