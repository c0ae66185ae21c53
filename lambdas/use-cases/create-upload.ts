/**
 * The create-upload function's use case: a presigned PUT for one document, of a type and size
 * given in advance, which a job's input then names by its uploadId. No AWS imports here.
 */
import { ValidationError, type FieldError } from '../domain/errors.ts';
import { DOCUMENT_CONTENT_TYPES, type DocumentFormat } from '../domain/model.ts';
import { newUploadId, payloadKeys, UPLOADS } from '../domain/payloads.ts';
import type { IdGenerator, PayloadStore, PresignedUpload } from '../domain/ports.ts';

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

const UPLOAD_FIELDS = ['name', 'contentType', 'size'] as const;

/** `{ name, contentType, size }`, checked by hand (the uploads function does not load zod). */
function parseUploadRequest(request: unknown): { name: string; contentType: string; size: number; format: DocumentFormat } {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new ValidationError('The request body is not a valid upload request', [
      { path: '(body)', message: 'must be a JSON object with "name", "contentType" and "size"' },
    ]);
  }
  const body = request as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!(UPLOAD_FIELDS as readonly string[]).includes(key)) {
      errors.push({ path: key, message: `unknown field; the fields are ${UPLOAD_FIELDS.join(', ')}` });
    }
  }
  const { name, contentType, size } = body;
  if (typeof name !== 'string' || name.trim() === '' || name.length > UPLOADS.nameMaxChars || /[\u0000-\u001f\u007f]/.test(name)) {
    errors.push({ path: 'name', message: `must be the file's name: 1 to ${UPLOADS.nameMaxChars} characters, no control characters` });
  }
  const format = (Object.keys(DOCUMENT_CONTENT_TYPES) as DocumentFormat[]).find((key) => DOCUMENT_CONTENT_TYPES[key] === contentType);
  if (typeof contentType !== 'string' || !format) {
    errors.push({ path: 'contentType', message: `must be one of ${Object.values(DOCUMENT_CONTENT_TYPES).join(', ')}` });
  }
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    errors.push({ path: 'size', message: 'must be the size of the file in bytes (a positive integer)' });
  } else if (size > UPLOADS.maxBytes) {
    errors.push({ path: 'size', message: `the file is ${size} bytes; the limit is ${UPLOADS.maxBytes} (4.5 MB)` });
  }
  if (errors.length > 0) throw new ValidationError('The request body is not a valid upload request', errors);
  return { name: name as string, contentType: contentType as string, size: size as number, format: format! };
}
