/**
 * Amazon Bedrock Converse's limits on what a request may carry, in one place: the adapter checks
 * them before a call, the uploads and job inputs are sized by them, the local Bedrock stand-in
 * rejects what breaks them as Bedrock does, and the tests build their edge cases from them.
 * Plain values only (no imports): Lambdas and the local runtime both use this module.
 */

/** Documents per request (Converse `DocumentBlock`s, all messages together). */
export const MAX_DOCUMENTS = 5;

/** Bytes per document: 4.5 MB (4,718,592 bytes). */
export const MAX_DOCUMENT_BYTES = 4.5 * 1024 * 1024;

/** `4.5 MB`: the document size limit as messages and docs write it. */
export const MAX_DOCUMENT_SIZE_TEXT = `${MAX_DOCUMENT_BYTES / (1024 * 1024)} MB`;

/** Characters per document name. */
export const MAX_DOCUMENT_NAME_LENGTH = 200;

/** The characters a document name may hold besides whitespace (as a regex character class body). */
const DOCUMENT_NAME_CHARACTERS = String.raw`A-Za-z0-9()[\]-`;

/**
 * A name Bedrock accepts: alphanumerics, hyphens, parentheses, square brackets, and whitespace
 * never twice in a row (length checked apart: see `isBedrockDocumentName`).
 */
export const DOCUMENT_NAME_PATTERN = new RegExp(String.raw`^(?:[${DOCUMENT_NAME_CHARACTERS}]|\s(?!\s))+$`);

/** Runs of characters a document name may not hold (whitespace included): replace them with a space. */
export const DOCUMENT_NAME_DISALLOWED = new RegExp(`[^${DOCUMENT_NAME_CHARACTERS}]+`, 'g');

export function isBedrockDocumentName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_DOCUMENT_NAME_LENGTH && DOCUMENT_NAME_PATTERN.test(name);
}

/** Every `DocumentBlock.format` Bedrock accepts (the product itself takes a subset: `DOCUMENT_FORMATS`). */
export const BEDROCK_DOCUMENT_FORMATS = ['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md'] as const;
export type BedrockDocumentFormat = (typeof BEDROCK_DOCUMENT_FORMATS)[number];

/** A tool name (`toolSpec.name`): letters, digits, underscores and hyphens, 1 to 64 characters. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
