/**
 * Input fields shared by the document job types' schemas: document text, base64 documents and
 * source job ids, with their limits. Definitions import this, so the API bundles it: zod and
 * plain code only, no processors and no AWS SDK.
 *
 * Why these limits: the job input is stored in the job's DynamoDB item (400 KB at most, result
 * included) and the API refuses request bodies over 256 KB (413). A 150 KB document is 200 KB
 * of base64, which fits in the body with room to spare and leaves the item room for the result.
 */
import * as z from 'zod';
import { MAX_DOCUMENT_SIZE_TEXT } from '../domain/bedrock-limits.ts';
import type { UploadReference } from '../domain/job-types.ts';
import { DOCUMENT_FORMATS, type DocumentFormat } from '../domain/model.ts';
import { isUploadId } from '../domain/payloads.ts';
import { isUuid } from '../shared/messages.ts';

export const INPUT_LIMITS = {
  /** UTF-8 bytes of a document given as text. */
  textMaxBytes: 150 * 1024,
  /** Bytes of a base64 document once decoded. */
  documentMaxBytes: 150 * 1024,
  documentNameMaxChars: 255,
  sourceJobIdsMin: 1,
  sourceJobIdsMax: 10,
} as const;

/** `153600 bytes (150 KB)`. */
export function describeBytes(bytes: number): string {
  return `${bytes} bytes (${bytes / 1024} KB)`;
}

/** UTF-8 length of a string without encoding it. Lone surrogates count as U+FFFD (3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A strict object whose own errors say what it expects: a non-object gets `<what> must be a JSON
 * object`, unknown keys are named together with the allowed ones.
 */
export function strictInput<Shape extends z.core.$ZodLooseShape>(what: string, shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z
    .object(shape, {
      error: (issue) => {
        if (issue.code === 'invalid_type') return `${what} must be a JSON object`;
        if (issue.code === 'unrecognized_keys') {
          const keys = issue.keys.map((key) => `"${key}"`).join(', ');
          return `${what} has unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}; allowed: ${allowed}`;
        }
        return undefined;
      },
    })
    .strict();
}

/** Document text: a non-blank string of at most INPUT_LIMITS.textMaxBytes UTF-8 bytes. */
export function documentText(field: string) {
  return z.string({ error: `${field} must be a string` }).superRefine((text, ctx) => {
    if (text.trim() === '') {
      ctx.addIssue({ code: 'custom', message: `${field} must not be empty` });
      return;
    }
    const bytes = utf8Length(text);
    if (bytes > INPUT_LIMITS.textMaxBytes) {
      ctx.addIssue({
        code: 'custom',
        message: `${field} is ${bytes} bytes of UTF-8; the limit is ${describeBytes(INPUT_LIMITS.textMaxBytes)}`,
      });
    }
  });
}

/**
 * Adds `tooShort` / `tooLong` unless `min <= length <= max`. Used instead of zod's min/max on
 * input fields because those also run on a value of the wrong type (zod 4 reports
 * "must be at most 10 jobs" next to "must be an array" for a 36-character string), while a
 * refinement only runs once the type is right.
 */
export function lengthWithin<T extends { readonly length: number }>(min: number, max: number, tooShort: string, tooLong: string) {
  return (value: T, ctx: z.RefinementCtx) => {
    if (value.length < min) ctx.addIssue({ code: 'custom', message: tooShort });
    else if (value.length > max) ctx.addIssue({ code: 'custom', message: tooLong });
  };
}

/** A short instruction-like string (a question, a title, instructions): trimmed, 1..max chars. */
export function shortText(field: string, maxChars: number) {
  return z
    .string({ error: `${field} must be a string` })
    .trim()
    .superRefine(lengthWithin(1, maxChars, `${field} must not be empty`, `${field} must be at most ${maxChars} characters`));
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type Base64Check = { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly reason: string };

/**
 * Strict (RFC 4648 §4) base64: the standard alphabet, `=` padding to a multiple of 4, no
 * whitespace or line breaks, no base64url, and zero padding bits, so each document has exactly
 * one encoding. Returns the decoded size without decoding.
 */
export function checkBase64(value: string): Base64Check {
  if (value.length === 0) return { ok: false, reason: 'it is empty' };
  if (/\s/.test(value)) return { ok: false, reason: 'it contains whitespace or line breaks' };
  if (/[-_]/.test(value)) return { ok: false, reason: 'it uses the base64url alphabet (- and _); use + and /' };
  if (/[^A-Za-z0-9+/=]/.test(value)) return { ok: false, reason: 'it contains characters outside A-Z, a-z, 0-9, +, / and =' };
  if (value.length % 4 !== 0) return { ok: false, reason: 'its length is not a multiple of 4 (pad it with =)' };
  if (!BASE64.test(value)) return { ok: false, reason: '= may only appear as padding at the end' };
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  if (padding > 0) {
    const last = BASE64_ALPHABET.indexOf(value[value.length - padding - 1]!);
    if ((last & (padding === 2 ? 0x0f : 0x03)) !== 0) return { ok: false, reason: 'its padding bits are not zero' };
  }
  return { ok: true, bytes: (value.length / 4) * 3 - padding };
}

/** The first bytes of a strict base64 string, decoded (as a binary string). */
function decodedPrefix(base64: string, bytes: number): string {
  const chars = Math.ceil(bytes / 3) * 4;
  return atob(base64.slice(0, chars));
}

/** Cheap signature checks so an obviously mislabelled document is a 422, not a failed job. */
const SIGNATURES: Partial<Record<(typeof DOCUMENT_FORMATS)[number], { test(prefix: string): boolean; expected: string }>> = {
  pdf: { test: (prefix) => prefix.includes('%PDF-'), expected: 'a PDF must contain %PDF- in its first 1024 bytes' },
  docx: { test: (prefix) => prefix.startsWith('PK\x03\x04'), expected: 'a DOCX file is a ZIP archive and starts with PK' },
};

const SIGNATURE_PREFIX_BYTES = 1024;

const documentFormat = z.enum(DOCUMENT_FORMATS, { error: `document.format must be one of: ${DOCUMENT_FORMATS.join(', ')}` });
const uploadIdField = z
  .string({ error: 'document.uploadId must be a string' })
  .refine(isUploadId, 'document.uploadId must be the uploadId POST /api/uploads answered');

/**
 * A document: inline as `{ name, format, base64 }` (at most INPUT_LIMITS.documentMaxBytes once
 * decoded), or uploaded as `{ uploadId, format }` (POST /api/uploads; up to 4.5 MB).
 */
export const documentInputSchema = strictInput('document', {
  name: shortText('document.name', INPUT_LIMITS.documentNameMaxChars)
    .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'document.name must not contain control characters')
    .optional(),
  format: documentFormat,
  base64: z
    .string({ error: 'document.base64 must be a string' })
    .superRefine((base64, ctx) => {
      const check = checkBase64(base64);
      if (!check.ok) {
        ctx.addIssue({ code: 'custom', message: `document.base64 is not valid base64: ${check.reason}` });
      } else if (check.bytes > INPUT_LIMITS.documentMaxBytes) {
        ctx.addIssue({
          code: 'custom',
          message:
            `the document is ${check.bytes} bytes once decoded; the limit is ${describeBytes(INPUT_LIMITS.documentMaxBytes)} ` +
            `inline: upload larger documents (up to ${MAX_DOCUMENT_SIZE_TEXT}) with POST /api/uploads and give their uploadId`,
        });
      }
    })
    .optional(),
  uploadId: uploadIdField.optional(),
}).superRefine((document, ctx) => {
  const forms = [document.base64 !== undefined, document.uploadId !== undefined].filter(Boolean).length;
  if (forms !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message:
        forms === 0
          ? 'document needs base64 (the file, inline) or uploadId (a file uploaded with POST /api/uploads)'
          : 'document takes base64 or uploadId, not both',
    });
    return;
  }
  if (document.base64 !== undefined && document.name === undefined) {
    ctx.addIssue({ code: 'custom', path: ['name'], message: "document.name is required with base64: the file's name" });
  }
  const signature = SIGNATURES[document.format];
  if (!signature || typeof document.base64 !== 'string' || !checkBase64(document.base64).ok) return;
  if (!signature.test(decodedPrefix(document.base64, SIGNATURE_PREFIX_BYTES))) {
    ctx.addIssue({
      code: 'custom',
      path: ['base64'],
      message: `document.base64 does not hold a ${document.format} file: ${signature.expected}`,
    });
  }
});

/** `{ uploadId, format }`: a document uploaded with POST /api/uploads. */
export const uploadedDocumentSchema = strictInput('document', { uploadId: uploadIdField, format: documentFormat });

/** The upload a `document` input names, as the API checks it (JobTypeDefinition.uploads). */
export function documentUploads(document: { readonly uploadId?: string | undefined; readonly format: DocumentFormat } | undefined): UploadReference[] {
  return document?.uploadId !== undefined ? [{ uploadId: document.uploadId, format: document.format, path: 'input.document.uploadId' }] : [];
}

export type DocumentInput = z.infer<typeof documentInputSchema>;

/** 1–10 unique job ids (UUIDs, compared and kept lower-case). */
export const sourceJobIdsSchema = z
  .array(
    z
      .string({ error: 'each sourceJobIds entry must be a job id (a UUID string)' })
      .refine(isUuid, 'each sourceJobIds entry must be a job id (a UUID)')
      .toLowerCase(),
    {
      error: (issue) =>
        issue.input === undefined
          ? 'sourceJobIds is required: the ids of your earlier jobs (1 to 10)'
          : 'sourceJobIds must be an array of job ids',
    },
  )
  .superRefine(
    lengthWithin(
      INPUT_LIMITS.sourceJobIdsMin,
      INPUT_LIMITS.sourceJobIdsMax,
      `sourceJobIds must name at least ${INPUT_LIMITS.sourceJobIdsMin} job`,
      `sourceJobIds must name at most ${INPUT_LIMITS.sourceJobIdsMax} jobs`,
    ),
  )
  .superRefine((ids, ctx) => {
    const firstIndex = new Map<string, number>();
    ids.forEach((id, index) => {
      const key = id.toLowerCase();
      const first = firstIndex.get(key);
      if (first === undefined) firstIndex.set(key, index);
      else ctx.addIssue({ code: 'custom', path: [index], message: `sourceJobIds must be unique: ${key} is also entry ${first}` });
    });
  });

/**
 * Adds an issue at the input's root unless exactly one of `keys` is present. `what` names the
 * alternatives for the message, e.g. `text (the document) or sourceJobIds (earlier jobs)`.
 */
export function exactlyOneOf<T extends object>(keys: readonly (keyof T & string)[], what: string) {
  return (value: T, ctx: z.RefinementCtx) => {
    const present = keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined);
    if (present.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: present.length === 0 ? `input needs ${what}` : `input takes only one of ${present.join(', ')}; give one of them`,
    });
  };
}
