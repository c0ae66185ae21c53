/**
 * The list function's use case: the caller's jobs, newest first unless asked otherwise, a page at
 * a time behind a signed cursor that only continues the same query (filters and order) for the
 * same caller. No AWS imports here.
 */
import { InvalidCursorError } from '../domain/errors.ts';
import { JOB_PRIORITIES, type Job, type JobPriority } from '../domain/job.ts';
import type { CursorCodec, CursorPayload, JobReader, ListPosition, ListQuery } from '../domain/ports.ts';

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;

/** A list request: the store's query, with the client's opaque cursor in place of a position. */
export type ListRequest = Omit<ListQuery, 'after'> & { readonly cursor?: string };

export interface ListResult {
  readonly items: readonly Job[];
  readonly nextCursor: string | null;
}

export interface ListJobsDependencies {
  readonly store: JobReader;
  readonly cursors: CursorCodec;
}

export class ListJobs {
  constructor(private readonly deps: ListJobsDependencies) {}

  async list(ownerId: string, request: ListRequest): Promise<ListResult> {
    const { store, cursors } = this.deps;
    // Every priority is the same query as none; a repeated one is the same as once.
    const priorities = request.priorities && request.priorities.length > 0 ? JOB_PRIORITIES.filter((p) => request.priorities!.includes(p)) : [];
    const query: Omit<CursorPayload, 'ownerId' | 'position'> = {
      status: request.status ?? null,
      type: request.type ?? null,
      priorities: priorities.length > 0 && priorities.length < JOB_PRIORITIES.length ? priorities : null,
      sort: request.sort ?? 'createdAt',
      order: request.order ?? 'desc',
    };
    let after: ListPosition | undefined;
    if (request.cursor !== undefined) {
      const payload = await cursors.decode(request.cursor);
      if (payload.ownerId !== ownerId || !sameQuery(payload, query)) throw new InvalidCursorError();
      after = payload.position;
    }
    const page = await store.list(ownerId, {
      limit: request.limit,
      sort: query.sort,
      order: query.order,
      ...(request.status ? { status: request.status } : {}),
      ...(request.type ? { type: request.type } : {}),
      ...(query.priorities ? { priorities: query.priorities as JobPriority[] } : {}),
      ...(after ? { after } : {}),
    });
    const nextCursor = page.next ? await cursors.encode({ ownerId, ...query, position: page.next }) : null;
    return { items: page.jobs, nextCursor };
  }
}

function sameQuery(cursor: CursorPayload, query: Omit<CursorPayload, 'ownerId' | 'position'>): boolean {
  return (
    cursor.status === query.status &&
    cursor.type === query.type &&
    JSON.stringify(cursor.priorities ?? null) === JSON.stringify(query.priorities) &&
    cursor.sort === query.sort &&
    cursor.order === query.order
  );
}
