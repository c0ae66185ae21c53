/**
 * Reads a Converse request for the Bedrock stand-in (`POST /model/{modelId}/converse`, JSON body
 * `{ messages, system?, inferenceConfig?, toolConfig? }`; content blocks read: `text` and
 * `document` (`{ name, format, source: { bytes: <base64> } }`, or a `text` source)) and rejects,
 * with a 400 ValidationException, a body that is not JSON or not a Converse request, and what
 * Bedrock itself rejects (its limits: `lambdas/domain/bedrock-limits.ts`): a document name with
 * characters other than alphanumerics, single whitespace, hyphens, parentheses and square brackets
 * (or over 200 characters), a message with a document but no text block, two documents of one
 * name in a message, more than 5 documents, a document over 4.5 MB or empty, an unknown format; a
 * tool name outside `[a-zA-Z0-9_-]{1,64}`, a tool schema without `"type": "object"` (Anthropic
 * models require it), a toolChoice naming no listed tool.
 */
import {
  BEDROCK_DOCUMENT_FORMATS,
  isBedrockDocumentName,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENT_NAME_LENGTH,
  MAX_DOCUMENTS,
  TOOL_NAME_PATTERN,
} from '../../../lambdas/domain/bedrock-limits.ts';
import { DIRECTIVE_FORMATS, type Directives, parseDirectives, stripDirectives } from './directives.ts';
import { documentText } from './document-text.ts';
import { validation } from './errors.ts';
import { isObject, sha256 } from './util.ts';

export interface StandInDocument {
  readonly name: string;
  readonly format: string;
  /** The text read from it (see `documentText`), directives removed. */
  readonly text: string;
  /** The text directives are read from: the extracted text for txt/md/csv/html, '' otherwise. */
  readonly directiveText: string;
}

export interface ToolRequest {
  /** The tool the answer calls. */
  readonly name: string;
  /** Its input schema (`toolSpec.inputSchema.json`). */
  readonly schema: Record<string, unknown>;
}

export interface ConverseCall {
  readonly modelId: string;
  /** User messages' text and system text, directives removed. */
  readonly userText: string;
  readonly systemText: string;
  /** The user messages' documents, in order. */
  readonly documents: readonly StandInDocument[];
  readonly maxTokens: number | undefined;
  /** Set when the request has a toolConfig: the answer is a call of this tool. */
  readonly tool: ToolRequest | undefined;
  readonly directives: Directives;
  /** Counter key: the model id and the full request text (documents by their bytes' digest). */
  readonly key: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Formats as a plain list, to look up any string. */
const ACCEPTED_FORMATS: readonly string[] = BEDROCK_DOCUMENT_FORMATS;

/** The model id of the path, URL-decoded. */
export function decodeModelId(encoded: string): string {
  let modelId: string;
  try {
    modelId = decodeURIComponent(encoded);
  } catch {
    throw validation('The model id in the path is not valid URL encoding');
  }
  if (modelId.trim() === '') throw validation('The model id must not be empty');
  return modelId;
}

/** The text blocks of a content list; blank text is rejected, as Bedrock does. */
function textBlocks(content: unknown, where: string): string[] {
  return readContent(content, where).texts;
}

interface RawDocument {
  readonly name: string;
  readonly format: string;
  readonly bytes: Buffer;
}

/**
 * The text and document blocks of a content list (other blocks: images, tool use, ... are not
 * read). Blank text is rejected, as Bedrock does; documents are checked as Bedrock checks them.
 */
function readContent(content: unknown, where: string): { texts: string[]; documents: RawDocument[] } {
  if (!Array.isArray(content)) throw validation(`${where} must be a list of content blocks`);
  const texts: string[] = [];
  const documents: RawDocument[] = [];
  content.forEach((block: unknown, index) => {
    if (!isObject(block)) throw validation(`${where}.${index} must be a content block object`);
    if (block.document !== undefined) {
      documents.push(readDocument(block.document, `${where}.${index}.document`));
      return;
    }
    if (block.text === undefined) return; // images, tool use...: not read here
    if (typeof block.text !== 'string') throw validation(`${where}.${index}.text must be a string`);
    if (block.text.trim() === '') {
      throw validation(`The text field in the ContentBlock object at ${where}.${index} is blank. Add text to the text field, and try again.`);
    }
    texts.push(block.text);
  });
  return { texts, documents };
}

function readDocument(value: unknown, where: string): RawDocument {
  if (!isObject(value)) throw validation(`${where} must be an object`);
  const { name, format = 'txt', source } = value;
  if (typeof name !== 'string' || !isBedrockDocumentName(name)) {
    throw validation(
      `${where}.name is invalid: a document name can only contain alphanumeric characters, whitespace characters ` +
        `(no more than one in a row), hyphens, parentheses and square brackets, 1 to ${MAX_DOCUMENT_NAME_LENGTH} characters`,
    );
  }
  if (typeof format !== 'string' || !ACCEPTED_FORMATS.includes(format)) {
    throw validation(`${where}.format must be one of ${ACCEPTED_FORMATS.join(', ')}`);
  }
  if (!isObject(source)) throw validation(`${where}.source must be an object`);
  let bytes: Buffer;
  if (typeof source.bytes === 'string') {
    if (!BASE64.test(source.bytes)) throw validation(`${where}.source.bytes must be base64`);
    bytes = Buffer.from(source.bytes, 'base64');
  } else if (typeof source.text === 'string') {
    bytes = Buffer.from(source.text, 'utf8');
  } else {
    throw validation(`${where}.source: the stand-in reads bytes and text document sources only`);
  }
  if (bytes.length === 0) throw validation(`${where}.source must not be empty`);
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw validation(`${where} is ${bytes.length} bytes: a document can be at most ${MAX_DOCUMENT_BYTES} bytes`);
  }
  return { name, format, bytes };
}

/** The tool the answer calls: the forced one, else the first. */
function readToolConfig(value: unknown): ToolRequest {
  if (!isObject(value)) throw validation('toolConfig must be an object');
  const { tools, toolChoice } = value;
  if (!Array.isArray(tools) || tools.length === 0) throw validation('toolConfig.tools must be a non-empty list');
  const schemas = new Map<string, Record<string, unknown>>();
  tools.forEach((tool: unknown, index) => {
    const where = `toolConfig.tools.${index}`;
    if (!isObject(tool)) throw validation(`${where} must be an object`);
    if (tool.toolSpec === undefined) return; // cachePoint, systemTool: nothing to call
    const spec = tool.toolSpec;
    if (!isObject(spec)) throw validation(`${where}.toolSpec must be an object`);
    if (typeof spec.name !== 'string' || !TOOL_NAME_PATTERN.test(spec.name)) {
      throw validation(`${where}.toolSpec.name is invalid: a tool name can only contain letters, numbers, underscores and hyphens (1 to 64 characters)`);
    }
    if (spec.description !== undefined && (typeof spec.description !== 'string' || spec.description === '')) {
      throw validation(`${where}.toolSpec.description must be a non-empty string`);
    }
    const json = isObject(spec.inputSchema) ? spec.inputSchema.json : undefined;
    if (!isObject(json)) throw validation(`${where}.toolSpec.inputSchema.json must be a JSON object`);
    // Anthropic models require it; a top-level union (anyOf / oneOf) is rejected.
    if (json.type !== 'object') throw validation(`${where}.toolSpec.inputSchema.json must have "type": "object"`);
    if (schemas.has(spec.name)) throw validation(`${where}.toolSpec.name: the tool name ${spec.name} is used twice`);
    schemas.set(spec.name, json);
  });
  const first = schemas.keys().next().value;
  if (first === undefined) throw validation('toolConfig.tools must hold at least one toolSpec');
  let name = first;
  if (toolChoice !== undefined) {
    if (!isObject(toolChoice)) throw validation('toolConfig.toolChoice must be an object');
    const kinds = Object.keys(toolChoice);
    const kind = kinds[0];
    if (kinds.length !== 1 || (kind !== 'auto' && kind !== 'any' && kind !== 'tool')) {
      throw validation('toolConfig.toolChoice must hold exactly one of auto, any, tool');
    }
    if (kind === 'tool') {
      const forced = toolChoice.tool;
      if (!isObject(forced) || typeof forced.name !== 'string' || !schemas.has(forced.name)) {
        throw validation('toolConfig.toolChoice.tool.name must name one of the tools');
      }
      name = forced.name;
    }
  }
  return { name, schema: schemas.get(name) ?? {} };
}

/** The call a Converse request body asks for, or a ValidationException. */
export function parseConverse(modelId: string, body: string): ConverseCall {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    throw validation('The request body is not valid JSON');
  }
  if (!isObject(request)) throw validation('The request body must be a JSON object');

  const { messages, system, inferenceConfig, toolConfig } = request;
  if (!Array.isArray(messages) || messages.length === 0) throw validation('messages must be a non-empty list');
  const userTexts: string[] = [];
  const rawDocuments: RawDocument[] = [];
  const keyParts: string[] = [modelId];
  messages.forEach((message: unknown, index) => {
    if (!isObject(message)) throw validation(`messages.${index} must be an object`);
    if (message.role !== 'user' && message.role !== 'assistant') {
      throw validation(`messages.${index}.role must be 'user' or 'assistant'`);
    }
    const { texts, documents } = readContent(message.content, `messages.${index}.content`);
    if (documents.length > 0 && texts.length === 0) {
      throw validation(`messages.${index}.content: a message with a document must also contain a text block`);
    }
    const names = new Set<string>();
    for (const document of documents) {
      if (names.has(document.name)) throw validation(`messages.${index}.content: the document name ${document.name} is used twice`);
      names.add(document.name);
    }
    if (message.role === 'user') {
      userTexts.push(...texts);
      rawDocuments.push(...documents);
    }
    const documentKeys = documents.map((document) => `\u0000document:${document.name}:${document.format}:${sha256(document.bytes)}`);
    keyParts.push(`${message.role}:${texts.join('\n')}${documentKeys.join('')}`);
  });
  if (rawDocuments.length > MAX_DOCUMENTS) {
    throw validation(`The request holds ${rawDocuments.length} documents: at most ${MAX_DOCUMENTS} are accepted`);
  }
  const systemTexts = system === undefined ? [] : textBlocks(system, 'system');
  keyParts.push(`system:${systemTexts.join('\n')}`);

  let maxTokens: number | undefined;
  if (inferenceConfig !== undefined) {
    if (!isObject(inferenceConfig)) throw validation('inferenceConfig must be an object');
    const value = inferenceConfig.maxTokens;
    if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw validation('inferenceConfig.maxTokens must be an integer of at least 1');
      }
      maxTokens = value;
    }
  }
  const tool = toolConfig === undefined ? undefined : readToolConfig(toolConfig);

  const documents = rawDocuments.map((document): StandInDocument => {
    const extracted = documentText(document.format, document.bytes);
    const readsDirectives = DIRECTIVE_FORMATS.has(document.format);
    return {
      name: document.name,
      format: document.format,
      text: stripDirectives(extracted),
      directiveText: readsDirectives ? extracted : '',
    };
  });
  const userRaw = userTexts.join('\n');
  const systemRaw = systemTexts.join('\n');
  return {
    modelId,
    userText: stripDirectives(userRaw),
    systemText: stripDirectives(systemRaw),
    documents,
    maxTokens,
    tool,
    directives: parseDirectives([systemRaw, userRaw, ...documents.map((document) => document.directiveText)].join('\n')),
    key: sha256(keyParts.join('\u0000')),
  };
}
