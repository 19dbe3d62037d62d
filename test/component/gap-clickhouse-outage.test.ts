import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { runGap, type GapDeps } from '../../src/gap/gap-service.js';
import { gapReportSchema, type GapReport, type Population } from '../../src/gap/core/report.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { threadMessages } from '../../src/gap/views/gap-blocks.js';
import { createClickhouseTiers } from '../../src/sources/clickhouse-tiers.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';
import { runGapCli, writeConfigFile } from '../support/gap-cli-run.js';

// 8.8: ClickHouse down must not sink the gap report. The PostgreSQL numbers still come out (equal to the demo's
// ground truth), and the ClickHouse tier says it was unavailable and why, without secrets.

const POPS: Population[] = ['submitted', 'unsubmitted'];
const SECRET = 's3cret-ch-pass';
const jan = parsePeriod('jan-2026');

let demo: DemoDatabase;
let config: Config;
let deps: GapDeps;

/** A port nothing listens on: bound, then released (a real ClickHouse URL to a closed port). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 5, customers: ['rentokil'] });
  const port = await closedPort();
  const base = demo.config();
  config = demo.config({
    clickhouse: { url: `http://default:${SECRET}@127.0.0.1:${port}`, database: demo.clickhouseDatabase, table: 'scorecard_scores', requestTimeoutMs: 5_000 },
  });
  expect(base.clickhouse?.url).not.toContain(String(port));
  deps = {
    sources: new CustomerSources(config),
    clickhouse: createClickhouseTiers(config),
    settings: config.gap,
    logger: createLogger({ level: 'silent' }),
  };
});

afterAll(async () => {
  await deps?.sources.close();
  await deps?.clickhouse?.close();
  await demo?.drop();
});

function expectTruth(r: GapReport): void {
  const t = demo.truth.perCustomer.rentokil!;
  for (const p of POPS) {
    const [total, missing] = t.monthly[p]['2026-01'] ?? [0, 0];
    expect({ total: r.populations[p].total, missing: r.populations[p].missing }, p).toEqual({ total, missing });
    expect(r.populations[p].clickhouseMissing, `${p} clickhouseMissing is unknown, not 0`).toBeNull();
    expect(r.populations[p].clickhouseInFlight, `${p} clickhouseInFlight is unknown, not 0`).toBeNull();
  }
  for (const d of r.daily) {
    for (const p of POPS) {
      const [total, missing] = t.daily[p][d.date] ?? [0, 0];
      const partial = Object.entries(t.partial[p]).reduce((n, [hour, c]) => n + (hour.startsWith(d.date) ? c : 0), 0);
      expect(d[p], `${d.date} ${p}`).toEqual({ total, missing, partial });
    }
  }
  expect(r.populations.submitted.missing).toBeGreaterThan(0);
}

describe('ClickHouse at a closed port', () => {
  it('runGap still returns the PostgreSQL numbers, with the ClickHouse tier unavailable and why', async () => {
    const r = await runGap(deps, 'rentokil', jan);
    expect(gapReportSchema.parse(r)).toBeTruthy();
    expectTruth(r);
    expect(r.clickhouse).toMatchObject({ configured: true, available: false, days: [] });
    expect(r.clickhouse.error).toMatch(/connection refused/i);
    expect(JSON.stringify(r)).not.toContain(SECRET);

    const text = renderTerminalReport(r);
    expect(text).toContain('ClickHouse: unavailable (');
    expect(text).not.toContain(SECRET);
    const slack = JSON.stringify(threadMessages(r));
    expect(slack).toContain('ClickHouse: unavailable (');
    expect(slack).not.toContain(SECRET);
  });

  it('the gap CLI prints the report (text and --json) and exits 0', async () => {
    const configPath = writeConfigFile(config, 'sgb-chdown-');
    const run = (extra: string[]) => runGapCli(['rentokil', 'jan-2026', ...extra, '--config', configPath, '--quiet']);
    const json = await run(['--json']);
    expect(json.code).toBe(0);
    const r = gapReportSchema.parse(JSON.parse(json.stdout));
    expectTruth(r);
    expect(r.clickhouse.available).toBe(false);
    expect(r.clickhouse.error).toMatch(/connection refused/i);
    const text = await run([]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ClickHouse: unavailable \([^)]*connection refused[^)]*\)/i);
    expect(text.stdout + text.stderr + json.stdout).not.toContain(SECRET);
  });
});

describe('ClickHouse up', () => {
  it('reports the tier available, with no error, and the same ClickHouse days when compared hour by hour', async () => {
    const up = demo.config();
    const tier = createClickhouseTiers(up);
    try {
      const r = await runGap({ ...deps, clickhouse: tier }, 'rentokil', jan);
      expect(r.clickhouse.available).toBe(true);
      expect(r.clickhouse.error).toBeNull();
      const planted = demo.truth.perCustomer.rentokil!.clickhouseMissing.filter((d) => d.date.startsWith('2026-01'));
      for (const p of POPS) expect(r.populations[p].clickhouseMissing).toBe(planted.filter((d) => d.population === p).reduce((s, d) => s + d.missing, 0));
      expect(planted.length).toBeGreaterThan(0);
      // 8.15: a large day is compared hour by hour (only the hours whose counts differ); the result is the same.
      const hourly = await runGap({ ...deps, clickhouse: tier, clickhouseHourlyAbove: 0 }, 'rentokil', jan);
      expect(hourly.clickhouse.days.map((d) => `${d.date}/${d.population}/${d.missing}`).sort()).toEqual(
        planted.map((d) => `${d.date}/${d.population}/${d.missing}`).sort(),
      );
      expect(hourly.populations).toEqual(r.populations);
    } finally {
      await tier?.close();
    }
  });
});
