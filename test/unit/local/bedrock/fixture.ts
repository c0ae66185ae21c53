/**
 * What the Bedrock stand-in's tests share: a stand-in on loopback (port 0) driven through the REAL
 * BedrockModel adapter and a real BedrockRuntimeClient (HTTP/2, as the SDK's default handler
 * speaks it), raw HTTP/1.1 requests (fetch) to pin the wire format, and request builders.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll } from 'vitest';
import { z } from 'zod';
import { BedrockModel } from '../../../../lambdas/adapters/bedrock-model.ts';
import type { ModelDocument, StructuredRequest } from '../../../../lambdas/domain/model.ts';
import { type BedrockStandIn, standInClientConfig, startBedrockStandIn } from '../../../../lib/local/bedrock-stand-in.ts';
import { minimalPdf } from '../../../support/pdf.ts';

export const MODEL_ID = 'amazon.nova-lite-v1:0';
export const LABEL = `[Bedrock stand-in · ${MODEL_ID}] `;

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
}

export interface StandInFixture {
  readonly standIn: BedrockStandIn;
  /** The adapter on a client aimed at the stand-in (one attempt per call). */
  readonly model: BedrockModel;
  /** The stand-in's log lines so far. */
  readonly logLines: readonly string[];
  /** A raw HTTP/1.1 request (fetch); a GET has no body. */
  postConverse(path: string, body: string, method?: string): Promise<RawAnswer>;
}

/** Starts a stand-in and an adapter for the test file (beforeAll) and closes them (afterAll). */
export function useStandIn(): StandInFixture {
  let standIn: BedrockStandIn | undefined;
  let client: BedrockRuntimeClient | undefined;
  let model: BedrockModel | undefined;
  const logLines: string[] = [];

  beforeAll(async () => {
    standIn = await startBedrockStandIn({ port: 0, log: (line) => logLines.push(line) });
    client = new BedrockRuntimeClient(standInClientConfig(standIn.url));
    model = new BedrockModel({ defaultModelId: MODEL_ID, client });
  });

  afterAll(async () => {
    client?.destroy();
    await standIn?.close();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the stand-in is not started (useStandIn() starts it in beforeAll)');
    return value;
  };
  return {
    get standIn() {
      return started(standIn);
    },
    get model() {
      return started(model);
    },
    logLines,
    async postConverse(path, body, method = 'POST') {
      const response = await fetch(`${started(standIn).url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body }),
      });
      return { status: response.status, headers: response.headers, json: await response.json() };
    },
  };
}

/** The rejection of `promise` (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

export function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

export const Report = z.object({
  title: z.string(),
  sections: z.array(z.object({ heading: z.string(), text: z.string() })),
  severity: z.enum(['low', 'medium', 'high']),
});

export const REPORT_TOOL: StructuredRequest['tool'] = {
  name: 'record_report',
  description: 'Record the report',
  inputSchema: z.toJSONSchema(Report) as Record<string, unknown>,
};

export function textDocument(name: string, text: string, format: ModelDocument['format'] = 'txt'): ModelDocument {
  return { name, format, bytes: new TextEncoder().encode(text) };
}

/** A one-page PDF showing `text` (see test/support/pdf.ts), as the document "incident report". */
export function pdfDocument(text: string, options: { readonly compressed?: boolean } = {}): ModelDocument {
  return { name: 'incident report', format: 'pdf', bytes: new Uint8Array(minimalPdf(text, options)) };
}

/** A raw Converse body with the given user content blocks (documents as the SDK encodes them). */
export function converseBody(content: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ messages: [{ role: 'user', content }], ...extra });
}

export function documentBlock(name: string, text: string, format = 'txt'): unknown {
  return { document: { name, format, source: { bytes: Buffer.from(text).toString('base64') } } };
}

export function answerText(json: unknown): string {
  return (json as { output: { message: { content: [{ text: string }] } } }).output.message.content[0].text;
}
