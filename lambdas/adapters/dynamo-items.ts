/**
 * The job record as a DynamoDB item, and the expressions of conditional writes: every attribute
 * by placeholder, fields that are null left out of the item, the due index's shard key set
 * exactly while the job has a dueAt (the active index, by owner and dueAt, follows by itself) and
 * the failed index's exactly while it is FAILED.
 */
import type { Job, JobPatch, JobStatus, PayloadRef } from '../domain/job.ts';
import type { AttemptRef } from '../domain/ports.ts';
import { dueShardOf, failedShardOf, JOBS_TABLE } from '../shared/resources.ts';
import { workspaceIdOfOwnerKey } from '../domain/workspace.ts';
import { ownerOfIndexKey } from './dynamo-owner-index.ts';

export type Item = Record<string, unknown>;

/** Fields stored only while set: a null value removes the attribute (index keys, TTL, lease…). */
const ABSENT_WHEN_NULL = new Set([
  'runId', 'leaseExpiresAt', 'dueAt', 'expiresAt', 'startedAt', 'completedAt', 'error', 'progress', 'result', 'resultRef', 'input', 'inputRef', 'scheduledAt', 'reuseKey', 'workspaceId', 'requestId', 'queuedAt',
]);

/** Preconditions of a conditional write; every field given must hold. */
export interface Guard {
  readonly statusIn?: readonly JobStatus[];
  readonly ownerId?: string;
  /** null: no attempt has claimed the job on this run. */
  readonly runId?: string | null;
  readonly dueAt?: string;
  readonly generation?: number;
}

export const running = (attempt: AttemptRef): Guard => ({ statusIn: ['PROCESSING'], runId: attempt.runId });

/** Builds update and condition expressions with placeholder names for every attribute. */
export class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private counter = 0;

  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.counter++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  valuesOrUndefined(): Record<string, unknown> | undefined {
    return Object.keys(this.values).length ? this.values : undefined;
  }

  update(id: string, patch: JobPatch): string {
    const sets: string[] = [];
    const removes: string[] = [];
    for (const [attribute, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (value === null && ABSENT_WHEN_NULL.has(attribute)) removes.push(this.name(attribute));
      else sets.push(`${this.name(attribute)} = ${this.value(value)}`);
    }
    if (patch.status !== undefined) {
      // The sparse failed index holds exactly the FAILED jobs.
      const shard = this.name(JOBS_TABLE.failedIndex.partitionKey);
      if (patch.status === 'FAILED') sets.push(`${shard} = ${this.value(failedShardOf(id))}`);
      else removes.push(shard);
    }
    if ('dueAt' in patch && patch.dueAt !== undefined) {
      // The sparse due index holds exactly the jobs that have a dueAt.
      const shard = this.name(JOBS_TABLE.dueIndex.partitionKey);
      if (patch.dueAt === null) removes.push(shard);
      else sets.push(`${shard} = ${this.value(dueShardOf(id))}`);
    }
    return [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
  }

  guard(guard: Guard): string {
    const conditions = [`attribute_exists(${this.name('id')})`];
    if (guard.statusIn) {
      const statuses = guard.statusIn.map((status) => this.value(status));
      conditions.push(`${this.name('status')} IN (${statuses.join(', ')})`);
    }
    if (guard.ownerId !== undefined) {
      const owner = this.name('ownerId');
      const workspaceId = workspaceIdOfOwnerKey(guard.ownerId);
      if (workspaceId === undefined) conditions.push(`${owner} = ${this.value(guard.ownerId)}`);
      // A workspace's job: its stored ownerId is the owner key, or (sharded) the key and `#<shard>`.
      else conditions.push(`(${owner} = ${this.value(guard.ownerId)} OR begins_with(${owner}, ${this.value(`${guard.ownerId}#`)})) AND ${this.name('workspaceId')} = ${this.value(workspaceId)}`);
    }
    if (guard.runId === null) conditions.push(`attribute_not_exists(${this.name('runId')})`);
    else if (guard.runId !== undefined) conditions.push(`${this.name('runId')} = ${this.value(guard.runId)}`);
    if (guard.dueAt !== undefined) conditions.push(`${this.name('dueAt')} = ${this.value(guard.dueAt)}`);
    if (guard.generation !== undefined) conditions.push(`${this.name('generation')} = ${this.value(guard.generation)}`);
    return conditions.join(' AND ');
  }
}

export function toItem(job: Job): Item {
  const item: Item = {};
  for (const [attribute, value] of Object.entries(job)) {
    if (value === null && ABSENT_WHEN_NULL.has(attribute)) continue;
    if (attribute === 'fromCache' && value === false) continue; // stored only when true
    item[attribute] = value;
  }
  if (job.dueAt !== null) item[JOBS_TABLE.dueIndex.partitionKey] = dueShardOf(job.id);
  if (job.status === 'FAILED') item[JOBS_TABLE.failedIndex.partitionKey] = failedShardOf(job.id);
  return item;
}

export function fromItem(item: Item): Job {
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : null);
  return {
    id: String(item.id),
    type: String(item.type),
    status: item.status as JobStatus,
    result: (item.result as Job['result']) ?? null,
    error: text('error'),
    attempts: Number(item.attempts ?? 0),
    maxAttempts: Number(item.maxAttempts ?? 0),
    progress: (item.progress as Job['progress']) ?? null,
    createdAt: String(item.createdAt),
    startedAt: text('startedAt'),
    completedAt: text('completedAt'),
    updatedAt: String(item.updatedAt),
    scheduledAt: text('scheduledAt'),
    // Records written before the list's updatedAt order have none: their last update is the best guess.
    statusChangedAt: text('statusChangedAt') ?? String(item.updatedAt),
    // A sharded workspace job's item says `ws#<wid>#<shard>` (the owner indexes' key): the owner is `ws#<wid>`.
    ownerId: ownerOfIndexKey(String(item.ownerId)),
    // Records written before workspaces: personal jobs of their owner.
    workspaceId: text('workspaceId'),
    createdBy: text('createdBy') ?? String(item.ownerId),
    input: item.input ?? null,
    inputRef: payloadRef(item.inputRef),
    resultRef: payloadRef(item.resultRef),
    priority: (item.priority as Job['priority']) ?? 'normal',
    generation: Number(item.generation),
    runId: text('runId'),
    leaseExpiresAt: text('leaseExpiresAt'),
    dueAt: text('dueAt'),
    expiresAt: typeof item.expiresAt === 'number' ? item.expiresAt : null,
    fromCache: item.fromCache === true,
    reuseKey: text('reuseKey'),
    // Records written before these were kept: no request id, no queue time.
    requestId: text('requestId'),
    queuedAt: text('queuedAt'),
  };
}

function payloadRef(value: unknown): PayloadRef | null {
  if (typeof value !== 'object' || value === null) return null;
  const { key, bytes, sha256 } = value as Record<string, unknown>;
  return typeof key === 'string' && typeof sha256 === 'string' ? { key, bytes: Number(bytes), sha256 } : null;
}

