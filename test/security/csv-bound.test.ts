// Threat: nothing bounded the thread's missing-ID CSV, and the Slack SDK reads an upload into memory whole. Now
// slack.csvMaxRows (default 500,000) bounds it: the file holds the first rows, stops reading the cursor there, is
// gzipped when large, and its title says how many were left out and how to get them all from the CLI.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { planGap } from '../../src/gap/gap-service.js';
import { missingIdsCsvFile } from '../../src/gap/missing-ids.js';
import { csvTitle } from '../../src/gap/views/csv.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { cellsEvery, createShapeDatabase, SHAPE_CUSTOMER, type ShapeDatabase } from '../support/shape-database.js';

const cells = cellsEvery('2026-02-02T00:00:00.000Z', '2026-02-05T00:00:00.000Z', (d) =>
  d.getUTCHours() >= 9 && d.getUTCHours() < 12 ? [{ submitted: false, total: 30, missing: 10, criteria: 2 }] : [],
);
const planted = cells.reduce((s, c) => s + (c.missing ?? 0), 0); // 90

let db: ShapeDatabase;
let sources: CustomerSources;

beforeAll(async () => {
  db = await createShapeDatabase(cells);
  sources = new CustomerSources(db.config());
}, 120_000);

afterAll(async () => {
  await sources?.close();
  await db?.drop();
});

const lines = (text: string): string[] => text.trim().split('\r\n');

describe('the thread CSV of missing IDs', () => {
  it('holds at most csvMaxRows, the first in created order', async () => {
    const plan = planGap(sources, db.config().gap, SHAPE_CUSTOMER, parsePeriod('2026-02-02..2026-02-04'), new Date());
    const file = await missingIdsCsvFile(sources, plan, { maxRows: 25 });
    try {
      expect(file).toMatchObject({ rows: 25, truncated: true, gzipped: false });
      const rows = lines(readFileSync(file.path, 'utf8'));
      expect(rows).toHaveLength(1 + 25);
      expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(db.ids.missing.slice(0, 25));
    } finally {
      await file.remove();
    }
  });

  it('is gzipped when asked, and unbounded it lists all of them', async () => {
    const plan = planGap(sources, db.config().gap, SHAPE_CUSTOMER, parsePeriod('2026-02-02..2026-02-04'), new Date());
    const file = await missingIdsCsvFile(sources, plan, { gzip: true });
    try {
      expect(file).toMatchObject({ rows: planted, truncated: false, gzipped: true });
      expect(file.path.endsWith('.csv.gz')).toBe(true);
      const rows = lines(gunzipSync(readFileSync(file.path)).toString('utf8'));
      expect(rows.slice(1).map((r) => r.split(',')[0]).sort()).toEqual([...db.ids.missing].sort());
    } finally {
      await file.remove();
    }
  });

  it('says in its title how many were left out and the CLI command for all of them', () => {
    const report = { customer: 'acme', period: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', label: 'Jan 2026', grain: 'day' as const } };
    expect(csvTitle(report, 1_234_567, 500_000)).toBe(
      'acme: missing scorecard IDs, Jan 2026: the first 500,000 of 1,234,567; 734,567 left out. All of them: scorecard-bot gap acme 2026-01-01..2026-01-31 --csv FILE',
    );
    expect(csvTitle(report, 500_000, 500_000)).toBe('acme: missing scorecard IDs, Jan 2026');
  });

  it('has slack.csvMaxRows, 500,000 by default', () => {
    const config = parseConfig(JSON.stringify({ customers: [{ name: 'a', profile: 'p', postgres: { url: 'postgres://x@y/z' } }], slack: { mode: 'socket' } }), {});
    expect(config.slack?.csvMaxRows).toBe(500_000);
  });
});
