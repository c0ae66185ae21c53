/**
 * The gateway's answers: a Lambda proxy result checked and turned into a reply, the gateway's own
 * problem+json replies, and writing a reply with its `x-amzn-RequestId`.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemCode } from '../../../lambdas/http/problem.ts';

export const REQUEST_ID_HEADER = 'x-amzn-RequestId';

/** A response the gateway writes. */
export interface Reply {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
  /** Why, for the log line. */
  readonly note?: string;
}

/** Headers the gateway sets itself; a handler's values for them are dropped. */
const HOP_BY_HOP = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);

/** A Lambda proxy result as a reply, or why it is malformed. */
export function fromProxyResult(result: unknown): Reply | string {
  if (typeof result !== 'object' || result === null) return 'not an object';
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Partial<APIGatewayProxyResult>;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return `statusCode ${JSON.stringify(statusCode)}`;
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return 'body is not a string';
  const out: OutgoingHttpHeaders = {};
  const names = new Map<string, string>();
  const put = (name: string, value: string | string[]) => {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) return;
    const previous = names.get(lower);
    if (previous !== undefined) delete out[previous];
    names.set(lower, name);
    out[name] = value;
  };
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    put(name, String(value));
  }
  // As API Gateway: for a name in both, multiValueHeaders wins.
  for (const [name, values] of Object.entries(multiValueHeaders ?? {})) {
    if (!Array.isArray(values)) continue;
    put(name, values.map(String));
  }
  if (!names.has('content-type')) out['Content-Type'] = 'application/json';
  const text = body ?? '';
  return {
    status: statusCode,
    headers: out,
    body: isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
  };
}

export function problemReply(
  status: number,
  code: ProblemCode,
  detail: string,
  requestId: string,
  headers: OutgoingHttpHeaders,
  note?: string,
): Reply {
  return {
    status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', ...headers },
    body: Buffer.from(JSON.stringify(problem(status, code, detail, requestId))),
    ...(note ? { note } : {}),
  };
}

/** Writes the reply; returns why it had to answer 502 instead, if it did. */
export function write(res: ServerResponse, reply: Reply, requestId: string): string | undefined {
  if (res.headersSent || res.destroyed) return undefined;
  const noBody = reply.status === 204 || reply.status === 304 || (reply.status >= 100 && reply.status < 200);
  const headers: OutgoingHttpHeaders = { ...reply.headers };
  for (const name of Object.keys(headers)) if (name.toLowerCase() === REQUEST_ID_HEADER.toLowerCase()) delete headers[name];
  headers[REQUEST_ID_HEADER] = requestId;
  if (!noBody) headers['Content-Length'] = String(reply.body.length);
  try {
    res.writeHead(reply.status, headers);
  } catch (error) {
    // A header Node refuses (e.g. a control character in a handler's value).
    const fallback = problemReply(502, 'INTERNAL_ERROR', 'Internal server error', requestId, {});
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.writeHead(502, { ...fallback.headers, [REQUEST_ID_HEADER]: requestId, 'Content-Length': String(fallback.body.length) });
    res.end(fallback.body);
    return `unsendable response: ${error instanceof Error ? error.message : String(error)}`;
  }
  res.end(noBody ? undefined : reply.body);
  return undefined;
}
