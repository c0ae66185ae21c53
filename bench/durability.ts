/**
 * Durability and throughput of `npm run dev` under load with crashes (the long version of
 * test/e2e/durability.test.ts): N AI_PREVIEW jobs for four users (70% plain, 20% throttled once or
 * twice, 5% throttled five times, 3% validation errors, 2% slow), the server killed with SIGKILL
 * at random moments and restarted on the same data folder, 20 cancels and 10 retries. Prints the
 * figures and every violation: lost, stuck and re-run jobs, list and GET disagreeing.
 *
 *   npx tsx bench/durability.ts [--jobs 1000] [--kills 2] [--runs 1] [--seed 1] [--verbose]
 */
import { parseArgs } from 'node:util';
import { makeDataDir, removeDataDir } from '../test/support/dev-server.ts';
import { runLoad, type LoadReport } from '../test/support/load.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    kills: { type: 'string', default: '2' },
    runs: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    verbose: { type: 'boolean', default: false },
  },
});
const jobs = Number(values.jobs);
const kills = Number(values.kills);
const runs = Number(values.runs);
const seed = Number(values.seed);

const seconds = (ms: number | null) => (ms === null ? 'not settled' : `${(ms / 1000).toFixed(1)} s`);
const totals = { lost: 0, stuck: 0, reruns: 0, disagreements: 0, serverErrors: 0 };

for (let run = 0; run < runs; run++) {
  const dataDir = makeDataDir('jobs-bench-durability-');
  let report: LoadReport;
  try {
    report = await runLoad({
      dataDir,
      jobs,
      kills,
      seed: seed + run,
      // Four users share the backlog of N jobs: the default quota (100 unfinished per caller) would refuse some.
      env: { MAX_ACTIVE_JOBS_PER_CALLER: String(Math.max(100, jobs)) },
      log: values.verbose ? (line) => console.log(`  ${line}`) : undefined,
    });
  } finally {
    removeDataDir(dataDir);
  }
  console.log(`run ${run + 1}/${runs} (seed ${seed + run}): ${jobs} jobs, ${kills} kill(s)`);
  console.log(`  throughput: ${report.jobsPerSecond.toFixed(1)} jobs/s (first create to last job finished: ${seconds(report.elapsedMs)})`);
  for (const [index, restart] of report.restarts.entries()) {
    console.log(
      `  restart ${index + 1}: API ready ${seconds(restart.readyMs)} after the kill; ${restart.backlog} unfinished jobs settled ` +
        `${seconds(restart.settledMs)} after the kill; ${restart.recoveredLine ?? 'no recovery line'}`,
    );
  }
  console.log(`  final statuses: ${JSON.stringify(report.statuses)}; ${report.acknowledged} acknowledged, ${report.unanswered} creates unanswered, ${report.cancels} cancels, ${report.retries} retries`);
  console.log(
    `  lost ${report.lost.length}, stuck ${report.stuck.length}, finished jobs re-run ${report.reruns.length}, ` +
      `list/GET disagreements ${report.disagreements.length}, 5xx answers ${report.serverErrors.length}`,
  );
  for (const rerun of report.reruns) console.log(`    re-run ${rerun.id}: ${JSON.stringify(rerun.first)} → ${JSON.stringify(rerun.later)}`);
  for (const entry of report.disagreements.slice(0, 10)) console.log(`    disagreement ${entry.id}: list ${JSON.stringify(entry.list)} GET ${JSON.stringify(entry.get)}`);
  for (const id of report.stuck.slice(0, 10)) console.log(`    stuck ${id}`);
  for (const line of report.serverErrors.slice(0, 10)) console.log(`    ${line}`);
  totals.lost += report.lost.length;
  totals.stuck += report.stuck.length;
  totals.reruns += report.reruns.length;
  totals.disagreements += report.disagreements.length;
  totals.serverErrors += report.serverErrors.length;
}
if (runs > 1) console.log(`all ${runs} runs: ${JSON.stringify(totals)}`);
