/**
 * PayloadStore on Amazon S3: one object per payload, its SHA-256 kept in the record and checked
 * on every read. SDK errors are translated into domain errors here.
 */
import { createHash } from 'node:crypto';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PayloadMissingError, ServiceUnavailableError } from '../domain/errors.ts';
import type { PayloadRef } from '../domain/job.ts';
import type { PayloadStore, PresignedUpload } from '../domain/ports.ts';
import { ENV } from '../shared/resources.ts';

export interface S3PayloadStoreOptions {
  readonly bucket: string;
  readonly client?: S3Client;
}

type Env = Record<string, string | undefined>;

/**
 * The S3 client the stack's functions use: path-style addressing when S3_FORCE_PATH_STYLE is
 * `true` (local engines), and checksums only where S3 requires them (the store checks SHA-256
 * itself, and a presigned upload must not carry the checksum of an empty body).
 */
export function createS3Client(env: Env = process.env, config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    forcePathStyle: env[ENV.s3ForcePathStyle]?.trim() === 'true',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...config,
  });
}

export class S3PayloadStore implements PayloadStore {
  private readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: S3PayloadStoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client ?? createS3Client();
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<PayloadRef> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (error) {
      throw translate(error, key);
    }
    return { key, bytes: body.byteLength, sha256: sha256(body) };
  }

  async get(ref: PayloadRef): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: ref.key }));
      if (!Body) throw new PayloadMissingError(ref.key, 'has no body');
      bytes = await Body.transformToByteArray();
    } catch (error) {
      throw translate(error, ref.key);
    }
    if (bytes.byteLength !== ref.bytes || sha256(bytes) !== ref.sha256) {
      throw new PayloadMissingError(ref.key, `does not match its reference (${bytes.byteLength} bytes read, ${ref.bytes} stored)`);
    }
    return bytes;
  }

  async read(key: string): Promise<Uint8Array> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!Body) throw new PayloadMissingError(key, 'has no body');
      return await Body.transformToByteArray();
    } catch (error) {
      throw translate(error, key);
    }
  }

  async head(key: string): Promise<{ bytes: number; contentType: string | undefined } | undefined> {
    try {
      const { ContentLength, ContentType } = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { bytes: ContentLength ?? 0, contentType: ContentType };
    } catch (error) {
      const translated = translate(error, key);
      if (translated instanceof PayloadMissingError) return undefined;
      throw translated;
    }
  }

  async copy(from: string, to: string): Promise<void> {
    try {
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}` }),
      );
    } catch (error) {
      throw translate(error, from);
    }
  }

  async presignPut(
    key: string,
    upload: { readonly contentType: string; readonly bytes: number; readonly expiresInSeconds: number },
  ): Promise<PresignedUpload> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: upload.contentType, ContentLength: upload.bytes });
    // Signed, so S3 refuses an upload of another type or size.
    const url = await getSignedUrl(this.client, command, {
      expiresIn: upload.expiresInSeconds,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return {
      url,
      method: 'PUT',
      headers: { 'Content-Type': upload.contentType, 'Content-Length': String(upload.bytes) },
      expiresAt: new Date(Date.now() + upload.expiresInSeconds * 1000).toISOString(),
    };
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const UNAVAILABLE = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'ThrottlingException']);

/** Missing objects become PayloadMissingError, throttling and 5xx ServiceUnavailableError. */
export function translate(error: unknown, key: string): unknown {
  if (error instanceof PayloadMissingError || error instanceof ServiceUnavailableError) return error;
  const name = error instanceof Error ? error.name : undefined;
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return new PayloadMissingError(key);
  if ((name && UNAVAILABLE.has(name)) || (status !== undefined && status >= 500)) {
    return new ServiceUnavailableError('The payload store is temporarily unavailable', { cause: error });
  }
  return error;
}
