import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOpsArgs, parseWhen, runOps } from '../../../lib/ops/command.ts';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const env = { JOBS_DEV_DATA: '/nonexistent-ops-data' };
let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runOps(argv, env, { out: (text) => (out += text), err: (text) => (err += text) }, NOW);
  return { code, out, err };
}

describe('npm run ops: arguments', () => {
  it('reads times as ISO 8601 or a span ago', () => {
    expect(parseWhen('30m', NOW, '--since')).toBe('2026-11-27T11:30:00.000Z');
    expect(parseWhen('7d', NOW, '--since')).toBe('2026-11-20T12:00:00.000Z');
    expect(parseWhen('2026-11-01T08:00:00+01:00', NOW, '--since')).toBe('2026-11-01T07:00:00.000Z');
    expect(() => parseWhen('yesterday', NOW, '--since')).toThrow('--since must be an ISO 8601 time');
  });

  it('selects the last 24 hours, 100 jobs, by default, on the dev data folder', () => {
    expect(parseOpsArgs(['list'], env, NOW)).toMatchObject({
      command: 'list',
      selection: { since: '2026-11-26T12:00:00.000Z', until: NOW.toISOString(), limit: 100, deadLettered: false },
      dryRun: false,
      target: { dataDir: path.resolve('/nonexistent-ops-data') },
    });
  });

  it.each([
    [[], 'Name a command'],
    [['purge'], 'Unknown command "purge"'],
    [['list', '--dry-run'], '--dry-run goes with redrive'],
    [['list', '--limit', '0'], '--limit must be an integer from 1 to 1000'],
    [['list', '--since', '1h', '--until', '2h'], 'is after --until'],
    [['redrive', '--id', 'x', '--type', 'AI_PREVIEW'], '--id selects jobs by id'],
    [['list', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j with the usage and exit code 2', async (argv, message) => {
    const { code, err } = await run(...argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(err).toContain('Usage: npm run ops');
  });
});

describe('npm run ops: targets', () => {
  it('says so when no npm run dev runs on the data folder (exit 1)', async () => {
    const { code, err } = await run('list');
    expect(code).toBe(1);
    expect(err).toContain('No npm run dev is running on the data folder');
  });

  it('asks which stack when the outputs file holds several', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ops-outputs-'));
    dirs.push(dir);
    const file = path.join(dir, 'outputs.json');
    writeFileSync(file, JSON.stringify({ A: { JobsTableName: 'a' }, B: { JobsTableName: 'b' } }));
    const { code, err } = await run('list', '--outputs', file);
    expect(code).toBe(1);
    expect(err).toContain('name the stack with --stack (stacks: A, B)');
  });

  it('refuses to redrive on a table without its queue URLs', async () => {
    const { code, err } = await run('redrive', '--table', 'jobs-table', '--region', 'us-east-1');
    expect(code).toBe(1);
    expect(err).toContain('redrive needs the queue URLs');
  });
});
