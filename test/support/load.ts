/**
 * A black-box load with crashes against `npm run dev`, as a new user would try it: many
 * AI_PREVIEW jobs for a few users with a mix of faults for the Bedrock stand-in, the server killed
 * with SIGKILL at random moments and started again on the same data folder, cancels and retries
 * along the way. Then every job is checked through the API: nothing lost, nothing stuck, no
 * finished job run again (unless we retried it), and the list agreeing with GET.
 *
 * Used by bench/durability.ts (the long version, printing figures) and test/e2e/durability.test.ts
 * (a short version within the suite's time budget). Only HTTP, the token command and the process.
 */
import {
  Client,
  issueTokens,
  startDevServer,
  type Answer,
  type DevServer,
} from './dev-server.ts';

export const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'] as const;
const isTerminal = (status: unknown) => (TERMINAL as readonly unknown[]).includes(status);

export interface LoadOptions {
  readonly dataDir: string;
  readonly jobs: number;
  readonly users?: number;
  /** SIGKILLs of the server at random moments, each followed by a restart. */
  readonly kills?: number;
  readonly cancels?: number;
  readonly retries?: number;
  readonly seed?: number;
  /** Creates in flight at once. */
  readonly concurrency?: number;
  /** Longest wait after the last create for every job to finish. */
  readonly settleTimeoutMs?: number;
  /** Kill moments are drawn from [minKillDelayMs, maxKillDelayMs] after each (re)start. */
  readonly minKillDelayMs?: number;
  readonly maxKillDelayMs?: number;
  /** Environment of the server (e.g. RETRY_BASE_DELAY_SECONDS). */
  readonly env?: Record<string, string>;
  /** Longest wait for a (re)started server's ready line. */
  readonly readyTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** What one job looked like at one moment. */
export interface Snapshot {
  readonly status: string;
  readonly attempts: number;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly updatedAt: string;
}

export interface Restart {
  /** From the kill to the ready line. */
  readonly readyMs: number;
  /** Jobs the API showed unfinished right after the restart. */
  readonly backlog: number;
  /** From the kill until every job of that backlog was finished (null: not within the run). */
  settledMs: number | null;
  /** What the server printed about recovering unfinished jobs, if anything. */
  recoveredLine: string | null;
}

export interface RerunEvidence {
  readonly id: string;
  readonly first: Snapshot;
  readonly later: Snapshot;
}

export interface LoadReport {
  /** Jobs the API acknowledged with 202. */
  readonly acknowledged: number;
  /** Creates whose answer never came (the server died): the job may or may not exist. */
  readonly unanswered: number;
  /** Every job seen in the lists or acknowledged, by final status. */
  readonly statuses: Record<string, number>;
  readonly lost: readonly string[];
  readonly stuck: readonly string[];
  readonly reruns: readonly RerunEvidence[];
  /** Jobs whose list entry differs from their GET (or that are listed but not found). */
  readonly disagreements: readonly { id: string; list: Snapshot | null; get: Snapshot | null }[];
  readonly restarts: readonly Restart[];
  readonly cancels: number;
  readonly retries: number;
  /** From the first create to the last job finished. */
  readonly elapsedMs: number;
  readonly jobsPerSecond: number;
  /** 5xx answers the client got (none expected). */
  readonly serverErrors: readonly string[];
}

/** Deterministic pseudo-random numbers (mulberry32), so a seed reproduces a run's choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The tester's mix: 70% plain, 20% throttled once or twice, 5% five times, 3% invalid, 2% slow. */
export function promptFor(index: number, random: () => number, tag: string): string {
  const base = `load ${tag} job ${index}`;
  const draw = random();
  if (draw < 0.7) return base;
  if (draw < 0.9) return `${base} [[fail:ThrottlingException:${random() < 0.5 ? 1 : 2}]]`;
  if (draw < 0.95) return `${base} [[fail:ThrottlingException:5]]`;
  if (draw < 0.98) return `${base} [[fail:ValidationException]]`;
  return `${base} [[delay:3000]]`;
}

function snapshot(job: any): Snapshot {
  return {
    status: job.status,
    attempts: job.attempts,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    updatedAt: job.updatedAt,
  };
}

const sameFinish = (a: Snapshot, b: Snapshot) =>
  a.status === b.status && a.completedAt === b.completedAt && a.startedAt === b.startedAt && a.attempts === b.attempts;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return error instanceof TypeError || typeof code === 'string';
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => {});
  const random = seededRandom(options.seed ?? 1);
  const userCount = options.users ?? 4;
  const kills = options.kills ?? 2;
  const tag = `${options.seed ?? 1}-${Date.now().toString(36)}`;
  const usernames = Array.from({ length: userCount }, (_, index) => `load-user-${index}-${tag}`);
  const tokens = await issueTokens(options.dataDir, usernames);
  const start = () => startDevServer({ dataDir: options.dataDir, env: options.env ?? {}, readyTimeoutMs: options.readyTimeoutMs ?? 600_000 });

  let server: DevServer = await start();
  /** Resolves when a server is up: replaced by a pending promise while one is being restarted. */
  let up: Promise<DevServer> = Promise.resolve(server);
  const clientFor = (user: number, at: DevServer) => new Client(at.url, tokens.get(usernames[user]!)!);

  const serverErrors: string[] = [];
  const note5xx = (what: string, answer: Answer) => {
    if (answer.status >= 500) serverErrors.push(`${what} → ${answer.status} ${answer.text.slice(0, 200)}`);
  };

  /** Runs a call against the current server; a connection error waits for the next one, once. */
  async function send(user: number, call: (client: Client) => Promise<Answer>, idempotent: boolean): Promise<Answer | null> {
    for (let round = 0; ; round++) {
      const at = await up;
      try {
        return await call(clientFor(user, at));
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        if (!idempotent) return null;
        if (round > 50) throw error;
        // Wait for the restart (if any) to begin, then for the server it brings.
        await sleep(200);
      }
    }
  }

  // ------------------------------------------------------------------ observers
  const owner = new Map<string, number>();
  /** The first finished state seen since the job's last retry by us. */
  const finished = new Map<string, Snapshot>();
  const reruns: RerunEvidence[] = [];
  const rerunIds = new Set<string>();
  const retriedAt = new Map<string, number>();

  function observe(id: string, job: any, seenAt: number): void {
    const now = snapshot(job);
    const retried = retriedAt.get(id);
    if (retried !== undefined && seenAt <= retried) return;
    const first = finished.get(id);
    if (!first) {
      if (isTerminal(now.status)) finished.set(id, now);
      return;
    }
    if (!sameFinish(first, now) && !rerunIds.has(id)) {
      rerunIds.add(id);
      reruns.push({ id, first, later: now });
      log(`RE-RUN of finished job ${id}: ${JSON.stringify(first)} → ${JSON.stringify(now)}`);
    }
  }

  async function listAll(user: number): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const query = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const answer = await send(user, (client) => client.list(query), true);
      if (!answer) throw new Error('list got no answer');
      note5xx('list', answer);
      if (answer.status !== 200) throw new Error(`list answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      items.push(...answer.json.items);
      cursor = answer.json.nextCursor;
      if (!cursor) return items;
    }
    throw new Error('the list did not end');
  }

  async function sweep(): Promise<Map<string, any>> {
    const all = new Map<string, any>();
    for (let user = 0; user < userCount; user++) {
      const seenAt = Date.now();
      for (const job of await listAll(user)) {
        if (!owner.has(job.id)) owner.set(job.id, user);
        all.set(job.id, job);
        observe(job.id, job, seenAt);
      }
    }
    return all;
  }

  let loading = true;
  let fiddling = true;
  const observer = (async () => {
    while (loading) {
      try {
        await sweep();
      } catch (error) {
        log(`sweep failed: ${(error as Error).message}`);
      }
      await sleep(1000);
    }
  })();

  // ------------------------------------------------------------------ creates
  const acknowledged: string[] = [];
  let unanswered = 0;
  let firstCreateAt = 0;
  let next = 0;
  const creators = Array.from({ length: options.concurrency ?? 8 }, async () => {
    for (let index = next++; index < options.jobs; index = next++) {
      const user = index % userCount;
      for (let round = 0; ; round++) {
        const prompt = promptFor(index, random, `${tag}-${round}`);
        firstCreateAt ||= Date.now();
        const answer = await send(user, (client) => client.create({ prompt }), false);
        if (!answer) {
          unanswered++;
          continue; // a user would try again; a new prompt keeps the stand-in's counters apart
        }
        note5xx('create', answer);
        if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text.slice(0, 300)}`);
        acknowledged.push(answer.json.id);
        owner.set(answer.json.id, user);
        break;
      }
    }
  });

  // ------------------------------------------------------------------ cancels and retries
  let cancels = 0;
  let retries = 0;
  const fiddler = (async () => {
    const wantCancels = options.cancels ?? 20;
    const wantRetries = options.retries ?? 10;
    while (fiddling && (cancels < wantCancels || retries < wantRetries)) {
      await sleep(200 + random() * 600);
      if (acknowledged.length === 0) continue;
      if (cancels < wantCancels) {
        const id = acknowledged[Math.floor(random() * acknowledged.length)]!;
        const answer = await send(owner.get(id)!, (client) => client.cancel(id), false);
        if (answer) {
          note5xx('cancel', answer);
          if (answer.status === 200) cancels++;
        }
      }
      if (retries < wantRetries) {
        const candidates = [...finished].filter(([, seen]) => seen.status === 'FAILED' || seen.status === 'CANCELLED');
        const pick = candidates[Math.floor(random() * candidates.length)];
        if (!pick) continue;
        const [id] = pick;
        // From the moment the retry is sent, the job may change on our behalf: ignore what any
        // sweep sees until the answer is in, and sweeps that started before it.
        retriedAt.set(id, Number.POSITIVE_INFINITY);
        finished.delete(id);
        const at = Date.now();
        const answer = await send(owner.get(id)!, (client) => client.retry(id), false);
        retriedAt.set(id, answer ? Date.now() : at + 60_000);
        if (answer) {
          note5xx('retry', answer);
          if (answer.status === 202) retries++;
        }
      }
    }
  })();

  // ------------------------------------------------------------------ kills
  const restarts: Restart[] = [];
  const minDelay = options.minKillDelayMs ?? 2000;
  const maxDelay = options.maxKillDelayMs ?? 10_000;
  const backlogs: { restart: Restart; killedAt: number; ids: string[]; server: DevServer }[] = [];
  const RECOVERED = /recovered (\d+ )?unfinished jobs[^\n]*/;
  for (let kill = 0; kill < kills; kill++) {
    await sleep(minDelay + random() * (maxDelay - minDelay));
    const killedAt = Date.now();
    let bringUp!: (server: DevServer) => void;
    up = new Promise((resolve) => (bringUp = resolve));
    await server.kill();
    log(`kill ${kill + 1}: SIGKILL after ${acknowledged.length} creates`);
    server = await start();
    const readyMs = Date.now() - killedAt;
    bringUp(server);
    const all = await sweep();
    const ids = [...all.values()].filter((job) => !isTerminal(job.status)).map((job) => job.id as string);
    const restart: Restart = { readyMs, backlog: ids.length, settledMs: null, recoveredLine: null };
    restarts.push(restart);
    backlogs.push({ restart, killedAt, ids, server });
    log(`restart ${kill + 1}: ready after ${readyMs} ms; ${ids.length} unfinished`);
  }

  await Promise.all(creators);
  fiddling = false;
  await fiddler;
  log(`${acknowledged.length} jobs acknowledged, ${unanswered} creates unanswered; ${cancels} cancelled, ${retries} retried`);

  // ------------------------------------------------------------------ settle
  const settleDeadline = Date.now() + (options.settleTimeoutMs ?? 300_000);
  let all = new Map<string, any>();
  for (;;) {
    all = await sweep();
    const now = Date.now();
    for (const backlog of backlogs) {
      if (backlog.restart.settledMs === null && backlog.ids.every((id) => isTerminal(all.get(id)?.status))) {
        backlog.restart.settledMs = now - backlog.killedAt;
      }
    }
    const unfinished = [...all.values()].filter((job) => !isTerminal(job.status)).length;
    const missing = acknowledged.filter((id) => !all.has(id)).length;
    if ((unfinished === 0 && missing === 0) || now > settleDeadline) break;
    await sleep(1000);
  }
  loading = false;
  await observer;

  // ------------------------------------------------------------------ check every job by GET
  const lost: string[] = [];
  const stuck: string[] = [];
  const disagreements: LoadReport['disagreements'][number][] = [];
  const statuses: Record<string, number> = {};
  const ids = new Set([...acknowledged, ...all.keys()]);
  let lastFinishedAt = 0;
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const answer = (await send(owner.get(id)!, (client) => client.get(id!), true))!;
        note5xx('get', answer);
        const listed = all.get(id);
        if (answer.status === 404) {
          if (acknowledged.includes(id)) lost.push(id);
          disagreements.push({ id, list: listed ? snapshot(listed) : null, get: null });
          statuses.NOT_FOUND = (statuses.NOT_FOUND ?? 0) + 1;
          continue;
        }
        if (answer.status !== 200) throw new Error(`GET ${id} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
        const job = answer.json;
        statuses[job.status] = (statuses[job.status] ?? 0) + 1;
        if (!isTerminal(job.status)) stuck.push(id);
        else lastFinishedAt = Math.max(lastFinishedAt, Date.parse(job.completedAt));
        observe(id, job, Date.now());
        const got = snapshot(job);
        if (!listed || !sameFinish(snapshot(listed), got) || listed.updatedAt !== got.updatedAt) {
          disagreements.push({ id, list: listed ? snapshot(listed) : null, get: got });
        }
      }
    }),
  );
  await server.stop();
  for (const backlog of backlogs) backlog.restart.recoveredLine = RECOVERED.exec(backlog.server.stderr())?.[0] ?? null;

  const elapsedMs = Math.max(1, lastFinishedAt - firstCreateAt);
  const finishedCount = (statuses.COMPLETED ?? 0) + (statuses.FAILED ?? 0) + (statuses.CANCELLED ?? 0);
  return {
    acknowledged: acknowledged.length,
    unanswered,
    statuses,
    lost,
    stuck,
    reruns,
    disagreements,
    restarts,
    cancels,
    retries,
    elapsedMs,
    jobsPerSecond: finishedCount / (elapsedMs / 1000),
    serverErrors,
  };
}
