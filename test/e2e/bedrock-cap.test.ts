/**
 * End to end, through `npm run dev` with WORKER_MAX_CONCURRENCY=8: a burst of slow jobs in every
 * priority band never has more than 8 model calls in flight at the Bedrock stand-in, and reaches
 * 8 (the figure is the stand-in's own, read from its loopback `GET /__stand-in/stats`; its URL is in
 * the runtime state file the dev server writes into its data folder).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, nonce, pollUntil, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const CAP = 8;
const USER = `burster-${nonce()}`;
const dev = useDevServer({ users: [USER], env: { WORKER_MAX_CONCURRENCY: String(CAP) } });
let client: Client;
let standIn: string;
beforeAll(() => {
  client = dev.client(USER);
  const state = JSON.parse(readFileSync(path.join(dev.dataDir, 'runtime.json'), 'utf8')) as { bedrockUrl: string; bedrockStandIn: boolean };
  expect(state.bedrockStandIn).toBe(true);
  standIn = state.bedrockUrl;
});

/** Jobs per priority band: five batches' worth for each band's 2 workers. */
const PER_BAND = 10;
const CALL_MS = 1_200;

describe('the Bedrock cap', () => {
  let stats: { calls: number; inFlight: number; maxInFlight: number };

  beforeAll(async () => {
    const reset = await call(standIn, '/__stand-in/stats', { method: 'DELETE' });
    expect(reset.json).toMatchObject({ inFlight: 0, maxInFlight: 0 });
    const tag = nonce();
    const work = ['low', 'normal', 'high', 'urgent'].flatMap((priority) =>
      Array.from({ length: PER_BAND }, (_, n) => ({ priority, prompt: `burst ${priority} ${n} ${tag} [[delay:${CALL_MS}]]` })),
    );
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let next = work.shift(); next; next = work.shift()) {
          const answer = await client.call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: next.prompt }, priority: next.priority } });
          if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
          ids.push(answer.json.id as string);
        }
      }),
    );
    await pollUntil(
      () => client.allJobs(),
      (jobs) => jobs.length === ids.length && jobs.every((job) => job.status === 'COMPLETED'),
      { timeoutMs: 60_000, intervalMs: 500, what: `the ${ids.length} burst jobs to complete` },
    );
    stats = (await call(standIn, '/__stand-in/stats')).json;
  }, 90_000);

  it('served every job with one model call', () => {
    expect(stats.calls).toBeGreaterThanOrEqual(4 * PER_BAND);
    expect(stats.inFlight).toBe(0);
  });

  it(`never had more than WORKER_MAX_CONCURRENCY (${CAP}) model calls in flight at once`, () => {
    expect(stats.maxInFlight).toBeLessThanOrEqual(CAP);
  });

  it('reached the cap during the burst (every band busy at once)', () => {
    expect(stats.maxInFlight).toBe(CAP);
  });
});
