/**
 * `npm run ops -- <list|redrive> [options]`: FAILED jobs of every owner (dead-lettered or not) by
 * type and time, and their redrive, against a deployed stack or `npm run dev` (lib/ops/targets.ts).
 * Prints one line per job (or JSON with --json); returns the exit code.
 */
import { parseArgs } from 'node:util';
import type { Env } from '../../lambdas/shared/config.ts';
import type { Logger } from '../../lambdas/domain/ports.ts';
import { FailedJobs, type FailedJobView, type FailedSelection, type RedriveResult } from '../../lambdas/use-cases/failed-jobs.ts';
import { defaultDataDir } from '../local/paths.ts';
import { resolveTarget, type Target } from './targets.ts';

export const USAGE = `Usage: npm run ops -- <list|redrive> [options]
  list      FAILED jobs of every owner, the latest failure first
  redrive   run them again (a new run, attempts reset, as the retry route does); --dry-run says which
Selection:
  --type TYPE         one job type
  --since WHEN        failed at or after (ISO 8601, or 30m, 24h, 7d ago; default 24h)
  --until WHEN        failed at or before (default now)
  --dead-lettered     only jobs whose message went to the dead-letter queue
  --id ID             these jobs instead of a window (repeatable)
  --limit N           at most N jobs (1-1000, default 100)
Target (default: the npm run dev on --data DIR, $JOBS_DEV_DATA or .dev-data):
  --outputs FILE      a deployed stack: the file of cdk deploy --outputs-file (--stack NAME if it holds several)
  --table NAME        a deployed stack's jobs table (or JOBS_TABLE_NAME; queue URLs from JOBS_QUEUE_URL, _LOW, _HIGH, _URGENT)
  --region REGION     else the AWS SDK's (AWS_REGION, profile)
Output: --json for JSON; --dry-run (redrive) changes nothing.
`;

const RELATIVE = /^(\d+)([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export class UsageError extends Error {}

/** ISO 8601, or a span ago (`30m`, `24h`, `7d`), as an ISO instant. */
export function parseWhen(value: string, now: Date, flag: string): string {
  const relative = RELATIVE.exec(value.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]).toISOString();
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at)) throw new UsageError(`${flag} must be an ISO 8601 time or a span ago like 30m, 24h, 7d; got "${value}"`);
  return new Date(at).toISOString();
}

interface Parsed {
  readonly command: 'list' | 'redrive';
  readonly selection: FailedSelection;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly target: { outputsFile?: string; stack?: string; table?: string; region?: string; dataDir: string };
}

export function parseOpsArgs(argv: readonly string[], env: Env, now: Date): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        type: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        'dead-lettered': { type: 'boolean', default: false },
        id: { type: 'string', multiple: true },
        limit: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        outputs: { type: 'string' },
        stack: { type: 'string' },
        table: { type: 'string' },
        region: { type: 'string' },
        data: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (command !== 'list' && command !== 'redrive') throw new UsageError(command ? `Unknown command "${command}"` : 'Name a command: list or redrive');
  if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}"`);
  if (values['dry-run'] && command !== 'redrive') throw new UsageError('--dry-run goes with redrive');
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be an integer from 1 to 1000, got "${values.limit}"`);
  const deadLettered = values['dead-lettered'];
  let selection: FailedSelection;
  if (values.id?.length) {
    if (values.type || values.since || values.until) throw new UsageError('--id selects jobs by id: not with --type, --since or --until');
    selection = { ids: [...new Set(values.id.map((id) => id.trim().toLowerCase()))], deadLettered };
  } else {
    const since = parseWhen(values.since ?? '24h', now, '--since');
    const until = values.until ? parseWhen(values.until, now, '--until') : now.toISOString();
    if (since > until) throw new UsageError(`--since (${since}) is after --until (${until})`);
    selection = { since, until, limit, deadLettered, ...(values.type ? { type: values.type.trim() } : {}) };
  }
  const dataDir = values.data ?? defaultDataDir(env as NodeJS.ProcessEnv);
  return {
    command,
    selection,
    dryRun: values['dry-run'],
    json: values.json,
    target: {
      dataDir,
      ...(values.outputs ? { outputsFile: values.outputs } : {}),
      ...(values.stack ? { stack: values.stack } : {}),
      ...(values.table ? { table: values.table } : {}),
      ...(values.region ? { region: values.region } : {}),
    },
  };
}

export interface OpsIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs the command; the exit code: 0 done, 1 failed, 2 usage. */
export async function runOps(argv: readonly string[], env: Env, io: OpsIo, now = new Date()): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseOpsArgs(argv, env, now);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n${USAGE}`);
    return 2;
  }
  let target: Target;
  try {
    target = resolveTarget(parsed.target, env);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  try {
    io.err(`ops: ${parsed.command}${parsed.dryRun ? ' (dry run)' : ''} on ${target.description}\n`);
    if (parsed.command === 'redrive' && !target.queue) {
      io.err('redrive needs the queue URLs: give --outputs, or JOBS_QUEUE_URL, JOBS_QUEUE_URL_LOW, _HIGH and _URGENT\n');
      return 1;
    }
    const failed = new FailedJobs({ store: target.store, ...(target.queue ? { queue: target.queue } : {}), logger: stderrLogger(io) });
    if (parsed.command === 'list') {
      const { jobs, more } = await failed.list(parsed.selection);
      io.out(parsed.json ? `${JSON.stringify({ jobs, more }, null, 2)}\n` : formatList(jobs, more));
    } else {
      const { results, more } = await failed.redrive(parsed.selection, { dryRun: parsed.dryRun });
      io.out(parsed.json ? `${JSON.stringify({ dryRun: parsed.dryRun, results, more }, null, 2)}\n` : formatRedrive(results, more, parsed.dryRun));
    }
    return 0;
  } catch (error) {
    io.err(`ops failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    return 1;
  } finally {
    target.close();
  }
}

const MORE = 'more jobs match: narrow --since/--until or raise --limit (up to 1000)\n';

function formatList(jobs: readonly FailedJobView[], more: boolean): string {
  const lines = jobs.map(
    (job) =>
      `${job.failedAt ?? '-'}  ${job.id}  ${job.type}  owner=${job.ownerId}  run=${job.generation}  attempts=${job.attempts}/${job.maxAttempts}` +
      `${job.deadLettered ? '  dead-lettered' : ''}  ${oneLine(job.error)}`,
  );
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${jobs.length} FAILED job(s)\n${more ? MORE : ''}`;
}

function formatRedrive(results: readonly RedriveResult[], more: boolean, dryRun: boolean): string {
  const lines = results.map((result) => `${result.outcome}  ${result.id}  ${result.type ?? '-'}  ${result.detail}`);
  const count = (outcome: RedriveResult['outcome']) => results.filter((result) => result.outcome === outcome).length;
  const summary = dryRun
    ? `dry run: ${count('would-redrive')} would be redriven, ${count('skipped')} skipped; nothing changed`
    : `${count('redriven')} redriven, ${count('skipped')} skipped`;
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${summary}\n${more ? MORE : ''}`;
}

function oneLine(text: string | null): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}

function stderrLogger(io: OpsIo, fields: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    if (level === 'debug' || level === 'info') return;
    io.err(`${level}: ${message} ${JSON.stringify({ ...fields, ...extra })}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (more) => stderrLogger(io, { ...fields, ...more }) };
}
