/**
 * One dev server per e2e test file: started on a fresh data folder before the file's tests (with
 * tokens for its users issued alongside), stopped and the folder removed after them. A test that
 * stops or kills the server starts it again with `restart`.
 */
import { afterAll, beforeAll } from 'vitest';
import { Client, issueTokens, makeDataDir, removeDataDir, startDevServer, type DevServer } from './dev-server.ts';

export interface DevServerFixtureOptions {
  /** Users to issue tokens for (their usernames). */
  readonly users?: readonly string[];
  /** Extra environment for the server (e.g. RETRY_BASE_DELAY_SECONDS). */
  readonly env?: Record<string, string>;
  /** Prefix of the temporary data folder. */
  readonly label?: string;
  /** @default 60 s */
  readonly startTimeoutMs?: number;
}

export interface DevServerFixture {
  readonly dataDir: string;
  /** The server started last. */
  readonly server: DevServer;
  /** The token issued for one of the users. */
  token(username: string): string;
  /** A client of the server now running, signed in as one of the users. */
  client(username: string): Client;
  /** Starts the server again on the same data folder, once the test stopped or killed it. */
  restart(env?: Record<string, string>): Promise<DevServer>;
}

export function useDevServer(options: DevServerFixtureOptions = {}): DevServerFixture {
  let dataDir: string | undefined;
  let server: DevServer | undefined;
  let tokens = new Map<string, string>();
  const started = () => {
    if (!server || !dataDir) throw new Error('the dev server has not started');
    return { server, dataDir };
  };

  beforeAll(async () => {
    dataDir = makeDataDir(options.label);
    // The token command creates the signing key if the server has not yet: both use the same file.
    [server, tokens] = await Promise.all([
      startDevServer({ dataDir, ...(options.env ? { env: options.env } : {}) }),
      issueTokens(dataDir, options.users ?? []),
    ]);
  }, options.startTimeoutMs ?? 60_000);

  afterAll(async () => {
    try {
      if (server?.running()) {
        const stopped = await server.stop();
        if (stopped.forced) console.warn(`the dev server needed SIGKILL after ${stopped.ms} ms`);
      }
    } finally {
      removeDataDir(dataDir);
    }
  });

  const fixture: DevServerFixture = {
    get dataDir() {
      return started().dataDir;
    },
    get server() {
      return started().server;
    },
    token(username) {
      const token = tokens.get(username);
      if (!token) throw new Error(`no token issued for ${username}`);
      return token;
    },
    client: (username) => new Client(started().server.url, fixture.token(username)),
    async restart(env = options.env) {
      if (server?.running()) throw new Error('stop or kill the dev server before starting it again');
      server = await startDevServer({ dataDir: started().dataDir, ...(env ? { env } : {}) });
      return server;
    },
  };
  return fixture;
}
