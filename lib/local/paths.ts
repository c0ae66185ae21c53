/** Where `npm run dev` and `npm run token` keep data, keys and secrets (git-ignored). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `$JOBS_DEV_DATA` (relative to the project root) or `.dev-data`. */
export function defaultDataDir(env = process.env): string {
  return path.resolve(PROJECT_ROOT, env.JOBS_DEV_DATA?.trim() || '.dev-data');
}

/** The token signing key's folder inside a data folder. */
export const keysDir = (dataDir: string): string => path.join(dataDir, 'keys');
