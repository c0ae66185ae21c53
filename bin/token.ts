/**
 * `npm run --silent token -- <username> [--expires-in SECONDS]`: prints an ID token of the local
 * user pool for `npm run dev`, and nothing else, so `TOKEN=$(npm run --silent token -- alice)`
 * works. The same username is always the same user (`sub`). The key is the one the local gateway
 * verifies with: `<data folder>/keys`, the data folder being $JOBS_DEV_DATA or `.dev-data`.
 */
import { parseArgs } from 'node:util';
import { defaultDataDir, keysDir } from '../lib/local/paths.ts';
import { isValidUsername, issueIdToken, loadOrCreateSigningKey } from '../lib/local/tokens.ts';

const USAGE = 'Usage: npm run --silent token -- <username> [--expires-in SECONDS]\n';

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
const [username, ...extra] = positionals;
if (!username) fail('A username is required.');
if (extra.length > 0) fail(`Unexpected arguments: ${extra.join(' ')}`);
if (!isValidUsername(username)) fail('A username is 1 to 128 characters without whitespace or control characters.');
const expiresInSeconds = Number(values['expires-in'] ?? 3600);
if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0) {
  fail(`--expires-in must be a positive whole number of seconds, got "${values['expires-in']}"`);
}

const key = loadOrCreateSigningKey(keysDir(defaultDataDir()));
process.stdout.write(`${issueIdToken(key, username, { expiresInSeconds })}\n`);
