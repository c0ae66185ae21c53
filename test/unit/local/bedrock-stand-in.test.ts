/**
 * The Bedrock stand-in, driven through the REAL BedrockModel adapter and a real
 * BedrockRuntimeClient (HTTP/2, as the SDK's default handler speaks it) pointed at it, plus raw
 * HTTP/1.1 requests (fetch) to pin the wire format. Loopback only, port 0.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { deflateSync } from 'node:zlib';
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConflictException,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { BedrockModel } from '../../../lambdas/adapters/bedrock-model.ts';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';
import type { ModelDocument, ModelRequest, StructuredRequest } from '../../../lambdas/domain/model.ts';
import {
  type BedrockStandIn,
  documentText,
  MAX_DELAY_MS,
  sampleJsonSchema,
  standInClientConfig,
  startBedrockStandIn,
} from '../../../lib/local/bedrock-stand-in.ts';

const MODEL_ID = 'amazon.nova-lite-v1:0';
const LABEL = `[Bedrock stand-in · ${MODEL_ID}] `;

let standIn: BedrockStandIn;
let client: BedrockRuntimeClient;
let model: BedrockModel;
const logLines: string[] = [];

beforeAll(async () => {
  standIn = await startBedrockStandIn({ port: 0, log: (line) => logLines.push(line) });
  client = new BedrockRuntimeClient(standInClientConfig(standIn.url));
  model = new BedrockModel({ defaultModelId: MODEL_ID, client });
});

afterAll(async () => {
  client.destroy();
  await standIn.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The rejection of `promise` (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

async function postConverse(path: string, body: string, method = 'POST'): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`${standIn.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe('Bedrock stand-in: answers', () => {
  it('answers through the real adapter with a labelled text, usage and stop reason', async () => {
    const response = await model.generate({ prompt: 'Summarise the quarterly report for the board', system: 'Be brief.' });

    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(response.text).toContain('Summarise the quarterly report for the board');
    expect(response.modelId).toBe(MODEL_ID);
    expect(response.stopReason).toBe('end_turn');
    expect(response.usage).toEqual({
      inputTokens: 7 + 2,
      outputTokens: words(response.text.slice(LABEL.length)).length,
    });
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('accepts any model id, URL-encoded in the path (colons, inference-profile ARNs)', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0';
    const response = await model.generate({ prompt: 'Hello there', modelId: arn });
    expect(response.modelId).toBe(arn);
    expect(response.text.startsWith(`[Bedrock stand-in · ${arn}] `)).toBe(true);
  });

  it('is deterministic: the same input gives the same answer, another input another one', async () => {
    const request: ModelRequest = { prompt: 'Write a haiku about queues', system: 'You are a poet.', maxTokens: 200 };
    const first = await model.generate(request);
    const second = await model.generate(request);
    const other = await model.generate({ ...request, prompt: 'Write a haiku about tables' });

    expect(second.text).toBe(first.text);
    expect(second.usage).toEqual(first.usage);
    expect(second.stopReason).toBe(first.stopReason);
    expect(other.text).not.toBe(first.text);
  });

  it('cuts the answer to maxTokens words (stopReason max_tokens), keeping the label', async () => {
    const cut = await model.generate({ prompt: 'Explain the design of the jobs API in detail', maxTokens: 5 });
    expect(cut.stopReason).toBe('max_tokens');
    expect(cut.text.startsWith(LABEL)).toBe(true);
    expect(words(cut.text.slice(LABEL.length))).toHaveLength(5);
    expect(cut.usage.outputTokens).toBe(5);

    const full = await model.generate({ prompt: 'Explain the design of the jobs API in detail', maxTokens: 1000 });
    expect(full.stopReason).toBe('end_turn');
    expect(full.usage.outputTokens).toBeGreaterThan(5);
    expect(full.text.startsWith(cut.text)).toBe(true);
  });

  it('rejects blank text blocks as Bedrock does (ValidationException, non-retryable)', async () => {
    const error = await rejectionOf(model.generate({ prompt: '   ' }));
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toMatch(/^Bedrock API error: ValidationException - The text field in the ContentBlock object at messages\.0\.content\.0 is blank/);
  });
});

describe('Bedrock stand-in: wire format (HTTP/1.1)', () => {
  it('answers POST /model/{modelId}/converse with the Converse response shape', async () => {
    const { status, headers, json } = await postConverse(
      `/model/${encodeURIComponent(MODEL_ID)}/converse`,
      JSON.stringify({
        messages: [{ role: 'user', content: [{ text: 'one two three' }] }],
        system: [{ text: 'four' }],
        inferenceConfig: { maxTokens: 3 },
      }),
    );
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(json).toEqual({
      output: { message: { role: 'assistant', content: [{ text: `${LABEL}Stand-in reply, no` }] } },
      stopReason: 'max_tokens',
      usage: { inputTokens: 4, outputTokens: 3, totalTokens: 7 },
      metrics: { latencyMs: expect.any(Number) },
    });
  });

  it('answers an injected error with its status, x-amzn-errortype and {"message"}', async () => {
    const { status, headers, json } = await postConverse(
      '/model/m/converse',
      JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi [[fail:ThrottlingException]]' }] }] }),
    );
    expect(status).toBe(429);
    expect(headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(headers.get('content-type')).toBe('application/json');
    expect(json).toEqual({ message: 'Rate exceeded (stand-in fault injection)' });
  });

  it('answers unknown paths and methods with 404 UnknownOperationException', async () => {
    for (const [path, method] of [
      ['/model/m/converse-stream', 'POST'],
      ['/model/m/invoke', 'POST'],
      ['/', 'POST'],
      ['/model/m/converse', 'GET'],
    ] as const) {
      const { status, headers, json } = await postConverse(path, '{}', method);
      expect(status, `${method} ${path}`).toBe(404);
      expect(headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      expect(json).toEqual({ message: expect.stringContaining('No such operation') });
    }
  });

  it('answers malformed requests with 400 ValidationException', async () => {
    const bodies = [
      '{"messages": [',
      '[]',
      '{}',
      '{"messages": []}',
      '{"messages": [{"role": "robot", "content": [{"text": "x"}]}]}',
      '{"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"maxTokens": 0}}',
      '{"messages": [{"role": "user", "content": [{"text": "x [[delay:soon]]"}]}]}',
      '{"messages": [{"role": "user", "content": [{"text": "x [[fail:]]"}]}]}',
    ];
    for (const body of bodies) {
      const { status, headers, json } = await postConverse('/model/m/converse', body);
      expect(status, body).toBe(400);
      expect(headers.get('x-amzn-errortype'), body).toBe('ValidationException');
      expect(json).toEqual({ message: expect.any(String) });
    }
  });
});

describe('Bedrock stand-in: fault injection', () => {
  it('[[fail:ThrottlingException:2]] fails the first two calls of that job, then answers', async () => {
    const request: ModelRequest = { prompt: 'Job 7f3a: summarise the logs [[fail:ThrottlingException:2]]' };
    const callsBefore = standIn.calls;

    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const error = await rejectionOf(model.generate(request));
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.message).toBe('Bedrock API error: ThrottlingException - Rate exceeded (stand-in fault injection)');
      expect(error.cause).toBeInstanceOf(ThrottlingException);
      expect((error.cause as ThrottlingException).$metadata.httpStatusCode).toBe(429);
    }
    const response = await model.generate(request);
    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(response.text).not.toContain('[[');
    expect(response.text).toContain('Job 7f3a: summarise the logs');
    expect(response.usage.inputTokens).toBe(5);
    // maxAttempts 1: one HTTP call per generate().
    expect(standIn.calls - callsBefore).toBe(3);
  });

  it('[[fail:ValidationException]] fails every call with a NonRetryableError', async () => {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const error = await rejectionOf(model.generate({ prompt: 'Bad input [[fail:ValidationException]]' }));
      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toBe('Bedrock API error: ValidationException - Input validation failed (stand-in fault injection)');
    }
  });

  it('counts calls per job: other prompts (or model ids) have their own counters', async () => {
    const jobA: ModelRequest = { prompt: 'Job A [[fail:ServiceUnavailableException:2]]' };
    const jobB: ModelRequest = { prompt: 'Job B [[fail:ServiceUnavailableException:2]]' };
    const jobAOtherModel: ModelRequest = { ...jobA, modelId: 'amazon.nova-pro-v1:0' };

    await expect(model.generate(jobA)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobB)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobA)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobAOtherModel)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobA)).resolves.toMatchObject({ stopReason: 'end_turn' });
    await expect(model.generate(jobB)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobB)).resolves.toMatchObject({ stopReason: 'end_turn' });
    await expect(model.generate(jobAOtherModel)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobAOtherModel)).resolves.toMatchObject({ modelId: 'amazon.nova-pro-v1:0' });
  });

  it('reads directives in the system prompt too, and strips them from the answer', async () => {
    const request: ModelRequest = { prompt: 'Plain prompt', system: 'Be terse. [[fail:ModelTimeoutException:1]]' };
    await expect(model.generate(request)).rejects.toThrow('Bedrock API error: ModelTimeoutException - ');
    const response = await model.generate(request);
    expect(response.text).not.toContain('[[');
    expect(response.usage.inputTokens).toBe(2 + 2);
  });

  it('[[delay:300]] answers after at least 300 ms', async () => {
    const startedAt = performance.now();
    const response = await model.generate({ prompt: 'Slow job [[delay:300]]' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(300);
    expect(response.latencyMs).toBeGreaterThanOrEqual(300);
    expect(response.text).not.toContain('[[');
  });

  it('[[words:2000]] lengthens a text answer by that many words, still cut to maxTokens', async () => {
    const plain = await model.generate({ prompt: 'Harvest notes' });
    const long = await model.generate({ prompt: 'Harvest notes [[words:2000]]' });
    expect(words(long.text).length - words(plain.text).length).toBe(2000);
    expect(long.text).toContain('Harvest#1 notes#2');
    expect(long.text).not.toContain('[[');
    expect(long.usage.outputTokens).toBe(plain.usage.outputTokens + 2000);
    const cut = await model.generate({ prompt: 'Harvest notes [[words:2000]]', maxTokens: 100 });
    expect(cut).toMatchObject({ stopReason: 'max_tokens', usage: { outputTokens: 100 } });
  });

  it('an aborted call ends early with the abort reason, and the stand-in drops it cleanly', async () => {
    const controller = new AbortController();
    const reason = new Error('attempt deadline reached');
    setTimeout(() => controller.abort(reason), 50);

    const startedAt = performance.now();
    const error = await rejectionOf(model.generate({ prompt: 'Cancelled job [[delay:5000]]', signal: controller.signal }));
    expect(error).toBe(reason);
    expect(performance.now() - startedAt).toBeLessThan(1000);
    await vi.waitFor(() => expect(logLines.some((line) => line.includes('dropped during the 5000 ms delay'))).toBe(true));

    await expect(model.generate({ prompt: 'After the abort' })).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  it('caps delays', () => {
    expect(MAX_DELAY_MS).toBe(120_000);
  });

  const cases: ReadonlyArray<{
    directive: string;
    name: string;
    status: number;
    sdkClass: new (...args: never[]) => BedrockRuntimeServiceException;
    domainClass: typeof RetryableError | typeof NonRetryableError;
  }> = [
    { directive: 'ThrottlingException', name: 'ThrottlingException', status: 429, sdkClass: ThrottlingException, domainClass: RetryableError },
    { directive: 'ServiceUnavailableException', name: 'ServiceUnavailableException', status: 503, sdkClass: ServiceUnavailableException, domainClass: RetryableError },
    { directive: 'InternalServerException', name: 'InternalServerException', status: 500, sdkClass: InternalServerException, domainClass: RetryableError },
    { directive: 'ModelTimeoutException', name: 'ModelTimeoutException', status: 408, sdkClass: ModelTimeoutException, domainClass: RetryableError },
    { directive: 'ModelNotReadyException', name: 'ModelNotReadyException', status: 429, sdkClass: ModelNotReadyException, domainClass: RetryableError },
    { directive: 'ServiceQuotaExceededException', name: 'ServiceQuotaExceededException', status: 400, sdkClass: ServiceQuotaExceededException, domainClass: RetryableError },
    { directive: 'ValidationException', name: 'ValidationException', status: 400, sdkClass: ValidationException, domainClass: NonRetryableError },
    { directive: 'AccessDeniedException', name: 'AccessDeniedException', status: 403, sdkClass: AccessDeniedException, domainClass: NonRetryableError },
    { directive: 'ResourceNotFoundException', name: 'ResourceNotFoundException', status: 404, sdkClass: ResourceNotFoundException, domainClass: NonRetryableError },
    { directive: 'ConflictException', name: 'ConflictException', status: 400, sdkClass: ConflictException, domainClass: NonRetryableError },
    { directive: 'ModelErrorException', name: 'ModelErrorException', status: 424, sdkClass: ModelErrorException, domainClass: NonRetryableError },
    { directive: 'ModelErrorException@503', name: 'ModelErrorException', status: 424, sdkClass: ModelErrorException, domainClass: RetryableError },
    { directive: 'MysteryException', name: 'MysteryException', status: 400, sdkClass: BedrockRuntimeServiceException, domainClass: NonRetryableError },
  ];

  it.each(cases)('[[fail:$directive]] → HTTP $status, SDK $name, adapter $domainClass.name', async (testCase) => {
    const error = await rejectionOf(model.generate({ prompt: `Mapping test [[fail:${testCase.directive}]]` }));

    expect(error).toBeInstanceOf(testCase.domainClass);
    expect(error.message).toMatch(new RegExp(`^Bedrock API error: ${testCase.name} - .+ \\(stand-in fault injection\\)$`));
    const cause = error.cause as BedrockRuntimeServiceException;
    expect(cause).toBeInstanceOf(testCase.sdkClass);
    expect(cause.name).toBe(testCase.name);
    expect(cause.$metadata.httpStatusCode).toBe(testCase.status);
    if (testCase.name === 'ModelErrorException') {
      const modelError = cause as ModelErrorException;
      expect(modelError.originalStatusCode).toBe(testCase.directive.endsWith('@503') ? 503 : 400);
      expect(modelError.resourceName).toBe(MODEL_ID);
    }
  });
});

describe('Bedrock stand-in: SDK retries and configuration', () => {
  it('with the SDK default of 3 attempts, [[fail:InternalServerException:2]] is absorbed inside one call', async () => {
    const retryingClient = new BedrockRuntimeClient(standInClientConfig(standIn.url, { maxAttempts: 3 }));
    try {
      const retryingModel = new BedrockModel({ defaultModelId: MODEL_ID, client: retryingClient });
      const callsBefore = standIn.calls;
      const response = await retryingModel.generate({ prompt: 'Absorbed [[fail:InternalServerException:2]]' });
      expect(response.stopReason).toBe('end_turn');
      expect(standIn.calls - callsBefore).toBe(3);
    } finally {
      retryingClient.destroy();
    }
  });

  it('standInClientConfig gives one attempt, a loopback endpoint and placeholder credentials', () => {
    expect(standInClientConfig(standIn.url)).toEqual({
      endpoint: standIn.url,
      maxAttempts: 1,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  it('is reached by a default client through AWS_ENDPOINT_URL_BEDROCK_RUNTIME', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_BEDROCK_RUNTIME', standIn.url);
    const envModel = new BedrockModel({ defaultModelId: MODEL_ID, region: 'us-east-1' });
    const callsBefore = standIn.calls;
    const response = await envModel.generate({ prompt: 'Through the environment' });
    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(standIn.calls - callsBefore).toBe(1);
  });
});

describe('Bedrock stand-in: lifecycle', () => {
  it('listens on loopback only', async () => {
    expect(standIn.url).toBe(`http://127.0.0.1:${standIn.port}`);
    await expect(startBedrockStandIn({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback only/);

    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal);
    if (external === undefined) return; // no non-loopback interface here: nothing else to try
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: external.address, port: standIn.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('close() returns promptly with kept-alive sessions and pending delays, and frees the port', async () => {
    const own = await startBedrockStandIn({});
    const ownClient = new BedrockRuntimeClient(standInClientConfig(own.url));
    try {
      const ownModel = new BedrockModel({ defaultModelId: MODEL_ID, client: ownClient });
      await ownModel.generate({ prompt: 'Warm up the connection' });
      const pending = rejectionOf(ownModel.generate({ prompt: 'Never answered [[delay:60000]]' }));
      await vi.waitFor(() => expect(own.calls).toBe(2));

      const startedAt = performance.now();
      await own.close();
      expect(performance.now() - startedAt).toBeLessThan(1000);
      expect(await pending).toBeInstanceOf(RetryableError); // a dropped connection is worth a retry
      await expect(fetch(`${own.url}/model/m/converse`, { method: 'POST', body: '{}' })).rejects.toThrow();
    } finally {
      ownClient.destroy();
      await own.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Documents and structured output
// ---------------------------------------------------------------------------------------------

const Report = z.object({
  title: z.string(),
  sections: z.array(z.object({ heading: z.string(), text: z.string() })),
  severity: z.enum(['low', 'medium', 'high']),
});

const REPORT_TOOL: StructuredRequest['tool'] = {
  name: 'record_report',
  description: 'Record the report',
  inputSchema: z.toJSONSchema(Report) as Record<string, unknown>,
};

function textDocument(name: string, text: string, format: ModelDocument['format'] = 'txt'): ModelDocument {
  return { name, format, bytes: new TextEncoder().encode(text) };
}

/** A minimal valid PDF: one page, one text object showing `text`, xref offsets computed. */
function minimalPdf(text: string, options: { readonly compressed?: boolean } = {}): ModelDocument {
  const escaped = text.replace(/[\\()]/g, (char) => `\\${char}`);
  const content = Buffer.from(`BT\n/F1 12 Tf\n72 720 Td\n(${escaped}) Tj\nET\n`, 'latin1');
  const stream = options.compressed ? deflateSync(content) : content;
  const filter = options.compressed ? ' /Filter /FlateDecode' : '';
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>'),
    Buffer.concat([Buffer.from(`<< /Length ${stream.length}${filter} >>\nstream\n`), stream, Buffer.from('\nendstream')]),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let length = parts[0]!.length;
  objects.forEach((body, index) => {
    const object = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    offsets.push(length);
    parts.push(object);
    length += object.length;
  });
  const xref = [
    `xref\n0 ${objects.length + 1}\n`,
    '0000000000 65535 f \n',
    ...offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`),
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`,
  ].join('');
  parts.push(Buffer.from(xref));
  return { name: 'incident report', format: 'pdf', bytes: new Uint8Array(Buffer.concat(parts)) };
}

/** A raw Converse body with the given user content blocks (documents as the SDK encodes them). */
function converseBody(content: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ messages: [{ role: 'user', content }], ...extra });
}

function documentBlock(name: string, text: string, format = 'txt'): unknown {
  return { document: { name, format, source: { bytes: Buffer.from(text).toString('base64') } } };
}

function answerText(json: unknown): string {
  return (json as { output: { message: { content: [{ text: string }] } } }).output.message.content[0].text;
}

describe('Bedrock stand-in: structured output (tool use)', () => {
  it('answers with a tool call whose input is valid against the zod schema it came from', async () => {
    const response = await model.generateStructured({
      prompt: 'Write the incident report for the payments outage of Tuesday',
      system: 'You are an SRE.',
      tool: REPORT_TOOL,
    });

    const report = Report.parse(response.value);
    expect(report.title).toBe('[stand-in] title: Write the incident report for the');
    expect(report.sections).toHaveLength(2);
    expect(report.sections[0]?.heading).toMatch(/^\[stand-in\] sections\[0\]\.heading: /);
    expect(response.stopReason).toBe('tool_use');
    expect(response.modelId).toBe(MODEL_ID);
    expect(response.usage.inputTokens).toBe(11 + 3);
    expect(response.usage.outputTokens).toBeGreaterThan(0);
  });

  it('shows the schema zod 4 writes for it: a plain draft 2020-12 object, no $ref', () => {
    expect(REPORT_TOOL.inputSchema).toStrictEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        title: { type: 'string' },
        sections: {
          type: 'array',
          items: {
            type: 'object',
            properties: { heading: { type: 'string' }, text: { type: 'string' } },
            required: ['heading', 'text'],
            additionalProperties: false,
          },
        },
        severity: { type: 'string', enum: ['low', 'medium', 'high'] },
      },
      required: ['title', 'sections', 'severity'],
      additionalProperties: false,
    });
  });

  it('is deterministic: the same request gives the same value, another prompt another one', async () => {
    const request: StructuredRequest = { prompt: 'Report on the database failover drill', tool: REPORT_TOOL };
    const first = await model.generateStructured(request);
    const second = await model.generateStructured(request);
    const other = await model.generateStructured({ ...request, prompt: 'Report on the cache eviction storm' });

    expect(second.value).toStrictEqual(first.value);
    expect(second.usage).toStrictEqual(first.usage);
    expect(other.value).not.toStrictEqual(first.value);
  });

  it('quotes a text document before the prompt, and counts its words as input', async () => {
    const response = await model.generateStructured({
      prompt: 'Summarise the notes',
      documents: [textDocument('notes', 'Disk usage on the primary crossed ninety percent at noon')],
      tool: REPORT_TOOL,
    });

    const report = Report.parse(response.value);
    expect(report.title).toBe('[stand-in] title: Disk usage on the primary crossed');
    expect(response.usage.inputTokens).toBe(3 + 10);
  });

  it('reads the text of a tiny hand-made PDF', async () => {
    const pdf = minimalPdf('Quarterly revenue (EMEA) grew by twelve percent');
    const response = await model.generateStructured({ prompt: 'Extract the facts', documents: [pdf], tool: REPORT_TOOL });

    expect(Report.parse(response.value).title).toBe('[stand-in] title: Quarterly revenue (EMEA) grew by twelve');
  });

  it('answers max_tokens with a cut call when the input exceeds maxTokens: the adapter retries', async () => {
    const error = await rejectionOf(model.generateStructured({ prompt: 'Write a long report', maxTokens: 5, tool: REPORT_TOOL }));

    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('Bedrock returned no structured output (stopReason: max_tokens)');
  });

  it('reads fault directives inside a text document and keeps them out of the value', async () => {
    const request: StructuredRequest = {
      prompt: 'Summarise the attached log',
      documents: [textDocument('log', 'Job 5c1e: error rate spiked [[fail:ThrottlingException:1]] then recovered')],
      tool: REPORT_TOOL,
    };

    const error = await rejectionOf(model.generateStructured(request));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('Bedrock API error: ThrottlingException - Rate exceeded (stand-in fault injection)');

    const response = await model.generateStructured(request);
    expect(JSON.stringify(response.value)).not.toContain('[[');
    expect(Report.parse(response.value).title).toBe('[stand-in] title: Job 5c1e: error rate spiked then');
  });

  it('reads directives in html documents (after stripping tags), counting per document content', async () => {
    const html = (job: string) =>
      textDocument('page', `<html><body><p>Job ${job}</p><!-- [[fail:Ignored]] --><p>[[fail:ServiceUnavailableException:1]]</p></body></html>`, 'html');
    const jobA: StructuredRequest = { prompt: 'Read the page', documents: [html('A')], tool: REPORT_TOOL };
    const jobB: StructuredRequest = { prompt: 'Read the page', documents: [html('B')], tool: REPORT_TOOL };

    await expect(model.generateStructured(jobA)).rejects.toThrow('Bedrock API error: ServiceUnavailableException');
    await expect(model.generateStructured(jobB)).rejects.toThrow('Bedrock API error: ServiceUnavailableException');
    const response = await model.generateStructured(jobA);
    expect(Report.parse(response.value).title).toBe('[stand-in] title: Job A Read the page');
  });

  it('does not read directives from pdf or docx documents', async () => {
    const response = await model.generateStructured({
      prompt: 'Read both',
      documents: [minimalPdf('Text [[fail:ValidationException]]'), { name: 'memo', format: 'docx', bytes: new Uint8Array(64) }],
      tool: REPORT_TOOL,
    });
    expect(Report.parse(response.value).title).toBe('[stand-in] title: Text [docx, 64 bytes] Read both');
  });

  it('rejects what Bedrock rejects: invalid document names, documents without a text block, too many documents', async () => {
    const doc = documentBlock('notes', 'hello');
    const bodies: Array<[string, string]> = [
      ['bad name', converseBody([documentBlock('notes.txt', 'hello'), { text: 'Read' }])],
      ['double space', converseBody([documentBlock('my  notes', 'hello'), { text: 'Read' }])],
      ['name too long', converseBody([documentBlock('n'.repeat(201), 'hello'), { text: 'Read' }])],
      ['no text block', converseBody([doc])],
      ['duplicate names', converseBody([doc, doc, { text: 'Read' }])],
      ['six documents', converseBody([...['a', 'b', 'c', 'd', 'e', 'f'].map((name) => documentBlock(name, 'x')), { text: 'Read' }])],
      ['unknown format', converseBody([documentBlock('notes', 'hello', 'rtf'), { text: 'Read' }])],
      ['empty document', converseBody([documentBlock('notes', ''), { text: 'Read' }])],
    ];
    for (const [what, body] of bodies) {
      const { status, headers } = await postConverse('/model/m/converse', body);
      expect(status, what).toBe(400);
      expect(headers.get('x-amzn-errortype'), what).toBe('ValidationException');
    }
  });

  it('rejects malformed tool configurations', async () => {
    const json = { type: 'object', properties: {} };
    const configs: Array<[string, unknown]> = [
      ['no tools', { tools: [] }],
      ['bad tool name', { tools: [{ toolSpec: { name: 'record report', inputSchema: { json } } }] }],
      ['no schema', { tools: [{ toolSpec: { name: 'record' } }] }],
      ['schema not an object', { tools: [{ toolSpec: { name: 'record', inputSchema: { json: { anyOf: [json] } } } }] }],
      ['duplicate tools', { tools: [{ toolSpec: { name: 'a', inputSchema: { json } } }, { toolSpec: { name: 'a', inputSchema: { json } } }] }],
      ['unknown forced tool', { tools: [{ toolSpec: { name: 'a', inputSchema: { json } } }], toolChoice: { tool: { name: 'b' } } }],
      ['bad tool choice', { tools: [{ toolSpec: { name: 'a', inputSchema: { json } } }], toolChoice: { auto: {}, any: {} } }],
    ];
    for (const [what, toolConfig] of configs) {
      const { status, headers } = await postConverse('/model/m/converse', converseBody([{ text: 'Go' }], { toolConfig }));
      expect(status, what).toBe(400);
      expect(headers.get('x-amzn-errortype'), what).toBe('ValidationException');
    }
  });

  it('answers the wire format of a tool call: the forced tool, else the first one', async () => {
    const tools = [
      { toolSpec: { name: 'first_tool', inputSchema: { json: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } } } },
      { toolSpec: { name: 'second_tool', inputSchema: { json: { type: 'object', properties: { n: { type: 'integer', minimum: 3, maximum: 3 } }, required: ['n'] } } } },
    ];
    const auto = await postConverse('/model/m/converse', converseBody([{ text: 'Go' }], { toolConfig: { tools, toolChoice: { auto: {} } } }));
    const forced = await postConverse('/model/m/converse', converseBody([{ text: 'Go' }], { toolConfig: { tools, toolChoice: { tool: { name: 'second_tool' } } } }));

    expect(auto.status).toBe(200);
    expect(auto.json).toEqual({
      output: {
        message: {
          role: 'assistant',
          content: [{ toolUse: { toolUseId: expect.stringMatching(/^tooluse_standin_[0-9a-f]{16}$/), name: 'first_tool', input: { ok: expect.any(Boolean) } } }],
        },
      },
      stopReason: 'tool_use',
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      metrics: { latencyMs: expect.any(Number) },
    });
    expect(forced.json).toMatchObject({ output: { message: { content: [{ toolUse: { name: 'second_tool', input: { n: 3 } } }] } } });
  });
});

describe('Bedrock stand-in: documents in text answers', () => {
  it('describes each document with its words, its format and its beginning', async () => {
    const body = converseBody([
      documentBlock('notes', 'Alpha beta gamma'),
      documentBlock('page', '<h1>Title &amp; more</h1><script>var x = 1;</script><p>Body&nbsp;text</p>', 'html'),
      { document: { name: 'scan', format: 'pdf', source: { bytes: Buffer.from(minimalPdf('compressed', { compressed: true }).bytes).toString('base64') } } },
      { text: 'Compare them' },
    ]);
    const { status, json } = await postConverse('/model/m/converse', body);

    expect(status).toBe(200);
    const text = answerText(json);
    expect(text).toContain(
      'It comes with 3 documents: "notes" (txt, 3 words) beginning "Alpha beta gamma"; "page" (html, 5 words) beginning "Title & more Body text";',
    );
    expect(text).toMatch(/"scan" \(pdf, 3 words\) beginning "\[pdf, \d+ bytes\]"\.$/);
    expect((json as { usage: { inputTokens: number } }).usage.inputTokens).toBe(2 + 3 + 5 + 3);
  });

  it('keeps text answers without documents as they were', async () => {
    const { json } = await postConverse('/model/m/converse', converseBody([{ text: 'one two three' }]));
    expect(answerText(json)).not.toContain('document');
  });
});

describe('documentText', () => {
  it('decodes text formats as UTF-8 and strips html', () => {
    expect(documentText('csv', new TextEncoder().encode('a,b\n1,"é"'))).toBe('a,b\n1,"é"');
    expect(documentText('html', new TextEncoder().encode('<style>p{}</style><p>A&lt;B &#x263A; &#65;</p>')).trim()).toBe('A<B ☺ A');
  });

  it('reads Tj, TJ (with word gaps), escapes and octal codes from uncompressed PDF streams', () => {
    const content = 'BT (Hello\\051 \\(world\\)) Tj [(Kern) -20 (ed) -300 (words)] TJ <48692E> Tj (caf\\351) Tj ET';
    const pdf = `%PDF-1.4\n4 0 obj\n<< /Length ${content.length} >>\nstream\n${content}\nendstream\nendobj\n%%EOF`;
    expect(documentText('pdf', Buffer.from(pdf, 'latin1'))).toBe('Hello) (world) Kerned words Hi. café');
  });

  it('falls back to a size for compressed PDFs, non-PDF bytes and binary formats', () => {
    const compressed = minimalPdf('hidden', { compressed: true }).bytes;
    expect(documentText('pdf', compressed)).toBe(`[pdf, ${compressed.length} bytes]`);
    expect(documentText('pdf', new Uint8Array(10))).toBe('[pdf, 10 bytes]');
    expect(documentText('docx', new Uint8Array(7))).toBe('[docx, 7 bytes]');
  });
});

describe('sampleJsonSchema', () => {
  const source = { text: 'The quarterly incident report covers three outages', seed: 'seed-1' };

  const Node: z.ZodType<{ name: string; children: unknown[] }> = z.object({
    name: z.string(),
    get children() {
      return z.array(Node).max(2);
    },
  });
  const Shared = z.object({ label: z.string().min(3).max(12) }).meta({ id: 'Shared' });
  const Wide = z.object({
    heading: z.string().min(30).max(40),
    short: z.string().length(5),
    count: z.number().int().min(1).max(5),
    ratio: z.number().gt(3).lt(4),
    cents: z.number().multipleOf(0.01).min(0.5).max(0.6),
    weeks: z.int().multipleOf(7).min(100),
    negative: z.number().lt(-5),
    tags: z.array(z.string()).min(3).max(4),
    pair: z.tuple([z.string(), z.number()]),
    optional: z.string().optional(),
    nullable: z.string().nullable(),
    literal: z.literal('fixed'),
    union: z.union([z.number(), z.string()]),
    kind: z.discriminatedUnion('type', [z.object({ type: z.literal('a'), a: z.string() }), z.object({ type: z.literal('b') })]),
    record: z.record(z.string(), z.number()),
    keyed: z.record(z.enum(['x', 'y']), z.boolean()),
    flags: z.array(z.enum(['p', 'q', 'r'])),
    email: z.email(),
    url: z.url(),
    uuid: z.uuid(),
    when: z.iso.datetime(),
    whenPrecise: z.iso.datetime({ offset: true, precision: 3 }),
    day: z.iso.date(),
    time: z.iso.time(),
    ulid: z.ulid(),
    nanoid: z.nanoid(),
    ipv6: z.ipv6(),
    jwt: z.jwt(),
    code: z.string().regex(/^[A-Z]{3}-\d{4}$/),
    affixed: z.string().startsWith('AB').endsWith('Z').includes('mid'),
    lower: z.string().lowercase(),
    tree: Node,
    shared: Shared,
    shareds: z.array(Shared),
  });

  it.each([
    ['draft 2020-12', {}],
    ['draft 2020-12, reused parts as $ref', { reused: 'ref' as const }],
    ['draft-07 ($ref to definitions)', { target: 'draft-7' as const }],
  ])('produces values a wide zod schema accepts: %s', (_name, options) => {
    const schema = z.toJSONSchema(Wide, options);
    expect(JSON.stringify(schema)).toContain('"$ref"');

    const value = sampleJsonSchema(schema, source);

    const parsed = Wide.safeParse(value);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(sampleJsonSchema(schema, source)).toStrictEqual(value);
  });

  it('fills fields named like Object.prototype members (a job type may name its fields anything)', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    // fromEntries: `__proto__` as an own key, as JSON.parse would give it.
    const Fields = z.strictObject(Object.fromEntries(names.map((name) => [name, z.string()])));
    const schema = z.toJSONSchema(Fields);
    expect(Object.keys(schema.properties as object)).toEqual(names);
    const value = sampleJsonSchema(schema, source) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(names);
    for (const name of names) expect(value[name], name).toMatch(/^\[stand-in\] /);
    expect(Fields.safeParse(JSON.parse(JSON.stringify(value))).success).toBe(true);
  });

  it('fills strings with a labelled quote of the source, and picks enum members by hash', () => {
    const schema = z.toJSONSchema(z.object({ a: z.string(), b: z.array(z.string()), level: z.enum(['l1', 'l2', 'l3', 'l4', 'l5', 'l6']) }));
    const levels = new Set<unknown>();
    for (let seed = 0; seed < 20; seed += 1) levels.add((sampleJsonSchema(schema, { ...source, seed: String(seed) }) as { level: string }).level);

    expect(sampleJsonSchema(schema, source)).toMatchObject({
      a: '[stand-in] a: The quarterly incident report covers three',
      b: ['[stand-in] b[0]: outages The quarterly incident report covers', '[stand-in] b[1]: three outages The quarterly incident report'],
    });
    expect(levels.size).toBeGreaterThan(1);
  });
});
