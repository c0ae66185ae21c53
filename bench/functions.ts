/** Every function of the stack, by name and entry: the routes plus the queue and schedule consumers. */
import { ROUTES } from '../lambdas/api/routes.ts';
import { BACKGROUND_ENTRIES } from '../lambdas/shared/resources.ts';

export const FUNCTIONS: readonly { name: string; entry: string }[] = [
  ...ROUTES.map((route) => ({ name: route.name, entry: route.entry })),
  ...Object.entries(BACKGROUND_ENTRIES).map(([name, entry]) => ({ name, entry })),
];
