/**
 * How close to `runAt` scheduled jobs start in `npm run dev`, driven over HTTP: jobs within the
 * queue's delay (sent at create with DelaySeconds), jobs beyond it (sent by the reconciler; the
 * server runs with SCHEDULE_HORIZON_SECONDS=4 and a reconciler every second, so "beyond 15
 * minutes" takes seconds), and both kinds across a restart (SIGTERM, start again) before their
 * time. Prints startedAt − runAt per kind: min, median, max.
 *
 *   npx tsx bench/schedule-precision.ts [--jobs 5]
 */
import { parseArgs } from 'node:util';
import { Client, issueToken, makeDataDir, nonce, removeDataDir, startDevServer, type DevServer } from '../test/support/dev-server.ts';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '5' } } });
const JOBS = Number(values.jobs);
const ENV = { SCHEDULE_HORIZON_SECONDS: '4', RECONCILE_INTERVAL_SECONDS: '1' };

const dataDir = makeDataDir('jobs-bench-schedule-');
let server: DevServer | undefined;
try {
  server = await startDevServer({ dataDir, env: ENV });
  const token = await issueToken(dataDir, `bench-${nonce()}`);
  const client = () => new Client(server!.url, token);
  const schedule = async (seconds: number, label: string) => {
    const runAt = new Date(Date.now() + seconds * 1000).toISOString();
    const answer = await client().call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: `${label} ${nonce()}` }, runAt } });
    if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
    return answer.json.id as string;
  };
  const lateness = async (ids: readonly string[]) => {
    const late: number[] = [];
    for (const id of ids) {
      const job = await client().waitForFinish(id, 60_000);
      if (job.status !== 'COMPLETED') throw new Error(`job ${id} ended ${job.status}`);
      late.push(Date.parse(job.startedAt) - Date.parse(job.scheduledAt));
    }
    return late.sort((a, b) => a - b);
  };
  const print = (label: string, late: readonly number[]) =>
    console.log(`  ${label.padEnd(44)} min ${late[0]} ms, median ${late[Math.floor(late.length / 2)]} ms, max ${late[late.length - 1]} ms${late[0]! < 0 ? '  (EARLY!)' : ''}`);

  console.log(`startedAt − runAt of ${JOBS} AI_PREVIEW jobs per kind, npm run dev on this machine:`);
  const near = await Promise.all(Array.from({ length: JOBS }, (_, n) => schedule(3 + n * 0.3, 'near')));
  const far = await Promise.all(Array.from({ length: JOBS }, (_, n) => schedule(9 + n * 0.7, 'far')));
  print('within the queue delay (DelaySeconds)', await lateness(near));
  print('beyond it (the reconciler sends it)', await lateness(far));

  const nearRestart = await Promise.all(Array.from({ length: JOBS }, (_, n) => schedule(8 + n * 0.3, 'near, restart')));
  const farRestart = await Promise.all(Array.from({ length: JOBS }, (_, n) => schedule(16 + n * 0.7, 'far, restart')));
  await server.stop();
  const stopped = Date.now();
  server = await startDevServer({ dataDir, env: ENV });
  console.log(`  (restarted in ${((Date.now() - stopped) / 1000).toFixed(1)} s)`);
  print('within the queue delay, across a restart', await lateness(nearRestart));
  print('beyond it, across a restart', await lateness(farRestart));
} finally {
  await server?.stop();
  removeDataDir(dataDir);
}
