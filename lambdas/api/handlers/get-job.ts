/** The get-job function: its logic and wiring live in ../logic/get-job.ts, which the workspace route reuses without wiring this one. */
import { getJob, wire } from '../logic/get-job.ts';
import { routeHandler } from '../wiring.ts';

export const handler = await routeHandler('get-job', getJob, wire);
