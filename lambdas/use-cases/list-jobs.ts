/**
 * The list function's use case: the caller's jobs, newest first, a page at a time behind a
 * signed cursor that only continues the same query for the same caller. No AWS imports here.
 */
import { InvalidCursorError } from '../domain/errors.ts';
import type { Job, JobStatus } from '../domain/job.ts';
import type { CursorCodec, JobStore, ListPosition } from '../domain/ports.ts';

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;

export interface ListRequest {
  readonly status?: JobStatus;
  readonly type?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface ListResult {
  readonly items: readonly Job[];
  readonly nextCursor: string | null;
}

export interface ListJobsDependencies {
  readonly store: JobStore;
  readonly cursors: CursorCodec;
}

export class ListJobs {
  constructor(private readonly deps: ListJobsDependencies) {}

  async list(ownerId: string, request: ListRequest): Promise<ListResult> {
    const { store, cursors } = this.deps;
    const filters = { status: request.status ?? null, type: request.type ?? null };
    let after: ListPosition | undefined;
    if (request.cursor !== undefined) {
      const payload = await cursors.decode(request.cursor);
      if (payload.ownerId !== ownerId || payload.status !== filters.status || payload.type !== filters.type) {
        throw new InvalidCursorError();
      }
      after = payload.position;
    }
    const page = await store.list(ownerId, {
      limit: request.limit,
      ...(request.status ? { status: request.status } : {}),
      ...(request.type ? { type: request.type } : {}),
      ...(after ? { after } : {}),
    });
    const nextCursor = page.next ? await cursors.encode({ ownerId, ...filters, position: page.next }) : null;
    return { items: page.jobs, nextCursor };
  }
}
