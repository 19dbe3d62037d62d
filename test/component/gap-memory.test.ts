import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorBatches } from '../../src/gap/cursor-batches.js';
import { planGap } from '../../src/gap/gap-service.js';
import { missingIdsCsvFile } from '../../src/gap/missing-ids.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { webClientPublisher } from '../../src/slack/thread-publisher.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { adminQuery, createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';
import { startSlackEmulator } from '../support/slack-emulator.js';

// 8.15: memory bounded by a window, not by the gap. A large gap is planted on one day (scorecards in director,
// none in historic) and what `scorecard-bot gap … --csv` does (the gap run, then the CSV streamed to a file) runs in
// a child process of its own (bench/memory-bench.ts --mode gap-csv), which reports its peak RSS (getrusage).
// Before the cursor, the whole day's missing rows were one query result in memory.

const PLANTED = 400_000;
const DAY = '2026-01-20';
/**
 * The child runs with V8's young generation capped (--max-semi-space-size=1), so that its RSS follows the memory
 * the code keeps alive rather than how lazily V8 collects garbage (by default the young generation alone may grow
 * to ~50 MB under a high allocation rate, whatever is alive). Measured growth of peak RSS over the RSS before the
 * run, 400k missing in one day: ~57 MB streamed; ~101 MB with the code before the cursor (the day's rows were one
 * query result). The bound sits between the two.
 */
const NODE_FLAGS = ['--expose-gc', '--max-semi-space-size=1'];
const MAX_GROWTH_MB = 78;

let demo: DemoDatabase;
let sources: CustomerSources;

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 3, customers: ['spirit'], from: '2026-01-15', to: '2026-01-25' });
  sources = new CustomerSources(demo.config());
  // The planted gap: unsubmitted, in scope, spread over the day, absent from historic (hence missing).
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: demo.adminUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO director.scorecards (customer, profile, resource_id, template_id, created_at)
       SELECT 'spirit', $1, gen_random_uuid()::text, 'planted', $2::timestamptz + g * ($3::float8 * interval '1 millisecond')
       FROM generate_series(0, $4::int - 1) g`,
      [demo.truth.profileId, `${DAY}T00:00:00Z`, 86_400_000 / PLANTED, PLANTED],
    );
    await client.query('ANALYZE director.scorecards');
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  await sources?.close();
  await demo?.drop();
});

function runChild(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', 'bench/memory-bench.ts', ...args], { cwd: join(dirname(new URL(import.meta.url).pathname), '../..') });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const expectedMissing = () => {
  const [, missing] = demo.truth.perCustomer.spirit!.daily.unsubmitted[DAY] ?? [0, 0];
  const [, subMissing] = demo.truth.perCustomer.spirit!.daily.submitted[DAY] ?? [0, 0];
  return PLANTED + missing + subMissing;
};

describe('a large planted gap', () => {
  it(`the gap run and the CSV of every missing ID, with peak RSS growth under ${MAX_GROWTH_MB} MB (and RSS under 300 MB)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-mem-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(demo.config()));
    const r = await runChild(['--mode', 'gap-csv', '--config', configPath, '--customer', 'spirit', '--period', DAY]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { missing: number; startRssMb: number; peakRssMb: number; rows: number };
    console.log(`gap spirit ${DAY} + CSV, ${out.rows} missing IDs: RSS ${out.startRssMb} MB before, peak ${out.peakRssMb} MB`);
    expect(out.rows).toBe(expectedMissing());
    expect(out.missing).toBe(expectedMissing());
    expect(out.peakRssMb - out.startRssMb).toBeLessThan(MAX_GROWTH_MB);
    expect(out.peakRssMb).toBeLessThan(300);
  });

  it('the CSV for Slack goes to a temporary file, complete, is uploaded from it, and is removed after', async () => {
    const plan = planGap(sources, demo.config().gap, 'spirit', parsePeriod(DAY), new Date());
    const file = await missingIdsCsvFile(sources, plan);
    const slack = await startSlackEmulator();
    try {
      // Uploaded from the path through the real WebClient (what publishReport's csv step does), byte for byte.
      const publisher = webClientPublisher(new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }));
      await publisher.uploadFile('C0MEM', '1.000001', { filename: 'spirit-missing-scorecards.csv', title: 'missing', content: { path: file.path } });
      const up = slack.uploads.find((u) => u.filename === 'spirit-missing-scorecards.csv' && u.completed);
      expect(up?.threadTs).toBe('1.000001');
      expect(up?.bytes?.equals(readFileSync(file.path))).toBe(true);
      expect(file.path.startsWith(tmpdir())).toBe(true);
      const lines = readFileSync(file.path, 'utf8').split('\r\n');
      expect(lines[0]).toBe('scorecard_id,population,created_at,submitted_at,state');
      expect(lines.slice(1, -1).every((l) => l.endsWith(',missing'))).toBe(true); // nothing partial on this day
      expect(lines.at(-1)).toBe('');
      expect(lines.length - 2).toBe(expectedMissing());
      expect(file.rows).toBe(expectedMissing());
      expect(new Set(lines.slice(1, -1).map((l) => l.split(',')[0])).size).toBe(expectedMissing());
    } finally {
      await file.remove();
      await slack.close();
    }
    expect(existsSync(file.path)).toBe(false);
  });

  it('a cursor left early ends its read-only transaction (the connection is reusable, nothing left open)', async () => {
    const db = await sources.readOnly('spirit');
    for (let i = 0; i < 6; i++) {
      for await (const batch of cursorBatches<{ id: string }>(db, `SELECT resource_id AS id FROM director.scorecards WHERE template_id = $1`, ['planted'], 1000)) {
        expect(batch).toHaveLength(1000);
        break;
      }
    }
    const open = await adminQuery(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'`, [demo.name]);
    expect(open.rows[0]?.n).toBe(0);
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM director.scorecards WHERE template_id = 'planted'`);
    expect(row?.n).toBe(PLANTED);
  });

  it('a connection dropped mid-cursor: the transaction is re-run and resumes after the rows handed over (no duplicate, none lost)', async () => {
    const db = await sources.readOnly('spirit');
    const ids: string[] = [];
    let batches = 0;
    const sql = `SELECT resource_id AS id FROM director.scorecards WHERE template_id = $1 ORDER BY resource_id`;
    for await (const batch of cursorBatches<{ id: string }>(db, sql, ['planted'], 50_000)) {
      ids.push(...batch.map((r) => r.id));
      if (++batches === 2) {
        // Between two FETCHes, the server ends the backend (as a failover or a restart would).
        const killed = await adminQuery(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'FETCH % FROM gap_rows'`,
          [demo.name],
        );
        expect(killed.rows.map((r) => r.ok)).toEqual([true]);
      }
    }
    expect(batches).toBeGreaterThan(2);
    expect(ids).toHaveLength(PLANTED);
    expect(new Set(ids).size).toBe(PLANTED);
    expect(ids).toEqual([...ids].sort());
  });

  it('a failing FETCH surfaces as the query error', async () => {
    const db = await sources.readOnly('spirit');
    const read = async () => {
      for await (const _ of cursorBatches(db, `SELECT 1 / (g - 3) FROM generate_series(1, 5) g`, [], 1)) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
