/** The retry-job function: its logic and wiring live in ../logic/retry-job.ts, which the workspace route reuses without wiring this one. */
import { retryJob, wire } from '../logic/retry-job.ts';
import { routeHandler } from '../wiring.ts';

export const handler = await routeHandler('retry-job', retryJob, wire);
