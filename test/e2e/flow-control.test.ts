/**
 * End to end, through `npm run dev` over HTTP: idempotent creates (the replay header, 422 for a
 * different body), the quota (429 with nothing written) and a reused result (`fromCache`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nonce, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const QUOTA = 2;
const ALICE = `alice-${nonce()}`;
const BOB = `bob-${nonce()}`;
const CAROL = `carol-${nonce()}`;
const dev = useDevServer({ users: [ALICE, BOB, CAROL], env: { MAX_ACTIVE_JOBS_PER_CALLER: String(QUOTA) } });
let alice: Client;
let bob: Client;
let carol: Client;
const slow: string[] = [];
beforeAll(() => {
  alice = dev.client(ALICE);
  bob = dev.client(BOB);
  carol = dev.client(CAROL);
});
afterAll(async () => {
  for (const id of slow) await bob.cancel(id);
});

const createKeyed = (client: Client, key: string, body: unknown) =>
  client.call('/api/jobs', { method: 'POST', body, headers: { 'Idempotency-Key': key } });

describe('flow control through the local API', () => {
  it('replays a create repeated with its Idempotency-Key, and refuses the key with a different body', async () => {
    const key = `create-${nonce()}`;
    const body = { type: 'AI_PREVIEW', input: { prompt: `Idempotent ${nonce()}` } };

    const first = await createKeyed(alice, key, body);
    const done = await alice.waitForFinish(first.json.id);
    const again = await createKeyed(alice, key, body);
    const different = await createKeyed(alice, key, { ...body, input: { prompt: 'another prompt' } });

    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(done);
    expect(different.status).toBe(422);
    expect(different.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(different.json.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await alice.allJobs()).map((job) => job.id)).toEqual([first.json.id]);
  });

  it('answers 429 TOO_MANY_JOBS with Retry-After beyond the quota, and writes nothing', async () => {
    for (let n = 0; n < QUOTA; n++) slow.push(await bob.createJob(`Keeps running ${nonce()} [[delay:30000]]`));

    const refused = await bob.create({ prompt: `One too many ${nonce()}` });

    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.json).toMatchObject({ code: 'TOO_MANY_JOBS', limit: QUOTA });
    expect((await bob.allJobs()).map((job) => job.id).sort()).toEqual([...slow].sort());
  });

  it('creates a job COMPLETED with fromCache: true from an earlier result of the same input', async () => {
    const text = `# Harvest plan ${nonce()}\n\nThe harvest starts in late September.`;
    const first = await carol.create({ text }, 'PARSE_DOCUMENT');
    const done = await carol.waitForFinish(first.json.id);
    expect(done).toMatchObject({ status: 'COMPLETED', fromCache: false });

    const reused = await carol.call('/api/jobs', { method: 'POST', body: { type: 'PARSE_DOCUMENT', input: { text }, reuse: { maxAgeSeconds: 300 } } });

    expect(reused.status).toBe(201);
    expect(reused.json).toMatchObject({ status: 'COMPLETED', fromCache: true, attempts: 0, result: done.result });
    expect(await carol.job(reused.json.id)).toMatchObject({ status: 'COMPLETED', fromCache: true, result: done.result });
  });
});
