import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGap } from '../../src/gap/gap-service.js';
import { gapReportSchema } from '../../src/gap/core/report.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { renderImpactTable, renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { rootMessage } from '../../src/gap/views/root-message.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';
import { runGapCli, type GapCliRun } from '../support/gap-cli-run.js';

// A period with no scorecards in director is not "healthy": the demo data ends with February 2026, so
// September 2026 has nothing for rentokil; the report must say so instead of "no gap: all 0 submitted".

const NOW = new Date('2026-12-01T12:00:00Z');
let demo: DemoDatabase;

beforeAll(async () => {
  demo = await createDemoDatabase({ customers: ['rentokil'], clickhouse: false });
});

afterAll(async () => {
  await demo?.drop();
});

const cli = (args: string[], configPath: string): Promise<GapCliRun> => runGapCli([...args, '--config', configPath], { now: () => NOW });

describe('13.7 no data is not reported as healthy', () => {
  it('a recent period with no scorecards gets the no_data verdict, in the JSON, the terminal and Slack', async () => {
    const config = demo.config();
    const sources = new CustomerSources(config);
    try {
      const report = await runGap({ sources, clickhouse: null, settings: config.gap, logger: createLogger({ level: 'silent' }) }, 'rentokil', parsePeriod('sep-2026', NOW));
      expect(gapReportSchema.parse(report).verdict).toBe('no_data');
      expect(report.populations.submitted.total + report.populations.unsubmitted.total).toBe(0);
      const expected = `No scorecards in director for rentokil/${demo.truth.profileId} in Sep 2026: check the customer, profile and period.`;
      const text = renderTerminalReport(report);
      expect(text).toContain(expected);
      expect(text).not.toMatch(/no gap/i);
      const root = rootMessage({ status: 'done', report });
      expect(root.text).toContain(expected);
      expect(JSON.stringify(root.blocks)).not.toContain('large_green_circle');
      expect(renderImpactTable([report])).toContain('No scorecards in director for rentokil in Sep 2026 (check the customer, profile and period).');
    } finally {
      await sources.close();
    }
  });

  it('the CLI prints the no_data verdict for a recent empty period and refuses jan-2099 at parse time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-nodata-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(demo.config()));
    const empty = await cli(['rentokil', 'sep-2026', '--json'], configPath);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout).verdict).toBe('no_data');
    const future = await cli(['rentokil', 'jan-2099'], configPath);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('"jan-2099" starts in the future');
  });
});
