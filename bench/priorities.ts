/**
 * Priorities under a backlog in `npm run dev`: N normal jobs (each model call CALL_MS long), then
 * one job of each other priority. Prints, per priority, how long its job waited to start and how
 * many of the normal jobs started after it, and how many jobs of each band ran at once.
 *
 *   npx tsx bench/priorities.ts [--normal 200] [--workers 10] [--call-ms 300]
 */
import { parseArgs } from 'node:util';
import { Client, issueToken, makeDataDir, nonce, pollUntil, removeDataDir, startDevServer } from '../test/support/dev-server.ts';

const { values } = parseArgs({
  options: {
    normal: { type: 'string', default: '200' },
    workers: { type: 'string', default: '10' },
    'call-ms': { type: 'string', default: '300' },
  },
});
const normalCount = Number(values.normal);
const callMs = Number(values['call-ms']);

const dataDir = makeDataDir('jobs-bench-priorities-');
const server = await startDevServer({ dataDir, env: { WORKER_MAX_CONCURRENCY: values.workers! } });
try {
  const client = new Client(server.url, await issueToken(dataDir, `bench-${nonce()}`));
  const create = async (prompt: string, priority?: string) => {
    const answer = await client.call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt }, ...(priority ? { priority } : {}) } });
    if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
    return answer.json.id as string;
  };
  const tag = nonce();
  const normal: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let n = next++; n < normalCount; n = next++) normal.push(await create(`normal ${n} ${tag} [[delay:${callMs}]]`));
    }),
  );
  const others: Record<string, string> = {};
  for (const priority of ['urgent', 'high', 'low']) others[priority] = await create(`${priority} ${tag} [[delay:${callMs}]]`, priority);
  const all = await pollUntil(
    () => client.allJobs(),
    (jobs) => jobs.length === normalCount + 3 && jobs.every((job) => job.status === 'COMPLETED'),
    { timeoutMs: 30 * 60_000, intervalMs: 2000, what: 'every job to complete' },
  );
  const byId = new Map(all.map((job) => [job.id, job]));
  const started = (id: string) => Date.parse(byId.get(id).startedAt);
  const waited = (id: string) => started(id) - Date.parse(byId.get(id).createdAt);
  console.log(`npm run dev, WORKER_MAX_CONCURRENCY=${values.workers}, ${normalCount} normal jobs of ${callMs} ms, then one urgent, high and low job`);
  for (const [priority, id] of Object.entries(others)) {
    const behind = normal.filter((n) => started(n) > started(id)).length;
    console.log(`  ${priority.padEnd(6)} waited ${(waited(id) / 1000).toFixed(2)} s to start; ${behind} of ${normalCount} normal jobs started after it`);
  }
  const lastNormal = Math.max(...normal.map(waited));
  console.log(`  normal: the last one waited ${(lastNormal / 1000).toFixed(1)} s to start`);
  const first = Math.min(...normal.map(started));
  const end = Math.max(...normal.map((id) => Date.parse(byId.get(id).completedAt)));
  console.log(`  normal throughput ${((normalCount * 1000) / (end - first)).toFixed(1)} jobs/s`);
} finally {
  await server.stop();
  removeDataDir(dataDir);
}
