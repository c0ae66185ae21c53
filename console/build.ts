/**
 * Builds the web console: its TypeScript (console/src, with the typed client) bundled by esbuild
 * into one ES module, its static files (console/static), and `job-types.json`, each job type's
 * input as JSON Schema generated from the same zod schemas that validate a create (the forms
 * are built from it). `npm run dev` builds it in memory on the console's first request (about
 * 0.3 s) and serves it at `/`; `npx tsx console/build.ts --out DIR` writes the same files for
 * static hosting.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { z } from 'zod';
import { DOCUMENT_CONTENT_TYPES } from '../lambdas/domain/model.ts';
import { JOB_PRIORITIES, JOB_STATUSES } from '../lambdas/domain/job.ts';
import { JOB_TYPE_DEFINITIONS } from '../lambdas/job-types/definitions.ts';
import type { JobTypeCatalogue } from './src/catalogue.ts';

const CONSOLE_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

/** Files by their path under the console's root: `index.html`, `app.js`, `console.css`, `job-types.json`. */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export async function buildConsole(): Promise<ConsoleAssets> {
  const assets = new Map<string, ConsoleAsset>();
  const bundle = await build({
    entryPoints: [path.join(CONSOLE_DIR, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  assets.set('app.js', { contentType: CONTENT_TYPES['.js']!, body: Buffer.from(bundle.outputFiles[0]!.contents) });
  for (const file of readdirSync(path.join(CONSOLE_DIR, 'static'))) {
    const type = CONTENT_TYPES[path.extname(file)];
    if (type) assets.set(file, { contentType: type, body: readFileSync(path.join(CONSOLE_DIR, 'static', file)) });
  }
  assets.set('job-types.json', { contentType: CONTENT_TYPES['.json']!, body: Buffer.from(JSON.stringify(jobTypeCatalogue())) });
  return assets;
}

/** Each job type's name, description and input as JSON Schema (what the API accepts). */
function jobTypeCatalogue(): JobTypeCatalogue {
  return {
    types: JOB_TYPE_DEFINITIONS.map((definition) => ({
      name: definition.name,
      description: definition.description,
      input: z.toJSONSchema(definition.input, { io: 'input', unrepresentable: 'any' }) as JobTypeCatalogue['types'][number]['input'],
    })),
    statuses: [...JOB_STATUSES],
    priorities: [...JOB_PRIORITIES],
    documentContentTypes: { ...DOCUMENT_CONTENT_TYPES },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  if (!values.out) {
    process.stderr.write('Usage: npx tsx console/build.ts --out DIR (then add DIR/console/config.json, see README)\n');
    process.exit(2);
  }
  // As the dev server serves them: the page at the root, everything it loads under console/.
  mkdirSync(path.join(values.out, 'console'), { recursive: true });
  for (const [file, asset] of await buildConsole()) {
    writeFileSync(path.join(values.out, file === 'index.html' ? file : path.join('console', file)), asset.body);
  }
  process.stdout.write(`console written to ${values.out}\n`);
}
