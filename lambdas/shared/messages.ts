/**
 * The jobs queue's message body: `{"jobId":"<uuid>","generation":<n>}`. Nothing else travels
 * through SQS. `generation` counts the job's runs (0 at create, +1 per retry), so a consumer can
 * tell a message of an earlier run from one of the current run.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export interface JobMessage {
  readonly jobId: string;
  readonly generation: number;
}

export function encodeJobMessage(message: JobMessage): string {
  return JSON.stringify({ jobId: message.jobId, generation: message.generation });
}

/** The message a body carries, or undefined when the body is not one of ours. */
export function decodeJobMessage(body: string): JobMessage | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { jobId, generation } = parsed as { jobId?: unknown; generation?: unknown };
    if (typeof jobId !== 'string' || !isUuid(jobId)) return undefined;
    if (typeof generation !== 'number' || !Number.isInteger(generation) || generation < 0) return undefined;
    return { jobId: jobId.toLowerCase(), generation };
  } catch {
    return undefined;
  }
}
