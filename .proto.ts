import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
for (const entry of process.argv.slice(2)) {
  const outdir = mkdtempSync('/tmp/cold/p-');
  const r = await build({ entryPoints: { index: entry }, outdir, outExtension: { '.js': '.mjs' }, splitting: true, bundle: true, platform: 'node', format: 'esm', target: 'node22', mainFields: ['module','main'], minify: true, metafile: true, define: { JOBS_LOCAL_TOKENS: 'false' }, logLevel: 'error',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });
  const outs = r.metafile.outputs;
  const main = Object.keys(outs).find((k) => outs[k]!.entryPoint)!;
  const seen = new Set<string>(); const stack = [main];
  while (stack.length) { const f = stack.pop()!; if (seen.has(f)) continue; seen.add(f); for (const i of outs[f]!.imports) if (i.kind === 'import-statement' && outs[i.path]) stack.push(i.path); }
  const init = [...seen].reduce((s, f) => s + outs[f]!.bytes, 0);
  const total = Object.entries(outs).filter(([k]) => !k.endsWith('.map')).reduce((s, [, o]) => s + o.bytes, 0);
  console.log(entry.padEnd(60), 'init', (init/1024).toFixed(1), 'total', (total/1024).toFixed(1), outdir);
}
