/** The jobs queue's message body: `{"jobId":"<uuid>"}`. Nothing else travels through SQS. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function encodeJobMessage(jobId: string): string {
  return JSON.stringify({ jobId });
}

/** The job id carried by a message body, or undefined when the body is not one of ours. */
export function decodeJobMessage(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const jobId = (parsed as { jobId?: unknown }).jobId;
    return typeof jobId === 'string' && isUuid(jobId) ? jobId.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
