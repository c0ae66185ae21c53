/**
 * The claim check: a job's input or result larger than a small inline limit is stored as an
 * object (PayloadStore) and the record keeps only its reference, so the record stays small and
 * every transition of the job is billed the same whatever the payload. No AWS imports here.
 *
 * Why two limits: an input is rewritten by every transition of its job (the claim, each progress
 * step, the outcome: DynamoDB bills each write on the whole item, 1 write unit per KB), a result
 * only once, by the completion. A small input kept inline costs less than an object write
 * (an S3 PUT costs as much as eight DynamoDB write units); so does a result of a few KB.
 */
import { createHash } from 'node:crypto';
import { PayloadMissingError } from './errors.ts';
import type { PayloadRef, StoredResult } from './job.ts';
import { isJsonObject, type JsonObject } from './json.ts';
import type { PayloadStore } from './ports.ts';
import { PAYLOADS } from '../shared/resources.ts';

export const INLINE_LIMITS = {
  /** JSON bytes of an input kept in the record. */
  inputBytes: 1024,
  /** JSON bytes of a result kept in the record. */
  resultBytes: 4096,
} as const;

/** The largest result a job may return: GET answers it whole, within Lambda's 6 MB response. */
export const MAX_RESULT_BYTES = 5 * 1024 * 1024;

const JSON_TYPE = 'application/json';

export const payloadKeys = {
  input: (jobId: string) => `${PAYLOADS.prefixes.inputs}${jobId}/input.json`,
  /** The document uploaded for a job, copied from uploads/ when the job was created. */
  document: (jobId: string) => `${PAYLOADS.prefixes.inputs}${jobId}/document`,
  result: (jobId: string, generation: number) => `${PAYLOADS.prefixes.results}${jobId}/${generation}.json`,
  /** A result reused from job `sourceId`, copied under the new job (result reuse). */
  reusedResult: (jobId: string, sourceId: string) => `${PAYLOADS.prefixes.results}${jobId}/from-${sourceId}.json`,
  /** An upload, under its owner: another caller's upload id names another key (so reads as missing). */
  upload: (ownerId: string, uploadId: string) => `${PAYLOADS.prefixes.uploads}${ownerKey(ownerId)}/${uploadId}`,
} as const;

/** The owner's part of upload keys: a hash, so no caller id (whatever its characters) is a key. */
function ownerKey(ownerId: string): string {
  return createHash('sha256').update(ownerId).digest('hex').slice(0, 32);
}

/** Uploads: presigned PUTs of documents of at most `maxBytes`, valid `expiresInSeconds`. */
export const UPLOADS = {
  maxBytes: PAYLOADS.uploadMaxBytes,
  expiresInSeconds: 15 * 60,
  nameMaxChars: 255,
} as const;

/** `<uuid>.<announced bytes>`: the id carries the size the upload was signed for. */
const UPLOAD_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([1-9]\d{0,8})$/;

export function newUploadId(uuid: string, bytes: number): string {
  return `${uuid}.${bytes}`;
}

/** The size an upload id was issued for; undefined when it is not an upload id. */
export function announcedBytes(uploadId: string): number | undefined {
  const match = UPLOAD_ID.exec(uploadId);
  return match ? Number(match[2]) : undefined;
}

export function isUploadId(value: string): boolean {
  return UPLOAD_ID.test(value);
}

export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** An input as the record keeps it: inline when small, else stored and referenced. */
export async function storeInput(
  payloads: PayloadStore,
  jobId: string,
  input: unknown,
): Promise<{ readonly input: unknown; readonly inputRef: PayloadRef | null }> {
  const bytes = jsonBytes(input);
  if (bytes.byteLength <= INLINE_LIMITS.inputBytes) return { input, inputRef: null };
  return { input: null, inputRef: await payloads.put(payloadKeys.input(jobId), bytes, JSON_TYPE) };
}

/** A result as the record keeps it: inline when small, else stored and referenced. */
export async function storeResult(payloads: PayloadStore, jobId: string, generation: number, result: JsonObject): Promise<StoredResult> {
  const bytes = jsonBytes(result);
  if (bytes.byteLength <= INLINE_LIMITS.resultBytes) return { result };
  return { resultRef: await payloads.put(payloadKeys.result(jobId, generation), bytes, JSON_TYPE) };
}

/** A stored JSON payload, parsed. */
export async function loadJson(payloads: PayloadStore, ref: PayloadRef): Promise<unknown> {
  const bytes = await payloads.get(ref);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new PayloadMissingError(ref.key, 'is not JSON');
  }
}

/** A job's input, from the record or its stored object. */
export async function loadInput(payloads: PayloadStore, job: { readonly input: unknown; readonly inputRef: PayloadRef | null }): Promise<unknown> {
  return job.inputRef ? loadJson(payloads, job.inputRef) : job.input;
}

/** A job's result, from the record or its stored object; null when it has none. */
export async function loadResult(
  payloads: PayloadStore,
  job: { readonly result: JsonObject | null; readonly resultRef: PayloadRef | null },
): Promise<JsonObject | null> {
  if (!job.resultRef) return job.result;
  const value = await loadJson(payloads, job.resultRef);
  if (!isJsonObject(value)) throw new PayloadMissingError(job.resultRef.key, 'is not a JSON object');
  return value;
}
