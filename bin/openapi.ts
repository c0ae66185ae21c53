/**
 * `npm run openapi`: writes the OpenAPI 3.1 document (lib/openapi) to openapi.json at the
 * repository root. `--check` writes nothing and exits 1 when the committed file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument, serializeDocument } from '../lib/openapi/document.ts';

const file = fileURLToPath(new URL('../openapi.json', import.meta.url));
const text = serializeDocument(await openApiDocument());
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // missing: stale
  }
  if (committed !== text) {
    process.stderr.write('openapi.json is stale: run `npm run openapi` and commit it\n');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
  process.stdout.write(`Wrote ${file}\n`);
}
