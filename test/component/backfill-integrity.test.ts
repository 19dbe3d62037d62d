import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultMessage } from '../../src/backfill/backfill-blocks.js';
import type { BackfillProgress } from '../../src/backfill/job.js';
import { BackfillService } from '../../src/backfill/service.js';
import { checkScorecard } from '../../src/check/check-service.js';
import type { Config } from '../../src/config/schema.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { ConnectionUrlResolver } from '../../src/sources/connection-url.js';
import { createDemoDatabase, createEmptyDatabase, type DemoDatabase } from '../support/demo-database.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { harness, historicDiff, historicDuplicates, itemIds, snapshotHistoric, type Harness } from './backfill-support.js';

// The approval binds what is written, and where (issue 18). Each test plants a change the plan did not see and
// checks the databases themselves: what historic gained, and what it did not.

let demo: DemoDatabase;
let h: Harness;

beforeAll(async () => {
  demo = await createDemoDatabase({ seed: 11, scale: 0.002, customers: ['rentokil', 'nclh', 'guitar-center', 'spirit'] });
  h = await harness(demo, { backfill: { chunkSize: 25, chunkAttempts: 2 } });
});

afterAll(async () => {
  await h?.close();
  await demo?.drop();
});

function serviceFor(config: Config, opts: { chunkBackoffMs?: number } = {}): BackfillService {
  const gap = { sources: h.ctx.sources, clickhouse: h.ctx.clickhouse, settings: config.gap, logger: h.ctx.logger };
  return new BackfillService({ store: h.store, config, gap, resolver: new ConnectionUrlResolver(), ...opts });
}

const withWriter = (config: Config, url: string): Config => ({ ...config, customers: config.customers.map((c) => ({ ...c, writer: { url } })) });

async function planApproved(customer: string, period: string, svc = h.service({ chunkBackoffMs: 50 })) {
  const r = await svc.request({ customer, period: parsePeriod(period) }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
  expect((await svc.approve(r.id, 'U_APP', r.planHash!)).ok).toBe(true);
  return { svc, r };
}

/** Two planned 'missing' scorecards with at least two scores each, in plan order. */
async function twoPlanned(requestId: string): Promise<[string, string]> {
  const { rows } = await h.opsPool.query<{ scorecard_id: string }>(
    `SELECT scorecard_id FROM scorecard_bot.backfill_items WHERE request_id = $1 AND reason = 'missing' AND scores >= 2 ORDER BY seq LIMIT 2`,
    [requestId],
  );
  expect(rows).toHaveLength(2);
  return [rows[0]!.scorecard_id, rows[1]!.scorecard_id];
}

describe('the approved plan is what executes', () => {
  it('a score added to one planned scorecard and a value changed on another after approval: both left alone, named, and nothing unapproved written', async () => {
    await snapshotHistoric(h.admin, 'drift_before');
    const { svc, r } = await planApproved('rentokil', '2026-01-10..2026-01-14');
    const [added, changed] = await twoPlanned(r.id);
    await h.admin.query(
      `INSERT INTO director.scores (customer, profile, resource_id, scorecard_id, criterion_id, numeric_value, created_at)
       SELECT customer, profile, resource_id || '-late', scorecard_id, 'criterion-added-after-approval', 0.5, now()
       FROM director.scores WHERE scorecard_id = $1 LIMIT 1`,
      [added],
    );
    await h.admin.query(
      `UPDATE director.scores SET numeric_value = coalesce(numeric_value, 0) + 1
       WHERE resource_id = (SELECT min(resource_id) FROM director.scores WHERE scorecard_id = $1)`,
      [changed],
    );
    const result = await svc.run(r.id);
    expect(result.status).toBe('done_with_remainder');
    expect(result.changedSinceApproval?.count).toBe(2);
    expect([...(result.changedSinceApproval?.samples ?? [])].sort()).toEqual([added, changed].sort());
    // Historic gained exactly the director scores of the other planned scorecards, none of the two changed ones.
    const planned = (await itemIds(h.opsPool, r.id, ['missing', 'partial'])).filter((id) => id !== added && id !== changed);
    const diff = await historicDiff(h.admin, 'drift_before', planned);
    expect(diff).toEqual({ added: diff.expected, expected: result.historicRows, unexpected: 0, lost: 0 });
    const { rows } = await h.admin.query(`SELECT count(*)::int AS n FROM historic.scorecard_scores WHERE scorecard_id = ANY($1::text[])`, [[added, changed]]);
    expect(rows[0].n).toBe(0);
    const text = JSON.stringify(resultMessage(r, result));
    expect(text).toContain('2 scorecards changed since approval: left alone; request again to include them');
    expect(text).toContain(added);
    // A new request plans them, with what they hold now.
    const again = await planApproved('rentokil', '2026-01-10..2026-01-14');
    expect((await itemIds(h.opsPool, again.r.id, ['missing'])).sort()).toEqual([added, changed].sort());
    const rest = await again.svc.run(again.r.id);
    expect(rest.status).toBe('done');
    const all = await historicDiff(h.admin, 'drift_before', [...planned, added, changed]);
    expect(all).toEqual({ added: all.expected, expected: result.historicRows + rest.historicRows, unexpected: 0, lost: 0 });
  });

  it('a writer that points elsewhere after approval writes nothing and says so; a rotated password alone is no change', async () => {
    const other = await createEmptyDatabase('sgb_other');
    try {
      const { r } = await planApproved('nclh', 'jan-2026');
      const a = new URL(demo.adminUrl).pathname.slice(1);
      const moved = serviceFor(withWriter(h.config, other.url));
      const refused = await moved.run(r.id);
      expect(refused.status).toBe('failed');
      expect(refused.error).toBe(`target changed since approval: approved 127.0.0.1:5432/${a} as postgres; ClickHouse ${new URL(demo.clickhouseUrl).origin} ${h.config.clickhouse!.database}.scorecard_scores, configured 127.0.0.1:5432/${other.name} as postgres; ClickHouse ${new URL(demo.clickhouseUrl).origin} ${h.config.clickhouse!.database}.scorecard_scores; request again`);
      expect(await h.store.get(r.id)).toMatchObject({ status: 'failed', error: refused.error });
      expect(refused.historicRows).toBe(0);

      const rotated = new URL(demo.adminUrl);
      rotated.password = 'rotated-secret';
      const again = await planApproved('nclh', 'jan-2026', serviceFor(withWriter(h.config, rotated.toString()), { chunkBackoffMs: 50 }));
      // Trust auth takes any password: the same server, database and user, so the approval still holds.
      const ok = await serviceFor(withWriter(h.config, demo.adminUrl)).run(again.r.id);
      expect(ok.status).toBe('done');
      expect(ok.historicRows).toBe(again.r.plan!.toWrite.historicRows);
    } finally {
      await other.drop();
    }
  });
});

describe('criteria are compared as sets', () => {
  it('director {c2, c3} against historic {c1, c2} is partial in the plan and the check, and the job writes c3', async () => {
    await snapshotHistoric(h.admin, 'sets_before');
    const probe = await h.service().dryRun({ customer: 'guitar-center', period: parsePeriod('jan-2026') });
    expect(probe.toWrite.byReason.missing).toBeGreaterThan(0);
    const { rows: cand } = await h.admin.query<{ scorecard_id: string; n: number }>(
      `SELECT s.scorecard_id, count(*)::int AS n FROM director.scores s
       WHERE s.scorecard_id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM historic.scorecard_scores h WHERE h.scorecard_id = s.scorecard_id)
       GROUP BY s.scorecard_id HAVING count(*) >= 2 ORDER BY s.scorecard_id LIMIT 1`,
      [probe.samples.missing],
    );
    const id = cand[0]!.scorecard_id;
    const scores = cand[0]!.n;
    // Historic gets every criterion but the last (by ID), plus one the scorecard does not have: equal counts.
    await h.admin.query(
      `INSERT INTO historic.scorecard_scores (customer_id, profile_id, scorecard_id, criterion_id, conversation_id, template_id, score, scorecard_created_at, scorecard_submitted_at)
       SELECT s.customer, s.profile, d.resource_id, x.criterion_id, d.conversation_id, d.template_id, 1, d.created_at, d.submitted_at
       FROM director.scorecards d JOIN director.scores s ON s.scorecard_id = d.resource_id AND s.customer = d.customer
       CROSS JOIN LATERAL (SELECT CASE WHEN s.criterion_id = (SELECT max(criterion_id) FROM director.scores WHERE scorecard_id = d.resource_id)
                                       THEN 'criterion-only-in-historic' ELSE s.criterion_id END AS criterion_id) x
       WHERE d.resource_id = $1`,
      [id],
    );
    await snapshotHistoric(h.admin, 'sets_planted');
    const { svc, r } = await planApproved('guitar-center', 'jan-2026');
    const { rows: item } = await h.opsPool.query(`SELECT reason FROM scorecard_bot.backfill_items WHERE request_id = $1 AND scorecard_id = $2`, [r.id, id]);
    expect(item[0]?.reason).toBe('partial');
    const check = await checkScorecard({ sources: h.ctx.sources, clickhouse: h.ctx.clickhouse, timeoutMs: 10_000, logger: h.ctx.logger }, { id, customer: 'guitar-center' });
    expect(check.verdict).toBe('partial_historic');
    const result = await svc.run(r.id);
    expect(result.status).toBe('done');
    const { rows: after } = await h.admin.query<{ criterion_id: string }>(
      `SELECT criterion_id FROM historic.scorecard_scores WHERE scorecard_id = $1 EXCEPT ALL SELECT criterion_id FROM bf_test.sets_planted WHERE scorecard_id = $1`,
      [id],
    );
    const { rows: last } = await h.admin.query(`SELECT max(criterion_id) AS c FROM director.scores WHERE scorecard_id = $1`, [id]);
    expect(after.map((x) => x.criterion_id)).toEqual([last[0].c]);
    expect(scores).toBeGreaterThanOrEqual(2);
  });

  it('a NULL criterion is a criterion: missing until historic has a NULL-criterion row, then present', async () => {
    const probe = await h.service().dryRun({ customer: 'spirit', period: parsePeriod('jan-2026') });
    const id = probe.samples.missing![0]!;
    // Write it whole, then give director one more score with no criterion.
    const { svc, r } = await planApproved('spirit', 'jan-2026');
    expect((await svc.run(r.id)).status).toBe('done');
    await h.admin.query(
      `INSERT INTO director.scores (customer, profile, resource_id, scorecard_id, criterion_id, numeric_value, created_at)
       SELECT customer, profile, resource_id || '-null', scorecard_id, NULL, NULL, now() FROM director.scores WHERE scorecard_id = $1 LIMIT 1`,
      [id],
    );
    const missing = await h.service().dryRun({ customer: 'spirit', period: parsePeriod('jan-2026') });
    expect(missing.samples.partial).toContain(id);
    expect(missing.toWrite.historicRows).toBe(1);
    const again = await planApproved('spirit', 'jan-2026');
    expect((await again.svc.run(again.r.id)).historicRows).toBe(1);
    const present = await h.service().dryRun({ customer: 'spirit', period: parsePeriod('jan-2026') });
    expect(present.toWrite.scorecards).toBe(0);
    expect(await historicDuplicates(h.admin, 'spirit')).toBe(0);
  });
});

describe('outages are waited out', () => {
  it('the writer unreachable for 5 s mid-run: the job waits, says what it waits for, and finishes exact', async () => {
    const url = new URL(demo.adminUrl);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    try {
      await snapshotHistoric(h.admin, 'outage_before');
      const cfg = { ...withWriter(h.config, proxy.url(demo.adminUrl)), backfill: { ...h.config.backfill, chunkSize: 10, maxRowsPerSecond: 2000 } };
      const svc = serviceFor(cfg, { chunkBackoffMs: 200 });
      const { r } = await planApproved('rentokil', '2026-01-20..2026-01-24', svc);
      expect(r.plan!.toWrite.scorecards).toBeGreaterThan(40);
      const seen: BackfillProgress[] = [];
      let cut = false;
      const result = await svc.run(r.id, (p) => {
        seen.push(p);
        if (!cut && p.chunksDone >= 2) {
          cut = true;
          proxy.dropAll();
          void proxy.refuseFor(5_000);
        }
      });
      expect(cut).toBe(true);
      expect(result.status).toBe('done');
      expect(seen.some((p) => p.waiting?.what === "rentokil's database")).toBe(true);
      const diff = await historicDiff(h.admin, 'outage_before', await itemIds(h.opsPool, r.id, ['missing', 'partial']));
      expect(diff).toEqual({ added: diff.expected, expected: result.historicRows, unexpected: 0, lost: 0 });
      expect(await historicDuplicates(h.admin, 'rentokil')).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('an outage longer than backfill.retryBudget fails the request, naming the chunk and how long it waited', async () => {
    const url = new URL(demo.adminUrl);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    try {
      const cfg = { ...withWriter(h.config, proxy.url(demo.adminUrl)), backfill: { ...h.config.backfill, chunkSize: 10, retryBudget: '3s', maxRowsPerSecond: 400 } };
      const svc = serviceFor(cfg, { chunkBackoffMs: 200 });
      const { r } = await planApproved('rentokil', '2026-01-01..2026-01-09', svc);
      expect(r.plan!.toWrite.scorecards).toBeGreaterThan(30);
      let cut = false;
      const result = await svc.run(r.id, (p) => {
        if (!cut && p.chunksDone >= 1) {
          cut = true;
          proxy.dropAll();
          void proxy.refuseFor(20_000);
        }
      });
      expect(cut).toBe(true);
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(/^chunk \d+ of \d+ \(scorecards \d+–\d+ of the plan\) failed after \d+ attempt\(s\) over [34] s: Cannot reach rentokil's database: nothing is listening at 127\.0\.0\.1:\d+ \(connection refused\)/);
      expect((await h.store.get(r.id))?.status).toBe('failed');
    } finally {
      await proxy.close();
    }
  });
});

describe('cancel', () => {
  it('a cancel that arrives after the last chunk is recorded, and the result says the job finished first', async () => {
    const { svc, r } = await planApproved('spirit', 'dec-2025');
    expect(r.plan!.toWrite.scorecards).toBeGreaterThan(0);
    let cancel: Promise<unknown> | null = null;
    const result = await svc.run(r.id, (p) => {
      if (p.chunksDone === p.chunks && !cancel) cancel = svc.cancel(r.id, 'U_REQ');
    });
    await cancel;
    expect(result.status).toBe('done');
    expect(result.finishedBeforeCancelBy).toBe('U_REQ');
    const final = await h.store.get(r.id);
    expect(final).toMatchObject({ status: 'done', cancelledBy: 'U_REQ' });
    expect(final?.finishedAt).not.toBeNull();
    expect(JSON.stringify(resultMessage(r, result))).toContain('finished before the cancel by U_REQ took effect');
    expect((await h.store.audit(r.id)).map((a) => a.action).slice(-2)).toEqual(['cancelled', 'done']);
  });

  it('works while planning: final at once, with its finish time', async () => {
    const scope = { customer: 'nclh', profile: h.config.customers[0]!.profile, from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', label: 'Jan 2026', clickhouse: true };
    const req = await h.store.create({ id: `bf-planning-${Date.now()}`, scope, requester: 'U_REQ', channel: 'C1', threadTs: null, expiresAt: new Date(Date.now() + 3600_000) });
    const d = await h.service().cancel(req.id, 'U_REQ');
    expect(d).toMatchObject({ ok: true, request: { status: 'cancelled', cancelledBy: 'U_REQ' } });
    expect((await h.store.get(req.id))?.finishedAt).not.toBeNull();
    expect(await h.store.openFor('C1', scope)).toBeNull();
  });
});

describe('caps', () => {
  it('backfill.maxScorecards: a plan over the cap is refused, with a shorter period to try, and nothing can be approved', async () => {
    const cfg = { ...h.config, backfill: { ...h.config.backfill, maxScorecards: 20 } };
    const svc = serviceFor(cfg);
    const err = (await svc.request({ customer: 'rentokil', period: parsePeriod('2025-12-01..2026-01-31') }, { requester: 'U_CAP', channel: 'C1', threadTs: null }).catch((e: unknown) => e)) as {
      code: string;
      userMessage: string;
      hint: string;
    };
    expect(err.code).toBe('BAD_INPUT');
    expect(err.userMessage).toMatch(/^This backfill would write more than 20 scorecards \(backfill\.maxScorecards\), counting from 2025-12-01 to \d{4}-\d\d-\d\d\.$/);
    expect(err.hint).toMatch(/Backfill a shorter period, e\.g\. 2025-12-01\.\.\d{4}-\d\d-\d\d, then the rest\.|Backfill one day at a time\./);
    const { rows } = await h.opsPool.query(`SELECT status, error FROM scorecard_bot.backfill_requests WHERE requester = 'U_CAP'`);
    expect(rows).toEqual([{ status: 'failed', error: err.userMessage }]);
  });

  it('backfill.maxOpenPerUser: a person at the cap is refused before anything is stored; others are not affected', async () => {
    const cfg = { ...h.config, backfill: { ...h.config.backfill, maxOpenPerUser: 1 } };
    const svc = serviceFor(cfg);
    const first = await svc.createRequest({ customer: 'spirit', period: parsePeriod('2025-12-01..2025-12-03') }, { requester: 'U_ONE', channel: 'C1', threadTs: null });
    const count = async () => Number((await h.opsPool.query(`SELECT count(*) AS n FROM scorecard_bot.backfill_requests`)).rows[0].n);
    const before = await count();
    const refused = (await svc.createRequest({ customer: 'spirit', period: parsePeriod('2025-12-04..2025-12-05') }, { requester: 'U_ONE', channel: 'C1', threadTs: null }).catch((e: unknown) => e)) as { code: string; userMessage: string; hint: string };
    expect(refused).toMatchObject({ code: 'TOO_MANY_RUNS', userMessage: 'You already have 1 open backfill request, so I did not plan another.' });
    expect(refused.hint).toContain('backfill.maxOpenPerUser');
    expect(await count()).toBe(before);
    const other = await svc.createRequest({ customer: 'spirit', period: parsePeriod('2025-12-04..2025-12-05') }, { requester: 'U_TWO', channel: 'C1', threadTs: null });
    expect(other.status).toBe('planning');
    // Once the first is no longer open, the person may ask again.
    await svc.cancel(first.id, 'U_ONE');
    expect((await svc.createRequest({ customer: 'spirit', period: parsePeriod('2025-12-06') }, { requester: 'U_ONE', channel: 'C1', threadTs: null })).status).toBe('planning');
  });
});
