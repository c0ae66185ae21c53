import { JOB_PRIORITIES, JOB_STATUSES, toListItem, type JobPriority, type JobStatus } from '../../domain/job.ts';
import { LIST_ORDERS, LIST_SORTS, type ListOrder, type ListSort } from '../../domain/ports.ts';
import { HttpError } from '../../http/problem.ts';
import { queryParameters, queryValues } from '../../http/request.ts';
import { jobReaderFrom } from '../../shared/wiring.ts';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, ListJobs } from '../../use-cases/list-jobs.ts';
import { cursorCodecFrom } from '../cursor-secret.ts';
import type { RouteLogic } from '../http-adapter.ts';
import type { RouteWiring } from '../wiring.ts';

const TYPE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * GET /api/jobs?status=&type=&priority=…&sort=&order=&limit=&cursor= → { items, nextCursor },
 * newest first by default; `priority` may be repeated.
 */
export const listJobs: RouteLogic<ListJobs> = async (request, jobs) => {
  const query = queryParameters(request.event, ['status', 'type', 'priority', 'sort', 'order', 'limit', 'cursor'], ['priority']);
  if (query.status !== undefined && !(JOB_STATUSES as readonly string[]).includes(query.status)) {
    throw new HttpError(400, 'INVALID_QUERY', `status must be one of ${JOB_STATUSES.join(', ')}`);
  }
  if (query.type !== undefined && !TYPE_PATTERN.test(query.type)) {
    throw new HttpError(400, 'INVALID_QUERY', 'type must be a job type name such as AI_PREVIEW');
  }
  const priorities = queryValues(request.event, 'priority');
  if (!priorities.every((priority) => (JOB_PRIORITIES as readonly string[]).includes(priority))) {
    throw new HttpError(400, 'INVALID_QUERY', `priority must be one of ${JOB_PRIORITIES.join(', ')} (repeat it for several)`);
  }
  if (query.sort !== undefined && !(LIST_SORTS as readonly string[]).includes(query.sort)) {
    throw new HttpError(400, 'INVALID_QUERY', `sort must be one of ${LIST_SORTS.join(', ')}`);
  }
  if (query.order !== undefined && !(LIST_ORDERS as readonly string[]).includes(query.order)) {
    throw new HttpError(400, 'INVALID_QUERY', `order must be one of ${LIST_ORDERS.join(', ')}`);
  }
  let limit = LIST_DEFAULT_LIMIT;
  if (query.limit !== undefined) {
    limit = /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= LIST_MAX_LIMIT)) {
      throw new HttpError(400, 'INVALID_QUERY', `limit must be an integer from 1 to ${LIST_MAX_LIMIT}`);
    }
  }
  if (query.cursor !== undefined && query.cursor.length === 0) {
    throw new HttpError(400, 'INVALID_CURSOR', 'cursor must not be empty; omit it for the first page');
  }
  const page = await jobs.list(request.ownerId, {
    limit,
    ...(query.status ? { status: query.status as JobStatus } : {}),
    ...(query.type ? { type: query.type } : {}),
    ...(priorities.length > 0 ? { priorities: priorities as JobPriority[] } : {}),
    ...(query.sort ? { sort: query.sort as ListSort } : {}),
    ...(query.order ? { order: query.order as ListOrder } : {}),
    ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
  });
  return { status: 200, body: { items: page.items.map(toListItem), nextCursor: page.nextCursor } };
};

/** The function's one wiring point: its use case, with the adapters its IAM policy allows. */
export async function wire({ env }: RouteWiring): Promise<ListJobs> {
  return new ListJobs({ store: jobReaderFrom(env), cursors: await cursorCodecFrom(env) });
}
