/**
 * The Bedrock stand-in's answer to a Converse call: no model, a deterministic reply derived from
 * the request.
 *
 * Text: a short summary of the prompt (word counts, a digest, its first words) and of each
 * document (name, format, word count, first words). Tokens are counted as whitespace-separated
 * words, directives excluded: inputTokens = words of the user text + system text + documents'
 * text; outputTokens = words of the answer after the label. With `inferenceConfig.maxTokens` the
 * answer (after the label, which is always kept) is cut to that many words and `stopReason` is
 * `max_tokens`; otherwise `end_turn`. `[[words:n]]` adds n numbered words of the prompt.
 *
 * Structured output: with a `toolConfig`, the answer is one `toolUse` block calling the forced tool
 * (`toolChoice.tool`), else the first tool, stopReason `tool_use`. Its `input` is generated from
 * the tool's JSON schema by `sampleJsonSchema`: valid against it (zod 4 `z.toJSONSchema()` output
 * included), deterministic, strings reading `[stand-in] <field path>: <words of the documents,
 * then the prompt>`. `toolUseId` is `tooluse_standin_` + 16 hex digits of the request's digest.
 * outputTokens = words of the input's JSON (punctuation aside); over `maxTokens` the call is cut
 * as a model's would be: input `{}`, stopReason `max_tokens`.
 */
import type { ConverseCall, StandInDocument, ToolRequest } from './converse-validation.ts';
import { sampleJsonSchema } from './schema-sampler.ts';
import { sha256, words } from './util.ts';

/** The label every answer starts with (followed by ` · <modelId>] `). */
export const STAND_IN_LABEL = '[Bedrock stand-in';

const EXCERPT_WORDS = 12;

interface ToolUseAnswer {
  readonly toolUseId: string;
  readonly name: string;
  readonly input: unknown;
}

type AnswerBlock = { readonly text: string } | { readonly toolUse: ToolUseAnswer };

export interface ConverseAnswer {
  readonly output: { readonly message: { readonly role: 'assistant'; readonly content: readonly AnswerBlock[] } };
  readonly stopReason: 'end_turn' | 'max_tokens' | 'tool_use';
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly totalTokens: number };
  readonly metrics: { readonly latencyMs: number };
}

interface AnswerBody {
  readonly content: readonly AnswerBlock[];
  readonly stopReason: ConverseAnswer['stopReason'];
  readonly outputTokens: number;
}

export function buildAnswer(call: ConverseCall, latencyMs: number): ConverseAnswer {
  const documentWords = call.documents.reduce((total, document) => total + words(document.text).length, 0);
  const inputTokens = words(call.userText).length + words(call.systemText).length + documentWords;
  // Documents enter the digest only when there are some: text-only answers stay as they were.
  const documentParts = call.documents.map((document) => `\u0000${document.name}\u0000${document.text}`).join('');
  const digest = sha256(`${call.systemText}\u0000${call.userText}${documentParts}`);
  const { content, stopReason, outputTokens } = call.tool === undefined ? textAnswer(call, digest) : toolAnswer(call, call.tool, digest);
  return {
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    metrics: { latencyMs },
  };
}

function excerptOf(wordList: readonly string[]): string {
  return wordList.slice(0, EXCERPT_WORDS).join(' ') + (wordList.length > EXCERPT_WORDS ? ' …' : '');
}

function describeDocument(document: StandInDocument): string {
  const documentWords = words(document.text);
  const count = `${documentWords.length} ${documentWords.length === 1 ? 'word' : 'words'}`;
  const beginning = documentWords.length > 0 ? ` beginning "${excerptOf(documentWords)}"` : '';
  return `"${document.name}" (${document.format}, ${count})${beginning}`;
}

function textAnswer(call: ConverseCall, digest: string): AnswerBody {
  const userWords = words(call.userText);
  const systemWords = words(call.systemText);
  const documentCount = call.documents.length;
  const summary = [
    `Stand-in reply, no model was called.`,
    `The prompt has ${userWords.length} ${userWords.length === 1 ? 'word' : 'words'}`,
    systemWords.length > 0 ? `and the system prompt ${systemWords.length},` : '',
    `digest ${digest.slice(0, 8)}.`,
    userWords.length > 0 ? `It begins: "${excerptOf(userWords)}".` : 'It is empty apart from stand-in directives.',
    documentCount > 0
      ? `It comes with ${documentCount} ${documentCount === 1 ? 'document' : 'documents'}: ${call.documents.map(describeDocument).join('; ')}.`
      : '',
  ].join(' ');

  let bodyWords = words(summary);
  const extra = call.directives.extraWords ?? 0;
  if (extra > 0) {
    // Deterministic filler: the prompt's words again and again (or "filler"), numbered.
    const source = userWords.length > 0 ? userWords : ['filler'];
    bodyWords = [...bodyWords, ...Array.from({ length: extra }, (_, index) => `${source[index % source.length]}#${index + 1}`)];
  }
  let stopReason: ConverseAnswer['stopReason'] = 'end_turn';
  if (call.maxTokens !== undefined && bodyWords.length > call.maxTokens) {
    bodyWords = bodyWords.slice(0, call.maxTokens);
    stopReason = 'max_tokens';
  }
  const text = `${STAND_IN_LABEL} · ${call.modelId}] ${bodyWords.join(' ')}`;
  return { content: [{ text }], stopReason, outputTokens: bodyWords.length };
}

/**
 * A call of the tool with an input generated from its schema, quoting the documents' text and
 * then the prompt. Over maxTokens (words of the input's JSON), the call is cut short as a model's
 * would be: input `{}` and stopReason `max_tokens`.
 */
function toolAnswer(call: ConverseCall, tool: ToolRequest, digest: string): AnswerBody {
  const source = [...call.documents.map((document) => document.text), call.userText].join('\n');
  const input = sampleJsonSchema(tool.schema, { text: source, seed: digest });
  const toolUseId = `tooluse_standin_${digest.slice(0, 16)}`;
  const outputTokens = words(JSON.stringify(input).replace(/[{}[\]",:]/g, ' ')).length;
  if (call.maxTokens !== undefined && outputTokens > call.maxTokens) {
    return { content: [{ toolUse: { toolUseId, name: tool.name, input: {} } }], stopReason: 'max_tokens', outputTokens: call.maxTokens };
  }
  return { content: [{ toolUse: { toolUseId, name: tool.name, input } }], stopReason: 'tool_use', outputTokens };
}
