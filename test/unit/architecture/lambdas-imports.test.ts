/**
 * lambdas/ is what the functions bundle; lib/ is the CDK app and the local runtime, which build on
 * lambdas/. The dependency goes one way: no file under lambdas/ imports from lib/, not even a type.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importSpecifiers } from '../../support/import-specifiers.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LAMBDAS = join(ROOT, 'lambdas');
const LIB = join(ROOT, 'lib');

const SOURCE = /\.[cm]?[jt]sx?$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => SOURCE.test(name))
    .map((name) => join(dir, name))
    .sort();
}

/** The file or folder a specifier names, or undefined for a package. */
function target(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('file:')) return fileURLToPath(specifier);
  if (specifier.startsWith('.') || isAbsolute(specifier)) return resolve(dirname(file), specifier);
  return undefined;
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** `<file>: <specifier>` for each import of the source that reaches into lib/. */
function importsOfLib(file: string, source: string): string[] {
  return importSpecifiers(source)
    .filter((specifier) => {
      const path = target(file, specifier);
      return path !== undefined && inside(LIB, path);
    })
    .map((specifier) => `${relative(ROOT, file)}: ${specifier}`);
}

describe('importSpecifiers', () => {
  it('finds every form of import, type-only and dynamic ones included', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      'import * as c from "./c.ts";',
      "import './side-effect.ts';",
      "export { d } from './d.ts';",
      "export type { E } from './e.ts';",
      "export * from './f.ts';",
      'import {',
      '  g,',
      '  type H,',
      "} from './g.ts';",
      "import fs = require('node:fs');",
      "const i = await import('./i.ts');",
      "type J = import('./j.ts').J;",
      "const k = [...require('./k.cjs')];",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      './a.ts', '../b.ts', './c.ts', './side-effect.ts', './d.ts', './e.ts', './f.ts', './g.ts', 'node:fs', './i.ts', './j.ts', './k.cjs',
    ]);
  });

  it('ignores imports in comments, strings, template literals and regular expressions, and properties named import', () => {
    const source = [
      "// import { a } from '../../lib/a.ts';",
      "/* export * from '../../lib/b.ts'; */",
      "const text = \"import x from '../../lib/c.ts'\";",
      "const template = `import('../../lib/d.ts') ${\"${\"} from '../../lib/e.ts'`;",
      "const pattern = /from '..\\/..\\/lib\\/f.ts'/;",
      "const half = total / 2; const quote = \"'\";",
      "loader.import('../../lib/g.ts');",
      "import { real } from './real.ts';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./real.ts']);
  });

  it('still sees imports inside a template literal expression', () => {
    expect(importSpecifiers("const m = `${(await import('./m.ts')).name}`;")).toEqual(['./m.ts']);
  });
});

describe('lambdas/ does not import from lib/', () => {
  it('flags an import of lib/ from a file under lambdas/, type-only or dynamic', () => {
    const file = join(LAMBDAS, 'local-authorizer', 'example.ts');
    const source = [
      "import type { LocalJwks } from '../../lib/local/tokens.ts';",
      "const { startGateway } = await import('../../lib/local/gateway.ts');",
      "import { ok } from '../shared/resources.ts';",
      "import { library } from '../library/x.ts';",
    ].join('\n');
    expect(importsOfLib(file, source)).toEqual([
      'lambdas/local-authorizer/example.ts: ../../lib/local/tokens.ts',
      'lambdas/local-authorizer/example.ts: ../../lib/local/gateway.ts',
    ]);
  });

  it('holds for every source file under lambdas/', () => {
    const files = sourceFiles(LAMBDAS);
    const sources = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    // The walk reads the real tree: the handlers, the authorizer and their relative imports.
    expect(files.length).toBeGreaterThan(30);
    expect(files).toContain(join(LAMBDAS, 'local-authorizer', 'local-tokens.ts'));
    const relativeImports = sources.flatMap(({ text }) => importSpecifiers(text)).filter((specifier) => specifier.startsWith('.'));
    expect(relativeImports.length).toBeGreaterThan(50);

    expect(sources.flatMap(({ file, text }) => importsOfLib(file, text))).toEqual([]);
  });
});
