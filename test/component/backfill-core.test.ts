import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePeriod } from '../../src/period/parse-period.js';
import { runOpsMigrations } from '../../src/ops/migrations/run.js';
import { createDemoDatabase, createEmptyDatabase, type DemoDatabase } from '../support/demo-database.js';
import { clickhouseCounts, harness, historicDiff, historicDuplicates, itemIds, snapshotHistoric, writeConfigFile, type Harness } from './backfill-support.js';

// The backfill core against the incident dataset in real PostgreSQL and ClickHouse: the dry run writes nothing,
// the plan's counts are the ground truth's, the state machine settles every race once, the job closes the gap
// with exactly the rows the writer would have written, and nothing is ever written twice.

const run = promisify(execFile);
/** Every migration file, in order (0001 is gap_runs, 0002 the backfill tables; later ones belong to other features). */
const MIGRATIONS = readdirSync('src/ops/migrations').filter((f) => /^\d{4}_[a-z0-9-]+\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, '')).sort();
const jan = parsePeriod('jan-2026');

let demo: DemoDatabase;
let h: Harness;

beforeAll(async () => {
  demo = await createDemoDatabase({ seed: 7, scale: 0.002 });
});

afterAll(async () => {
  await h?.close();
  await demo?.drop();
});

async function tableCounts(url: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string }>(
      `SELECT schemaname || '.' || relname AS t FROM pg_stat_user_tables ORDER BY 1`,
    );
    const out: Record<string, number> = {};
    for (const { t } of rows) out[t] = Number((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    const { rows: schemas } = await c.query(`SELECT nspname FROM pg_namespace WHERE nspname = 'scorecard_bot'`);
    out.__ops_schema = schemas.length;
    return out;
  } finally {
    await c.end();
  }
}

describe('dry run', () => {
  it('prints the plan for rentokil jan-2026 with the ground truth counts and writes nothing anywhere', async () => {
    const before = await tableCounts(demo.adminUrl);
    const chBefore = await clickhouseCounts(demo, 'rentokil', '2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
    const file = writeConfigFile(demo.config());
    const { stdout } = await run('npx', ['tsx', 'src/cli.ts', 'backfill', 'plan', 'rentokil', 'jan-2026', '--json', '--config', file], { cwd: process.cwd() });
    const plan = JSON.parse(stdout);
    const t = demo.truth.perCustomer.rentokil!;
    const [, subMissing] = t.monthly.submitted['2026-01']!;
    const [, unsubMissing] = t.monthly.unsubmitted['2026-01']!;
    expect(plan.before.historic).toEqual({ submitted: subMissing, unsubmitted: unsubMissing });
    expect(subMissing).toBe(1165);
    // Every missing rentokil January scorecard has scores and a conversation: all of them are written.
    expect(plan.toWrite.byReason.missing).toBe(subMissing + unsubMissing);
    const chMissing = t.clickhouseMissing.filter((d) => d.date.startsWith('2026-01')).reduce((a, d) => a + d.missing, 0);
    expect(plan.toWrite.byReason.clickhouse_only).toBe(chMissing);
    expect(plan.before.clickhouse.submitted).toBe(2);
    expect(plan.target).toMatch(/^127\.0\.0\.1:5432\/\S+ as postgres/);
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.samples.missing).toHaveLength(5);
    const janTotal = t.monthly.submitted['2026-01']![0] + t.monthly.unsubmitted['2026-01']![0];
    expect(plan.scanned).toBe(janTotal + (t.excluded.daily ? Object.entries(t.excluded.daily).filter(([d]) => d.startsWith('2026-01')).reduce((a, [, v]) => a + v.calibration + v.nonOriginal, 0) : 0));

    const text = await run('npx', ['tsx', 'src/cli.ts', 'backfill', 'plan', 'rentokil', 'jan-2026', '--config', file], { cwd: process.cwd() });
    expect(text.stdout).toContain('dry run: nothing was written');
    expect(text.stdout).toContain(`scorecards to write: ${(subMissing + unsubMissing + chMissing).toLocaleString('en-US')}`);
    expect(text.stdout).toContain(plan.hash.slice(0, 12));

    expect(await tableCounts(demo.adminUrl)).toEqual(before);
    expect(before.__ops_schema).toBe(0); // not even the ops schema was created
    expect(await clickhouseCounts(demo, 'rentokil', '2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual(chBefore);
  });

  it('refuses bad input before anything runs', async () => {
    const file = writeConfigFile(demo.config());
    const err = await run('npx', ['tsx', 'src/cli.ts', 'backfill', 'plan', 'acme', 'jan-2026', '--config', file]).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toContain('I don\'t know a customer called "acme"');
    const long = await run('npx', ['tsx', 'src/cli.ts', 'backfill', 'plan', 'rentokil', 'jan-2025..mar-2026', '--config', file]).catch((e: { stderr: string }) => e);
    expect((long as { stderr: string }).stderr).toContain('longer than 13 months');
  });
});

describe('ops migrations', () => {
  it('two processes migrating a fresh database at once: both succeed, each migration applied once', async () => {
    const db = await createEmptyDatabase('sgb_bf_mig');
    try {
      const clients = [new pg.Client({ connectionString: db.url }), new pg.Client({ connectionString: db.url })];
      await Promise.all(clients.map((c) => c.connect()));
      const applied = await Promise.all(clients.map((c) => runOpsMigrations(c)));
      await Promise.all(clients.map((c) => c.end()));
      expect(applied.flat().sort()).toEqual(MIGRATIONS);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const { rows } = await c.query(`SELECT name FROM scorecard_bot.pgmigrations ORDER BY id`);
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS);
      await c.end();
    } finally {
      await db.drop();
    }
  });

  it('keeps an ops database created by the old DDL (gap_runs adopted as migration 1)', async () => {
    const db = await createEmptyDatabase('sgb_bf_old');
    try {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      await c.query(`CREATE SCHEMA scorecard_bot; CREATE TABLE scorecard_bot.gap_runs (run_id text PRIMARY KEY, customer text NOT NULL, period_label text NOT NULL,
        period_from timestamptz NOT NULL, period_to timestamptz NOT NULL, requested_by text NOT NULL, channel text NOT NULL, root_ts text NOT NULL,
        status text NOT NULL, verdict text, summary jsonb, error text, created_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz);
        INSERT INTO scorecard_bot.gap_runs (run_id, customer, period_label, period_from, period_to, requested_by, channel, root_ts, status)
        VALUES ('r1', 'rentokil', 'Jan 2026', now(), now(), 'U1', 'C1', '1.1', 'done')`);
      expect(await runOpsMigrations(c)).toEqual(MIGRATIONS);
      expect((await c.query(`SELECT run_id FROM scorecard_bot.gap_runs`)).rows).toEqual([{ run_id: 'r1' }]);
      await c.end();
    } finally {
      await db.drop();
    }
  });
});

describe('requests, decisions and the job', () => {
  beforeAll(async () => {
    h = await harness(demo, { backfill: { chunkSize: 100 } });
  });

  it('the audit log refuses UPDATE and DELETE', async () => {
    const r = await h.service().request({ customer: 'nclh', period: parsePeriod('2026-01-10') }, { requester: 'U_REQ', channel: 'C1', threadTs: '1.2' });
    const audit = await h.store.audit(r.id);
    // nclh has nothing missing that day: the plan ends at once, asking nobody.
    expect(audit.map((a) => a.action)).toEqual(['requested', 'nothing_to_write']);
    await expect(h.opsPool.query(`UPDATE scorecard_bot.backfill_audit SET actor = 'x' WHERE request_id = $1`, [r.id])).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(h.opsPool.query(`DELETE FROM scorecard_bot.backfill_audit WHERE request_id = $1`, [r.id])).rejects.toThrow(/append-only: DELETE refused/);
    await expect(h.opsPool.query(`TRUNCATE scorecard_bot.backfill_audit`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect(await h.store.audit(r.id)).toEqual(audit);
  });

  it('two approvals at once give exactly one approved transition; self-approval, stale plans and later clicks are refused', async () => {
    const svc = h.service();
    const r = await svc.request({ customer: 'nclh', period: parsePeriod('2026-01-11') }, { requester: 'U_REQ', channel: 'C1', threadTs: '1.3' });
    expect(r.status).toBe('pending');
    const self = await svc.approve(r.id, 'U_REQ', r.planHash!);
    expect(self).toMatchObject({ ok: false, reason: 'self_approval' });
    const stale = await svc.approve(r.id, 'U_A', 'f'.repeat(64));
    expect(stale).toMatchObject({ ok: false, reason: 'stale_plan' });
    const decisions = await Promise.all(['U_A', 'U_B', 'U_A', 'U_C'].map((u) => svc.approve(r.id, u, r.planHash!)));
    expect(decisions.filter((d) => d.ok)).toHaveLength(1);
    for (const d of decisions.filter((x) => !x.ok)) expect(d).toMatchObject({ reason: 'already_decided' });
    expect(await svc.deny(r.id, 'U_B', r.planHash!)).toMatchObject({ ok: false, reason: 'already_decided' });
    const audit = await h.store.audit(r.id);
    expect(audit.filter((a) => a.action === 'approved')).toHaveLength(1);
    expect(await svc.approve('bf-nope', 'U_A', r.planHash!)).toMatchObject({ ok: false, reason: 'not_found' });
    // Cancel before the job starts: final at once, and the job then does not start.
    expect(await svc.cancel(r.id, 'U_REQ')).toMatchObject({ ok: true });
    expect((await svc.run(r.id)).status).toBe('not_started');
  });

  it('deny, expiry, and a customer without a writer; an unknown customer or a scope over 13 months changes nothing', async () => {
    const svc = h.service();
    const count = async () => (await h.opsPool.query(`SELECT count(*)::int AS n FROM scorecard_bot.backfill_requests`)).rows[0].n as number;
    const n0 = await count();
    await expect(svc.request({ customer: 'acme', period: jan }, { requester: 'U_REQ', channel: 'C1', threadTs: null })).rejects.toMatchObject({ code: 'UNKNOWN_CUSTOMER' });
    const long = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z'), label: 'Jan 2025 – Feb 2026', grain: 'day' as const };
    await expect(svc.request({ customer: 'nclh', period: long }, { requester: 'U_REQ', channel: 'C1', threadTs: null })).rejects.toMatchObject({ code: 'BAD_INPUT', userMessage: expect.stringContaining('at most 13 months') });
    await expect(svc.request({ customer: 'nclh', scorecardId: 'no-such-id' }, { requester: 'U_REQ', channel: 'C1', threadTs: null })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(await count()).toBe(n0);
    const a = await svc.request({ customer: 'nclh', period: parsePeriod('2026-01-12') }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
    expect(await svc.deny(a.id, 'U_A', a.planHash!)).toMatchObject({ ok: true, request: { status: 'denied', decidedBy: 'U_A' } });
    expect(await svc.approve(a.id, 'U_B', a.planHash!)).toMatchObject({ ok: false, reason: 'already_decided' });

    const past = h.service({ now: () => new Date(Date.now() - 2 * 86_400_000) });
    const b = await past.request({ customer: 'nclh', period: parsePeriod('2026-01-12') }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
    expect(await svc.approve(b.id, 'U_A', b.planHash!)).toMatchObject({ ok: false, reason: 'expired', request: { status: 'expired' } });
    expect((await h.store.audit(b.id)).map((x) => x.action)).toEqual(['requested', 'planned', 'expired']);

    const noWriter = await harness(demo, {}, false);
    const cfg = { ...noWriter.config, customers: noWriter.config.customers.map((c) => (c.name === 'nclh' ? { ...c, writer: undefined } : c)) };
    const svc2 = new (await import('../../src/backfill/service.js')).BackfillService({
      store: h.store,
      config: cfg,
      gap: { sources: h.ctx.sources, clickhouse: h.ctx.clickhouse, settings: cfg.gap, logger: h.ctx.logger },
      resolver: new (await import('../../src/sources/connection-url.js')).ConnectionUrlResolver(),
    });
    const c = await svc2.request({ customer: 'nclh', period: parsePeriod('2026-01-12') }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
    expect(c.plan?.writerConfigured).toBe(false);
    expect(c.plan?.target).toBeNull();
    expect(await svc2.approve(c.id, 'U_A', c.planHash!)).toMatchObject({ ok: false, reason: 'no_writer' });
    await noWriter.close();
  });

  it('"Backfill this scorecard": one scorecard, planned, written with every score once, and verified', async () => {
    const named = demo.truth.named.find((n) => n.name === 'first-missing-guitar-center')!;
    expect(named.missing).toBe(true);
    await snapshotHistoric(h.admin, 'one_before');
    const svc = h.service();
    const r = await svc.request({ customer: 'guitar-center', scorecardId: named.scorecardId }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
    expect(r.scope).toMatchObject({ scorecardId: named.scorecardId, from: '2026-01-10T00:00:00.000Z', to: '2026-01-11T00:00:00.000Z' });
    expect(r.plan).toMatchObject({ scanned: 1, toWrite: { scorecards: 1, historicRows: named.scores } });
    expect((await svc.approve(r.id, 'U_A', r.planHash!)).ok).toBe(true);
    const result = await svc.run(r.id);
    expect(result).toMatchObject({ status: 'done', historicRows: named.scores, after: { historic: { submitted: 0, unsubmitted: 0 } } });
    expect(await historicDiff(h.admin, 'one_before', [named.scorecardId])).toEqual({ added: named.scores, expected: named.scores, unexpected: 0, lost: 0 });
  });

  it('rentokil jan-2026: the job closes the gap with exactly one historic row per director score and changes nothing else', async () => {
    await snapshotHistoric(h.admin, 'rk_before');
    const chBefore = await clickhouseCounts(demo, 'rentokil', jan.from.toISOString(), jan.to.toISOString());
    const svc = h.service();
    const r = await svc.request({ customer: 'rentokil', period: jan }, { requester: 'U_REQ', channel: 'C1', threadTs: '1.4' });
    expect((await svc.approve(r.id, 'U_A', r.planHash!)).ok).toBe(true);
    const progress: number[] = [];
    const result = await svc.run(r.id, (p) => progress.push(p.chunksDone));
    const t = demo.truth.perCustomer.rentokil!;
    expect(result).toMatchObject({
      status: 'done',
      before: { historic: { submitted: 1165, unsubmitted: t.monthly.unsubmitted['2026-01']![1] }, clickhouse: { submitted: 2, unsubmitted: 0 } },
      after: { historic: { submitted: 0, unsubmitted: 0 }, clickhouse: { submitted: 0, unsubmitted: 0 } },
      alreadyPresent: 0,
    });
    expect(result.chunks).toBe(Math.ceil((1165 + 55 + 2) / 100));
    expect(progress.at(-1)).toBe(result.chunks);
    const planned = await itemIds(h.opsPool, r.id, ['missing', 'partial']);
    expect(planned).toHaveLength(1165 + 55);
    const diff = await historicDiff(h.admin, 'rk_before', planned);
    expect(diff).toEqual({ added: diff.expected, expected: result.historicRows, unexpected: 0, lost: 0 });
    expect(await historicDuplicates(h.admin, 'rentokil')).toBe(0);
    // ClickHouse: every January scorecard of historic is there now, each (scorecard, criterion) once.
    const chAfter = await clickhouseCounts(demo, 'rentokil', jan.from.toISOString(), jan.to.toISOString());
    expect(chAfter.scorecards).toBe(t.monthly.submitted['2026-01']![0] + t.monthly.unsubmitted['2026-01']![0]);
    expect(chAfter.rows).toBe(chAfter.distinct);
    expect(chAfter.rows - chBefore.rows).toBe(result.clickhouseRows);
    const final = await h.store.get(r.id);
    expect(final).toMatchObject({ status: 'done' });
    expect((await h.store.audit(r.id)).map((a) => a.action)).toEqual(['requested', 'planned', 'approved', 'started', 'done']);

    // Once more: a new plan finds nothing to write, so it is done at once: nobody is asked, nothing can run.
    const again = await svc.request({ customer: 'rentokil', period: jan }, { requester: 'U_REQ', channel: 'C1', threadTs: '1.5' });
    expect(again.plan?.toWrite.scorecards).toBe(0);
    expect(again).toMatchObject({ status: 'done', result: { nothingToWrite: true, historicRows: 0 } });
    expect((await svc.approve(again.id, 'U_A', again.planHash!)).ok).toBe(false);
    expect(await svc.run(again.id)).toMatchObject({ status: 'not_started', historicRows: 0 });
  });

  it('the read path the plan uses cannot write, even with the writer configured', async () => {
    const db = await h.ctx.sources.readOnly('rentokil');
    await expect(db.query(`INSERT INTO historic.scorecard_scores (customer_id) VALUES ('x')`)).rejects.toMatchObject({ code: 'READ_ONLY_VIOLATION' });
    const { rows } = await h.admin.query(`SELECT count(*)::int AS n FROM historic.scorecard_scores WHERE customer_id = 'x'`);
    expect(rows[0].n).toBe(0);
  });

  it('cancel while running stops after the current chunk; what was committed stays, nothing else is written', async () => {
    await snapshotHistoric(h.admin, 'gc_before');
    const slow = await harness(demo, { backfill: { chunkSize: 20, maxRowsPerSecond: 1000 } }, false);
    const svc = slow.service();
    const r = await svc.request({ customer: 'guitar-center', period: jan }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
    expect((await svc.approve(r.id, 'U_A', r.planHash!)).ok).toBe(true);
    const running = svc.run(r.id);
    const deadline = Date.now() + 60_000;
    while ((await h.store.checkpoints(r.id)).length < 1) {
      if (Date.now() > deadline) throw new Error('no chunk was checkpointed');
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(await svc.cancel(r.id, 'U_REQ')).toMatchObject({ ok: true, request: { status: 'cancelling', cancelledBy: 'U_REQ' } });
    const result = await running;
    expect(result.status).toBe('cancelled');
    const done = await h.store.checkpoints(r.id);
    expect(done.length).toBe(result.chunksDone);
    expect(done.length).toBeLessThan(result.chunks);
    const final = await h.store.get(r.id);
    expect(final?.status).toBe('cancelled');
    expect(final?.finishedAt).not.toBeNull();
    expect((await h.store.audit(r.id)).map((a) => a.action)).toEqual(['requested', 'planned', 'approved', 'started', 'cancelled', 'stopped']);
    const { rows } = await h.opsPool.query(`SELECT scorecard_id FROM scorecard_bot.backfill_items WHERE request_id = $1 AND seq < $2`, [r.id, done.length * 20]);
    const diff = await historicDiff(h.admin, 'gc_before', rows.map((x) => x.scorecard_id));
    expect(diff).toEqual({ added: diff.expected, expected: result.historicRows, unexpected: 0, lost: 0 });
    await slow.close();
  });

  it('two jobs on overlapping scopes at once leave no duplicate', async () => {
    await snapshotHistoric(h.admin, 'sp_before');
    const svc = h.service();
    const a = await svc.request({ customer: 'spirit', period: jan }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
    const b = await svc.request({ customer: 'spirit', period: parsePeriod('2026-01-20..2026-02-05') }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
    for (const r of [a, b]) expect((await svc.approve(r.id, 'U_A', r.planHash!)).ok).toBe(true);
    const [ra, rb] = await Promise.all([svc.run(a.id), svc.run(b.id)]);
    expect(ra.status).toBe('done');
    expect(['done', 'done_with_remainder']).toContain(rb.status);
    const planned = [...new Set([...(await itemIds(h.opsPool, a.id, ['missing', 'partial'])), ...(await itemIds(h.opsPool, b.id, ['missing', 'partial']))])];
    const diff = await historicDiff(h.admin, 'sp_before', planned);
    expect(diff).toEqual({ added: diff.expected, expected: ra.historicRows + rb.historicRows, unexpected: 0, lost: 0 });
    expect(await historicDuplicates(h.admin, 'spirit')).toBe(0);
    // The overlap was written once: whichever job came second found those scorecards already present.
    expect(ra.alreadyPresent + rb.alreadyPresent).toBeGreaterThan(0);
  });
});
