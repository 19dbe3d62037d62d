// Issue 22: the console owns its ClickHouse. It starts its own server (a free port, its own data folder) when
// CLICKHOUSE_URL is not set, and reuses demo data only when every tier matches the ground truth. Here the
// ClickHouse data folder is deleted between two starts: the second start reloads (and says why), and the bot's
// report then shows the ground truth's ClickHouse numbers, not "everything missing from ClickHouse".
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultGroundTruthPath } from '../../dev/demo/demo-data-command.js';
import { consoleEnv, dropConsoleData, freePort, startConsole, type ConsoleRun } from '../browser/console-process.js';
import { runGapCli } from '../support/gap-cli-run.js';

const tag = `ownch${process.pid}`;
let env: NodeJS.ProcessEnv;
let run: ConsoleRun | undefined;

function truthJanClickhouse(): { submitted: number; unsubmitted: number } {
  const file = defaultGroundTruthPath(process.cwd(), { seed: 42, scale: 0.001, customers: ['rentokil'], from: undefined, to: undefined });
  const t = JSON.parse(readFileSync(file, 'utf8')) as { perCustomer: { rentokil: { clickhouseMissing: { date: string; population: string; missing: number }[] } } };
  const sum = (p: string) => t.perCustomer.rentokil.clickhouseMissing.filter((d) => d.date.startsWith('2026-01') && d.population === p).reduce((a, d) => a + d.missing, 0);
  return { submitted: sum('submitted'), unsubmitted: sum('unsubmitted') };
}

async function janReport(dir: string): Promise<{ submitted: number | null; unsubmitted: number | null }> {
  const res = await runGapCli(['rentokil', 'jan-2026', '--json', '--config', path.join(dir, 'scorecard-bot.yml')]);
  expect(res.code, res.stderr).toBe(0);
  const r = JSON.parse(res.stdout) as { populations: Record<string, { clickhouseMissing: number | null }> };
  return { submitted: r.populations.submitted!.clickhouseMissing, unsubmitted: r.populations.unsubmitted!.clickhouseMissing };
}

beforeAll(async () => {
  // No CLICKHOUSE_URL: the console starts its own server.
  const { CLICKHOUSE_URL: _omit, ...rest } = consoleEnv(tag, 'http://unused', await freePort());
  env = { ...rest, CONSOLE_RESET: '0' };
  await dropConsoleData(env);
  rmSync(path.resolve(env.CONSOLE_DIR!), { recursive: true, force: true });
}, 60_000);

afterAll(async () => {
  await run?.interrupt();
  await dropConsoleData(env);
  rmSync(path.resolve(env.CONSOLE_DIR!), { recursive: true, force: true });
}, 60_000);

describe('the console and its own ClickHouse', () => {
  it('after its ClickHouse data is deleted, reloads at the next start and reports the true ClickHouse gap', async () => {
    run = await startConsole(env, 300_000);
    const first = await janReport(run.dir);
    expect(await run.interrupt()).toBe(0);
    run = undefined;
    const want = truthJanClickhouse();
    expect(first).toEqual(want);

    // The ClickHouse data folder is gone; PostgreSQL still holds the demo data.
    rmSync(path.resolve(env.CONSOLE_DIR!, 'clickhouse', 'data'), { recursive: true, force: true });
    run = await startConsole(env, 300_000);
    const setupLog = readFileSync(path.join(run.dir, 'logs', 'setup.log'), 'utf8');
    expect(setupLog).toMatch(/demo-data: reloading: ClickHouse holds 0 rows, the ground truth says [\d,]+/);
    expect(await janReport(run.dir)).toEqual(want);
  }, 700_000);
});
