/**
 * The web console on `npm run dev`'s gateway: its files at `/` and `/console/*` (built by
 * console/build.ts at start), its `config.json` (same-origin API, dev sign-in), and the dev
 * sign-in endpoint `POST /dev/sign-in {"username"}` that issues the local token issuer's ID token
 * (as `npm run token` does). Everything else falls through to the gateway's routes and its 404.
 *
 * The sign-in endpoint answers only requests that are loopback in every way a browser shows: from
 * a loopback address, to a loopback Host (a DNS-rebinding page cannot use it), and from the
 * console's own origin when an Origin is sent (no CORS: another site's page cannot read a token).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleAsset, ConsoleAssets } from '../../console/build.ts';
import type { ConsoleConfig } from '../../console/src/config.ts';
import { readBody } from './gateway/body.ts';

/** Handles the request and returns its status, or undefined to leave it to the API routes. */
export type Site = (req: IncomingMessage, res: ServerResponse, request: { method: string; path: string }) => Promise<number | undefined>;

export interface ConsoleSiteOptions {
  /**
   * Builds the console's files: called once, on the first request for them, so a server whose
   * console nobody opens never builds it (a failed build answers 500 here only).
   */
  readonly assets: () => Promise<ConsoleAssets>;
  /** An ID token for a local user; throws for an invalid username. */
  readonly issueToken: (username: string) => string;
  /** Seconds the issued tokens last. */
  readonly tokenLifetimeSeconds: number;
}

/** What a browser may load from the console: its own files, the API, uploads on loopback. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http://127.0.0.1:*",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MAX_SIGN_IN_BODY = 1024;

export function consoleSite(options: ConsoleSiteOptions): Site {
  const config: ConsoleConfig = { apiUrl: '', signIn: { kind: 'dev' } };
  let files: Promise<Map<string, ConsoleAsset>> | undefined;
  const load = () =>
    (files ??= options.assets().then((assets) => {
      const all = new Map(assets);
      all.set('config.json', { contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(config)) });
      return all;
    }));

  return async (req, res, { method, path }) => {
    if (path === '/dev/sign-in') return signIn(req, res, method, options);
    const file = path === '/' || path === '/index.html' ? 'index.html' : path.startsWith('/console/') ? path.slice('/console/'.length) : undefined;
    if (file === undefined) return undefined;
    let asset;
    try {
      asset = (await load()).get(file);
    } catch (error) {
      return send(res, 500, 'text/plain; charset=utf-8', `The console failed to build: ${(error as Error).message}`);
    }
    if (!asset) return send(res, 404, 'text/plain; charset=utf-8', 'Not found');
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed', { Allow: 'GET, HEAD' });
    return send(res, 200, asset.contentType, method === 'HEAD' ? '' : asset.body, { 'Cache-Control': 'no-cache' });
  };
}

async function signIn(req: IncomingMessage, res: ServerResponse, method: string, options: ConsoleSiteOptions): Promise<number> {
  if (method !== 'POST') return sendJson(res, 405, { error: 'POST {"username": "alice"}' }, { Allow: 'POST' });
  const refusal = notLoopback(req);
  if (refusal) return sendJson(res, 403, { error: refusal });
  const body = await readBody(req, MAX_SIGN_IN_BODY);
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : undefined;
  let username: unknown;
  try {
    username = (JSON.parse(text ?? '') as { username?: unknown }).username;
  } catch {
    username = undefined;
  }
  if (typeof username !== 'string') return sendJson(res, 400, { error: 'The body must be {"username": "<name>"}' });
  try {
    return sendJson(res, 200, { idToken: options.issueToken(username), expiresIn: options.tokenLifetimeSeconds, username });
  } catch (error) {
    return sendJson(res, 400, { error: (error as Error).message });
  }
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

/** Why a sign-in request is not from the console on this machine, or undefined. */
export function notLoopback(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress?.replace(/^::ffff:/, '');
  if (address !== '127.0.0.1' && address !== '::1') return 'Dev sign-in is for loopback clients only';
  const host = req.headers.host ?? '';
  if (!LOOPBACK_HOST.test(host)) return 'Dev sign-in needs a loopback Host';
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return 'Dev sign-in is for the console on this server only';
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  return send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), { 'Cache-Control': 'no-store', ...headers });
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): number {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...headers,
  });
  res.end(body);
  return status;
}
