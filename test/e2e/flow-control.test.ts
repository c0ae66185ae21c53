/**
 * End to end, through `npm run dev` over HTTP: idempotent creates (the replay header, 422 for a
 * different body), the quota and a type's own limit (429 with nothing written) and a reused
 * result (`fromCache`); a malformed per-type setting stops `npm run dev` before it starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataDir, nonce, removeDataDir, startDevServer, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const QUOTA = 2;
const ALICE = `alice-${nonce()}`;
const BOB = `bob-${nonce()}`;
const CAROL = `carol-${nonce()}`;
const DAVE = `dave-${nonce()}`;
/** PARSE_DOCUMENT's own limit here (the type's default is 10). */
const PARSE_LIMIT = 1;
const dev = useDevServer({
  users: [ALICE, BOB, CAROL, DAVE],
  env: { MAX_ACTIVE_JOBS_PER_CALLER: String(QUOTA), MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE: JSON.stringify({ PARSE_DOCUMENT: PARSE_LIMIT }) },
});
let alice: Client;
let bob: Client;
let carol: Client;
let dave: Client;
const slow: string[] = [];
const daveSlow: string[] = [];
beforeAll(() => {
  alice = dev.client(ALICE);
  bob = dev.client(BOB);
  carol = dev.client(CAROL);
  dave = dev.client(DAVE);
});
afterAll(async () => {
  for (const id of slow) await bob.cancel(id);
  for (const id of daveSlow) await dave.cancel(id);
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

  it("answers 429 TOO_MANY_JOBS naming PARSE_DOCUMENT beyond the type's own limit, writes nothing, and still takes another type", async () => {
    const first = await dave.create({ text: `Long document ${nonce()} [[delay:30000]]` }, 'PARSE_DOCUMENT');
    expect(first.status).toBe(202);
    daveSlow.push(first.json.id);

    const refused = await dave.create({ text: `One document too many ${nonce()}` }, 'PARSE_DOCUMENT');

    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.json).toMatchObject({ code: 'TOO_MANY_JOBS', type: 'urn:async-jobs:problem:too-many-jobs', scope: 'type', jobType: 'PARSE_DOCUMENT', limit: PARSE_LIMIT });
    expect((await dave.allJobs()).map((job) => job.id)).toEqual([first.json.id]);

    const other = await dave.create({ prompt: `Another type ${nonce()} [[delay:30000]]` });
    expect(other.status).toBe(202);
    daveSlow.push(other.json.id);
  });
});

describe('a malformed MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE', () => {
  it('stops npm run dev before it starts, naming the unknown type', async () => {
    const dataDir = makeDataDir('type-quota-bad-');
    try {
      await expect(startDevServer({ dataDir, env: { MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE: '{"PARSE_DOCUMENTS":3}' } })).rejects.toThrow(
        /MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE names unknown job types PARSE_DOCUMENTS; the types are/,
      );
    } finally {
      removeDataDir(dataDir);
    }
  }, 60_000);
});
