import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSite } from '../../../lib/local/console-site.ts';

/** The site alone on a loopback server; what it leaves alone answers 418 here. */
let server: Server;
let port = 0;
const issued: string[] = [];

beforeAll(async () => {
  const assets = new Map([
    ['index.html', { contentType: 'text/html; charset=utf-8', body: Buffer.from('<!doctype html><title>c</title>') }],
    ['app.js', { contentType: 'text/javascript; charset=utf-8', body: Buffer.from('export {}') }],
  ]);
  const site = consoleSite({
    assets: async () => assets,
    issueToken: (username) => {
      if (username.includes(' ')) throw new Error('A username is 1 to 128 characters without whitespace');
      issued.push(username);
      return `token-for-${username}`;
    },
    tokenLifetimeSeconds: 3600,
  });
  server = createServer((req, res) => {
    void site(req, res, { method: req.method!, path: req.url!.split('?')[0]! }).then((status) => {
      if (status === undefined) res.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A raw request, so Host and Origin can be anything. */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the console site', () => {
  it('serves the page at / and its files under /console/, with a strict Content-Security-Policy', async () => {
    const page = await send('GET', '/');
    expect([page.status, page.headers['content-type'], page.text]).toEqual([200, 'text/html; charset=utf-8', '<!doctype html><title>c</title>']);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await send('GET', '/console/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await send('GET', '/console/nothing.js')).status).toBe(404);
    expect((await send('POST', '/console/app.js')).status).toBe(405);
  });

  it('tells the console to use the same origin and the dev sign-in', async () => {
    expect(JSON.parse((await send('GET', '/console/config.json')).text)).toEqual({ apiUrl: '', signIn: { kind: 'dev' } });
  });

  it('leaves every other path to the gateway', async () => {
    expect((await send('GET', '/api/jobs')).status).toBe(418);
    expect((await send('GET', '/elsewhere')).status).toBe(418);
  });

  it('signs a loopback user in from its own origin', async () => {
    const answer = await send('POST', '/dev/sign-in', { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${port}` }, '{"username":"alice"}');
    expect([answer.status, JSON.parse(answer.text)]).toEqual([200, { idToken: 'token-for-alice', expiresIn: 3600, username: 'alice' }]);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a sign-in for another Host (DNS rebinding) or from another origin, issuing nothing', async () => {
    issued.length = 0;
    const rebound = await send('POST', '/dev/sign-in', { Host: 'attacker.example' }, '{"username":"alice"}');
    const crossSite = await send('POST', '/dev/sign-in', { Origin: 'http://attacker.example' }, '{"username":"alice"}');
    expect([rebound.status, crossSite.status]).toEqual([403, 403]);
    expect(issued).toEqual([]);
  });

  it('answers a bad sign-in with 400 and a GET with 405', async () => {
    expect((await send('POST', '/dev/sign-in', {}, 'not json')).status).toBe(400);
    expect(JSON.parse((await send('POST', '/dev/sign-in', {}, '{"username":"two words"}')).text)).toEqual({ error: 'A username is 1 to 128 characters without whitespace' });
    expect((await send('GET', '/dev/sign-in')).status).toBe(405);
  });
});
