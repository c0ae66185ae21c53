/** The get-job-status function: its logic and wiring live in ../logic/get-job-status.ts, which the workspace route reuses without wiring this one. */
import { getJobStatus, wire } from '../logic/get-job-status.ts';
import { routeHandler } from '../wiring.ts';

export const handler = await routeHandler('get-job-status', getJobStatus, wire);
