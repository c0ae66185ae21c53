/**
 * `npm run ops -- <list|redrive> [options]`: the operator command (lib/ops/command.ts has the usage).
 * Wiring only.
 */
import { runOps, USAGE } from '../lib/ops/command.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
process.exitCode = await runOps(argv, process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
