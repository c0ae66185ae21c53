/** Types for dynalite 4 (an in-memory DynamoDB on LevelDB), which ships none. Only what we use. */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when omitted. */
    readonly path?: string;
    /** Simulated delay before a created table becomes ACTIVE (default 500 ms). */
    readonly createTableMs?: number;
    readonly deleteTableMs?: number;
    readonly updateTableMs?: number;
    readonly maxItemSizeKb?: number;
    readonly ssl?: boolean;
  }

  /** Returns an HTTP server speaking the DynamoDB JSON protocol; call `listen` on it. */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
