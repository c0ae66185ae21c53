/**
 * The jobs queue's message body: `{"jobId":"<uuid>","generation":<n>,"requestId":"<id>"}`. Nothing
 * else travels through SQS. `generation` counts the job's runs (0 at create, +1 per retry), so a
 * consumer can tell a message of an earlier run from one of the current run. `requestId` is the
 * create's API request id (Job.requestId), so a consumer's log lines carry it before the job is
 * read; messages sent before it was kept have none and are handled as before.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export interface JobMessage {
  readonly jobId: string;
  readonly generation: number;
  readonly requestId?: string;
}

/** A request id as a message may carry it: API Gateway's are UUIDs; anything odd is left out. */
const REQUEST_ID = /^[A-Za-z0-9._:=-]{1,128}$/;

export function encodeJobMessage(message: JobMessage): string {
  const { jobId, generation, requestId } = message;
  return JSON.stringify(requestId ? { jobId, generation, requestId } : { jobId, generation });
}

/** The message a body carries, or undefined when the body is not one of ours. */
export function decodeJobMessage(body: string): JobMessage | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { jobId, generation, requestId } = parsed as { jobId?: unknown; generation?: unknown; requestId?: unknown };
    if (typeof jobId !== 'string' || !isUuid(jobId)) return undefined;
    if (typeof generation !== 'number' || !Number.isInteger(generation) || generation < 0) return undefined;
    const message = { jobId: jobId.toLowerCase(), generation };
    return typeof requestId === 'string' && REQUEST_ID.test(requestId) ? { ...message, requestId } : message;
  } catch {
    return undefined;
  }
}
