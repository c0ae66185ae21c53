/** The list-jobs function: its logic and wiring live in ../logic/list-jobs.ts, which the workspace route reuses without wiring this one. */
import { listJobs, wire } from '../logic/list-jobs.ts';
import { routeHandler } from '../wiring.ts';

export const handler = await routeHandler('list-jobs', listJobs, wire);
