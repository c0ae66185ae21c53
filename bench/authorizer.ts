/**
 * `npx tsx bench/authorizer.ts`: what the token authorizer costs per call on this machine — the
 * verification of a person's ID token and of a machine client's access token (aws-jwt-verify, the
 * JWKS cached as in a warm function), and the whole authorizer answer (verify + policy) — and the
 * size of its bundle (cold start). Figures, not assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createTokenAuthorizer } from '../lambdas/authorizer/token-authorizer.ts';
import { localTokenVerifier } from '../lambdas/local-authorizer/local-tokens.ts';
import { FunctionLogger } from '../lambdas/shared/logger.ts';
import { AUTHORIZER_ENTRY } from '../lambdas/shared/resources.ts';
import { issueClientAccessToken, issueIdToken, loadOrCreateSigningKey } from '../lib/local/tokens.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-authorizer-'));
try {
  const key = loadOrCreateSigningKey(join(dir, 'keys'));
  const verify = localTokenVerifier(key.jwks);
  const authorize = createTokenAuthorizer(verify, FunctionLogger.create({ level: 'silent' }));
  const tokens = { 'ID token (person)': issueIdToken(key, 'alice'), 'access token (client, both scopes)': issueClientAccessToken(key, 'billing', ['jobs/read', 'jobs/write']) };
  const rounds = 2000;
  for (const [kind, token] of Object.entries(tokens)) {
    for (let i = 0; i < 200; i++) verify(token); // warm up
    let started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) verify(token);
    const verifyUs = Number(process.hrtime.bigint() - started) / 1000 / rounds;
    started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) await authorize({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: 'arn:aws:execute-api:us-east-1:000000000000:abc/prod/GET/api/jobs' });
    const answerUs = Number(process.hrtime.bigint() - started) / 1000 / rounds;
    console.log(`${kind}: verify ${verifyUs.toFixed(0)} µs, authorizer answer ${answerUs.toFixed(0)} µs (mean of ${rounds})`);
  }
  const bundle = await build({ entryPoints: [AUTHORIZER_ENTRY], bundle: true, write: false, platform: 'node', format: 'esm', minify: true, logLevel: 'silent' });
  console.log(`authorizer bundle (minified): ${(bundle.outputFiles[0]!.contents.length / 1024).toFixed(1)} KiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
