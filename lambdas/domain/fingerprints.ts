/**
 * Fingerprints of requests and inputs: canonical JSON (key order does not matter) and the hashes
 * idempotency keys and result reuse are keyed by. No AWS imports here.
 */
import { createHash } from 'node:crypto';

/** JSON with every object's keys sorted, so `{a,b}` and `{b,a}` give the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** A stable 32-bit FNV-1a hash of the text's UTF-16 code units: the same shard for the same id everywhere. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** SHA-256 of the canonical JSON of `parts`, base64url (43 characters). */
export function fingerprint(...parts: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('base64url');
}

/** Idempotency keys: what a client may send in the `Idempotency-Key` header, and how long it holds. */
export const IDEMPOTENCY = {
  header: 'Idempotency-Key',
  /** The answer to a replay carries this header, `true`. */
  replayedHeader: 'Idempotent-Replayed',
  /** Visible ASCII (no spaces, no control characters), 1 to 255 characters: a UUID fits. */
  keyPattern: /^[\x21-\x7e]{1,255}$/,
  maxKeyChars: 255,
  /** A key holds for 24 hours after its first use. */
  ttlSeconds: 24 * 3600,
  /** Ids of idempotency items in the jobs table start with this (never a job id: those are UUIDs). */
  itemPrefix: 'idem#',
} as const;

/** What an idempotency key stands for: the request it was first used with, and the job it made. */
export interface IdempotencyRecord {
  /** `idem#` + fingerprint(owner, key): keys are scoped per caller. */
  readonly id: string;
  /** Fingerprint of the request (its operation and canonical body). */
  readonly requestHash: string;
  /** The job the request creates (chosen before it is written) or retries. */
  readonly jobId: string;
  /** The job's run before the request: 0 for a create, the run a retry starts from. */
  readonly generation: number;
  /** Epoch seconds after which the key is free again (DynamoDB TTL; filtered on read). */
  readonly expiresAt: number;
}

export function idempotencyRecordId(ownerId: string, key: string): string {
  return `${IDEMPOTENCY.itemPrefix}${fingerprint('idempotency-key', ownerId, key)}`;
}

export function isIdempotencyRecordId(id: string): boolean {
  return id.startsWith(IDEMPOTENCY.itemPrefix);
}

/** The reuse key of a job: the same caller, type and canonical input give the same key. */
export function reuseKeyOf(ownerId: string, type: string, input: unknown): string {
  return fingerprint('reuse', ownerId, type, input);
}
