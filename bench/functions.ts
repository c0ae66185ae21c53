/** Every function of the stack, by name and entry: the routes plus the queue and schedule consumers. */
import { ROUTES } from '../lambdas/api/routes.ts';

export const FUNCTIONS: readonly { name: string; entry: string }[] = [
  ...ROUTES.map((route) => ({ name: route.name, entry: route.entry })),
  { name: 'worker', entry: 'lambdas/worker/handler.ts' },
  { name: 'dlq', entry: 'lambdas/dlq/handler.ts' },
  { name: 'reconciler', entry: 'lambdas/reconciler/handler.ts' },
];
