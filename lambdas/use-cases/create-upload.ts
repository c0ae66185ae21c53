/**
 * The create-upload function's use case: a presigned PUT for one document, of a type and size
 * given in advance, which a job's input then names by its uploadId. No AWS imports here.
 */
import { MAX_DOCUMENT_SIZE_TEXT } from '../domain/bedrock-limits.ts';
import { DOCUMENT_CONTENT_TYPES, type DocumentFormat } from '../domain/model.ts';
import { newUploadId, payloadKeys, UPLOADS } from '../domain/payloads.ts';
import type { IdGenerator, PayloadStore, PresignedUpload } from '../domain/ports.ts';
import { requestBody } from './request-body.ts';

export interface CreateUploadDependencies {
  readonly payloads: PayloadStore;
  readonly newId?: IdGenerator;
}

export class CreateUpload {
  private readonly newId: IdGenerator;

  constructor(private readonly deps: CreateUploadDependencies) {
    this.newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /**
   * A presigned upload for a document: `{ name, contentType, size }` → where to PUT it (with no
   * AWS credentials), until when, and the id a job's input then names it by.
   */
  async create(ownerId: string, request: unknown): Promise<UploadTicket> {
    const { contentType, size } = parseUploadRequest(request);
    const uploadId = newUploadId(this.newId(), size);
    const upload = await this.deps.payloads.presignPut(payloadKeys.upload(ownerId, uploadId), {
      contentType,
      bytes: size,
      expiresInSeconds: UPLOADS.expiresInSeconds,
    });
    return { uploadId, ...upload, maxBytes: UPLOADS.maxBytes };
  }
}

export interface UploadTicket extends PresignedUpload {
  readonly uploadId: string;
  readonly maxBytes: number;
}

/** `{ name, contentType, size }`, nothing else. */
function parseUploadRequest(request: unknown): { name: string; contentType: string; size: number; format: DocumentFormat } {
  const body = requestBody(request, ['name', 'contentType', 'size'], 'upload request', 'must be a JSON object with "name", "contentType" and "size"');
  const { name, contentType, size } = body.fields;
  if (typeof name !== 'string' || name.trim() === '' || name.length > UPLOADS.nameMaxChars || /[\u0000-\u001f\u007f]/.test(name)) {
    body.errors.push({ path: 'name', message: `must be the file's name: 1 to ${UPLOADS.nameMaxChars} characters, no control characters` });
  }
  const format = (Object.keys(DOCUMENT_CONTENT_TYPES) as DocumentFormat[]).find((key) => DOCUMENT_CONTENT_TYPES[key] === contentType);
  if (typeof contentType !== 'string' || !format) {
    body.errors.push({ path: 'contentType', message: `must be one of ${Object.values(DOCUMENT_CONTENT_TYPES).join(', ')}` });
  }
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    body.errors.push({ path: 'size', message: 'must be the size of the file in bytes (a positive integer)' });
  } else if (size > UPLOADS.maxBytes) {
    body.errors.push({ path: 'size', message: `the file is ${size} bytes; the limit is ${UPLOADS.maxBytes} (${MAX_DOCUMENT_SIZE_TEXT})` });
  }
  body.check();
  return { name: name as string, contentType: contentType as string, size: size as number, format: format! };
}
