/**
 * End to end, through `npm run dev` with WORKER_MAX_CONCURRENCY=8 (2 jobs at once per priority
 * band): a backlog of 100 normal jobs forms, a high job created behind it starts before most of
 * them, a low job starts within its bound (no low job ahead of it: one poll of its band), no band
 * runs more than its share at once; and the list filters by priority and sorts by update.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nonce, pollUntil, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const USER = `prioritiser-${nonce()}`;
const dev = useDevServer({ users: [USER], env: { WORKER_MAX_CONCURRENCY: '8', RETRY_BASE_DELAY_SECONDS: '0' } });
let client: Client;
beforeAll(() => {
  client = dev.client(USER);
});

/** Each model call of these jobs takes this long, so that the normal band's 2 workers fall behind. */
const CALL_MS = 300;

async function create(prompt: string, priority?: string): Promise<string> {
  const answer = await client.call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt }, ...(priority ? { priority } : {}) } });
  if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
  return answer.json.id as string;
}

/** The most intervals [startedAt, completedAt] that overlap at one moment. */
function mostAtOnce(jobs: readonly { startedAt: string; completedAt: string }[]): number {
  const events = jobs.flatMap((job) => [
    [Date.parse(job.startedAt), 1],
    [Date.parse(job.completedAt), -1],
  ]);
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let most = 0;
  for (const [, change] of events) most = Math.max(most, (now += change!));
  return most;
}

describe('priorities under a backlog', () => {
  const tag = nonce();
  const normal: string[] = [];
  let high: string;
  let low: string;
  let jobs: Map<string, any>;

  beforeAll(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let n = next++; n < 100; n = next++) normal.push(await create(`normal ${n} ${tag} [[delay:${CALL_MS}]]`));
      }),
    );
    high = await create(`high ${tag} [[delay:${CALL_MS}]]`, 'high');
    low = await create(`low ${tag} [[delay:${CALL_MS}]]`, 'low');
    const all = await pollUntil(
      () => client.allJobs(),
      (items) => items.length === 102 && items.every((job) => job.status === 'COMPLETED'),
      { timeoutMs: 150_000, intervalMs: 1000, what: 'the 102 jobs to complete' },
    );
    jobs = new Map(all.map((job) => [job.id, job]));
  }, 200_000);

  it('starts a high job created behind 100 queued normal jobs before most of them', () => {
    const highStart = Date.parse(jobs.get(high).startedAt);
    const normalsAfter = normal.filter((id) => Date.parse(jobs.get(id).startedAt) > highStart);
    expect(normalsAfter.length).toBeGreaterThan(50);
  });

  it('starts a low job within its bound: no low job is ahead of it, so within one poll of its band', () => {
    const lowJob = jobs.get(low);
    expect(Date.parse(lowJob.startedAt) - Date.parse(lowJob.createdAt)).toBeLessThan(5_000);
    // The normal backlog did not hold it back either.
    const normalsAfter = normal.filter((id) => Date.parse(jobs.get(id).startedAt) > Date.parse(lowJob.startedAt));
    expect(normalsAfter.length).toBeGreaterThan(50);
  });

  it('runs at most 2 normal jobs at once (its share of 8), and never more than 8 in all', () => {
    expect(mostAtOnce(normal.map((id) => jobs.get(id)))).toBeLessThanOrEqual(2);
    expect(mostAtOnce([...jobs.values()])).toBeLessThanOrEqual(8);
  });

  it('lists only the priorities asked for', async () => {
    const answer = await client.list('?priority=high&priority=low&limit=100');
    expect(answer.status).toBe(200);
    expect(answer.json.items.map((job: { id: string }) => job.id).sort()).toEqual([high, low].sort());
    expect(answer.json.nextCursor).toBeNull();
  });

  it('sorts by updatedAt, both ways, a page at a time, and binds the cursor to the sort and filters', async () => {
    const pages = async (query: string) => {
      const items: any[] = [];
      let cursor: string | null = null;
      do {
        const answer = await client.list(`?${query}&limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(answer.status).toBe(200);
        items.push(...answer.json.items);
        cursor = answer.json.nextCursor;
      } while (cursor);
      return items;
    };
    // Finished jobs: updatedAt is the completion, their last status change.
    const desc = await pages('sort=updatedAt&order=desc');
    expect(desc).toHaveLength(102);
    const times = desc.map((job) => job.updatedAt as string);
    expect(times).toEqual([...times].sort().reverse());
    const asc = await pages('sort=updatedAt&order=asc');
    expect(asc.map((job) => job.updatedAt)).toEqual([...times].reverse());

    const first = await client.list('?sort=updatedAt&limit=5');
    const cursor = encodeURIComponent(first.json.nextCursor);
    for (const other of ['', '&sort=createdAt', '&sort=updatedAt&order=asc', '&sort=updatedAt&priority=normal']) {
      const answer = await client.list(`?limit=5&cursor=${cursor}${other}`);
      expect(answer.status).toBe(400);
      expect(answer.json.code).toBe('INVALID_CURSOR');
    }
    expect((await client.list(`?sort=updatedAt&limit=5&cursor=${cursor}`)).status).toBe(200);
  });

  it('answers 400 INVALID_QUERY for an unknown priority, sort or order', async () => {
    for (const query of ['?priority=critical', '?sort=priority', '?order=newest']) {
      const answer = await client.list(query);
      expect(answer.status).toBe(400);
      expect(answer.json.code).toBe('INVALID_QUERY');
      expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
  });
});
