/**
 * `npm run --silent token -- <username> [--expires-in SECONDS]`: prints an ID token of the local
 * user pool for `npm run dev`, and nothing else, so `TOKEN=$(npm run --silent token -- alice)`
 * works. The same username is always the same user (`sub`).
 *
 * `npm run --silent token -- --client <name> [--scope "jobs/read jobs/write"]`: prints a machine
 * client's access token, as Cognito's client-credentials grant issues them (`sub` = `client_id` =
 * the client's id, derived from its name; `scope` as given, default both job scopes, `--scope ""`
 * none).
 *
 * The key is the one the local gateway verifies with: `<data folder>/keys`, the data folder being
 * $JOBS_DEV_DATA or `.dev-data`.
 */
import { parseArgs } from 'node:util';
import { ALL_JOB_SCOPES, parseScopes } from '../lambdas/http/principal.ts';
import { defaultDataDir, keysDir } from '../lib/local/paths.ts';
import { checkClientScopes, isValidUsername, issueClientAccessToken, issueIdToken, loadOrCreateSigningKey } from '../lib/local/tokens.ts';

const USAGE =
  'Usage: npm run --silent token -- <username> [--expires-in SECONDS]\n' +
  `       npm run --silent token -- --client <name> [--scope "${ALL_JOB_SCOPES.join(' ')}"] [--expires-in SECONDS]\n`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        'expires-in': { type: 'string' },
        client: { type: 'string' },
        scope: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

const { values, positionals } = parse();
if (values.help) {
  process.stderr.write(USAGE);
  process.exit(0);
}
const expiresInSeconds = Number(values['expires-in'] ?? 3600);
if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0) {
  fail(`--expires-in must be a positive whole number of seconds, got "${values['expires-in']}"`);
}

if (values.client !== undefined) {
  const name = values.client;
  if (positionals.length > 0) fail(`Unexpected arguments with --client: ${positionals.join(' ')}`);
  if (!isValidUsername(name)) fail('A client name is 1 to 128 characters without whitespace or control characters.');
  const scopes = values.scope === undefined ? ALL_JOB_SCOPES : parseScopes(values.scope);
  try {
    checkClientScopes(scopes);
  } catch (error) {
    fail((error as Error).message);
  }
  const key = loadOrCreateSigningKey(keysDir(defaultDataDir()));
  process.stdout.write(`${issueClientAccessToken(key, name, scopes, { expiresInSeconds })}\n`);
  process.exit(0);
}

if (values.scope !== undefined) fail('--scope goes with --client: people\'s ID tokens carry no scopes.');
const [username, ...extra] = positionals;
if (!username) fail('A username (or --client <name>) is required.');
if (extra.length > 0) fail(`Unexpected arguments: ${extra.join(' ')}`);
if (!isValidUsername(username)) fail('A username is 1 to 128 characters without whitespace or control characters.');

const key = loadOrCreateSigningKey(keysDir(defaultDataDir()));
process.stdout.write(`${issueIdToken(key, username, { expiresInSeconds })}\n`);
