/**
 * Requests Node's HTTP parser refuses never reach the gateway's request handler: a URL (414) or
 * headers (431) too large, or malformed HTTP (400). Node would write a bare status line and close;
 * the gateway answers them with a problem+json body and CORS headers, as its other errors.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProblemCode } from '../../../lambdas/http/problem.ts';
import { unparsedRequestCors } from './cors.ts';
import { problemReply, REQUEST_ID_HEADER } from './reply.ts';

/** A `clientError` of Node's HTTP server. */
export type ClientError = NodeJS.ErrnoException & { rawPacket?: Buffer };

/** Longest request line (method, URL, version) the gateway reads; API Gateway takes 10 KB of URL and headers. */
const MAX_REQUEST_LINE_BYTES = 8 * 1024;

/** Answers a request the parser refused on its socket, and closes it; returns the log line. */
export function answerUnparsed(error: ClientError, socket: Duplex, allowedOrigins: readonly string[]): string | undefined {
  if (!socket.writable || (error.code !== undefined && ['ECONNRESET', 'EPIPE'].includes(error.code))) {
    socket.destroy();
    return undefined;
  }
  const requestId = randomUUID();
  const [status, code, detail] = refusal(error);
  const reply = problemReply(status, code, detail, requestId, unparsedRequestCors(error.rawPacket, allowedOrigins));
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries(reply.headers).map(([name, value]) => `${name}: ${String(value)}`),
    `${REQUEST_ID_HEADER}: ${requestId}`,
    `Content-Length: ${reply.body.length}`,
    'Connection: close',
  ];
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), reply.body]));
  return `(unparsed request) ${status} (${error.code ?? error.message})`;
}

/** The problem for a request Node's parser refused: a URL or headers too large, or malformed HTTP. */
function refusal(error: ClientError): [number, ProblemCode, string] {
  if (error.code === 'HPE_HEADER_OVERFLOW' || error.code === 'HPE_URI_TOO_LONG') {
    const raw = error.rawPacket ?? Buffer.alloc(0);
    const lineEnd = raw.indexOf('\r\n');
    if (error.code === 'HPE_URI_TOO_LONG' || lineEnd < 0 || lineEnd > MAX_REQUEST_LINE_BYTES) {
      return [414, 'URI_TOO_LONG', `The request URL is too long; keep the URL under ${MAX_REQUEST_LINE_BYTES} bytes`];
    }
    return [431, 'HEADERS_TOO_LARGE', 'The request headers are too large'];
  }
  return [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP'];
}
