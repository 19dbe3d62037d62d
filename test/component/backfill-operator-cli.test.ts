import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackfillRequest } from '../../src/backfill/store.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';
import { harness, writeConfigFile, type Harness } from './backfill-support.js';

// The operator's CLI for when Slack is down (`backfill list | status | cancel`), run as the real binary against
// requests made through BackfillService on the demo data. Expected values come from the requests this file
// made and from the ops database's rows read here with SQL; bad input must change no row at all.

const run = promisify(execFile);

let demo: DemoDatabase;
let h: Harness;
let file: string;
/** In the order they were made: a done rentokil Jan 2026, a denied, a pending to cancel, a running to cancel, a pending. */
let A: BackfillRequest, B: BackfillRequest, C: BackfillRequest, D: BackfillRequest, E: BackfillRequest;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli.ts', 'backfill', ...args], { cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Every row of the requests and the audit log, to prove a refused command changed nothing. */
async function opsRows(): Promise<unknown[]> {
  const requests = await h.opsPool.query(`SELECT * FROM scorecard_bot.backfill_requests ORDER BY id`);
  const audit = await h.opsPool.query(`SELECT * FROM scorecard_bot.backfill_audit ORDER BY id`);
  return [requests.rows, audit.rows];
}

async function sql<T>(text: string, params: unknown[]): Promise<T> {
  return (await h.opsPool.query(text, params)).rows[0] as T;
}

beforeAll(async () => {
  demo = await createDemoDatabase({ seed: 11, scale: 0.002, customers: ['rentokil', 'nclh'], from: '2025-12-01', to: '2026-02-15', clickhouse: false });
  h = await harness(demo, { backfill: { chunkSize: 200 } });
  file = writeConfigFile(demo.config({ backfill: { chunkSize: 200 } }));
  const svc = h.service();
  const who = { requester: 'U_REQ', channel: 'C1', threadTs: null };
  A = await svc.request({ customer: 'rentokil', period: parsePeriod('jan-2026') }, who);
  expect((await svc.approve(A.id, 'U_A', A.planHash!)).ok).toBe(true);
  expect((await svc.run(A.id)).status).toBe('done');
  B = await svc.request({ customer: 'nclh', period: parsePeriod('2026-01-12') }, who);
  expect((await svc.deny(B.id, 'U_B', B.planHash!)).ok).toBe(true);
  C = await svc.request({ customer: 'nclh', period: parsePeriod('2026-01-11') }, who);
  D = await svc.request({ customer: 'nclh', period: parsePeriod('2026-01-13') }, who);
  expect((await svc.approve(D.id, 'U_A', D.planHash!)).ok).toBe(true);
  // A worker has started D (its job is not actually running here): the state a cancel-while-running meets.
  expect(await h.store.start(D.id, 'worker-x', 200)).toMatchObject({ status: 'running' });
  E = await svc.request({ customer: 'rentokil', period: parsePeriod('2025-12-31') }, who);
});

afterAll(async () => {
  await h?.close();
  await demo?.drop();
});

describe('backfill list', () => {
  it('newest first, as JSON, with the rows written from the checkpoints', async () => {
    const out = await cli('list', '--json', '--config', file);
    expect(out.code).toBe(0);
    const list = JSON.parse(out.stdout) as Record<string, unknown>[];
    expect(list.map((r) => r.id)).toEqual([E.id, D.id, C.id, B.id, A.id]);
    const written = await sql<{ n: string }>(`SELECT sum(historic_rows)::text AS n FROM scorecard_bot.backfill_checkpoints WHERE request_id = $1`, [A.id]);
    expect(Number(written.n)).toBeGreaterThan(0);
    expect(list[4]).toMatchObject({ customer: 'rentokil', scope: 'Jan 2026', status: 'done', requester: 'U_REQ', approver: 'U_A', historicRowsWritten: Number(written.n) });
    expect(list[3]).toMatchObject({ customer: 'nclh', status: 'denied', approver: 'U_B', historicRowsWritten: 0, finishedAt: expect.any(String) });
    expect(list[1]).toMatchObject({ status: 'running', approver: 'U_A', finishedAt: null });
  });

  it('a readable table; --status, --customer and --limit filter', async () => {
    const out = await cli('list', '--config', file);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\| id +\| customer +\| scope +\| status +\| requester +\| approver +\| created \(UTC\) +\| finished \(UTC\) +\| historic rows written \|$/);
    expect(lines).toHaveLength(2 + 5);
    const rowA = lines.at(-1)!;
    const written = await sql<{ n: string }>(`SELECT sum(historic_rows)::text AS n FROM scorecard_bot.backfill_checkpoints WHERE request_id = $1`, [A.id]);
    const finished = await sql<{ at: Date }>(`SELECT finished_at AS at FROM scorecard_bot.backfill_requests WHERE id = $1`, [A.id]);
    const minute = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
    expect(rowA.split('|').slice(1, -1).map((c) => c.trim())).toEqual([
      A.id,
      'rentokil',
      'Jan 2026',
      'done',
      'U_REQ',
      'U_A',
      minute(A.createdAt),
      minute(finished.at),
      Number(written.n).toLocaleString('en-US'),
    ]);
    // A request never started has written nothing, shown as a dash rather than a 0 that reads like a result.
    expect(lines[2]!.split('|').slice(1, -1).map((c) => c.trim())).toEqual([E.id, 'rentokil', '2025-12-31', 'pending', 'U_REQ', '–', minute(E.createdAt), '–', '–']);
    const ids = async (...args: string[]) => (JSON.parse((await cli('list', '--json', '--config', file, ...args)).stdout) as { id: string }[]).map((r) => r.id);
    expect(await ids('--status', 'pending')).toEqual([E.id, C.id]);
    expect(await ids('--customer', 'nclh')).toEqual([D.id, C.id, B.id]);
    expect(await ids('--customer', 'nclh', '--status', 'denied')).toEqual([B.id]);
    expect(await ids('--limit', '2')).toEqual([E.id, D.id]);
  });
});

describe('backfill status', () => {
  it('a done request: its plan, chunks done of chunks, the result and its audit trail', async () => {
    const toWrite = Number((await sql<{ n: string }>(`SELECT count(*)::text AS n FROM scorecard_bot.backfill_items WHERE request_id = $1 AND seq IS NOT NULL`, [A.id])).n);
    const chunks = Math.ceil(toWrite / 200);
    const written = Number((await sql<{ n: string }>(`SELECT sum(historic_rows)::text AS n FROM scorecard_bot.backfill_checkpoints WHERE request_id = $1`, [A.id])).n);
    const out = await cli('status', A.id, '--config', file);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`Backfill ${A.id}: rentokil, Jan 2026\n  status: done (`);
    expect(out.stdout).toContain(`  plan: ${toWrite.toLocaleString('en-US')} scorecards to write (missing `);
    // The target names this file's database (its exact wording is the plan's: a URL here, "host/db as user" on main).
    expect(out.stdout).toMatch(new RegExp(`\\n  plan hash: ${A.planHash!.slice(0, 12)}   target: \\S*127\\.0\\.0\\.1:5432/${demo.name}\\b`));
    expect(out.stdout).toContain(`  chunks: ${chunks} of ${chunks} done, ${written.toLocaleString('en-US')} historic rows written`);
    const [, missingSubmitted] = demo.truth.perCustomer.rentokil!.monthly.submitted['2026-01']!;
    expect(out.stdout).toContain(`  result: rentokil, Jan 2026, submitted: ${missingSubmitted.toLocaleString('en-US')} missing → 0`);
    expect(out.stdout).toContain('  approved by U_A at ');
    const trail = out.stdout.slice(out.stdout.indexOf('audit trail:'));
    expect([...trail.matchAll(/\| (U_REQ|bot|U_A|\S+) +\| (\w+) +\|/g)].slice(1).map((m) => m[2])).toEqual(['requested', 'planned', 'approved', 'started', 'done']);

    const json = JSON.parse((await cli('status', A.id, '--json', '--config', file)).stdout);
    const audit = (await h.opsPool.query(`SELECT actor, action FROM scorecard_bot.backfill_audit WHERE request_id = $1 ORDER BY id`, [A.id])).rows;
    expect(json.audit.map((a: { actor: string; action: string }) => ({ actor: a.actor, action: a.action }))).toEqual(audit);
    expect(json).toMatchObject({ id: A.id, status: 'done', decidedBy: 'U_A', plan: { hash: A.planHash }, progress: { toWrite, chunks, chunksDone: chunks, historicRowsWritten: written } });
  });

  it('a pending request: not started, with the scorecards it would write', async () => {
    const toWrite = Number((await sql<{ n: string }>(`SELECT count(*)::text AS n FROM scorecard_bot.backfill_items WHERE request_id = $1 AND seq IS NOT NULL`, [E.id])).n);
    const out = await cli('status', E.id, '--config', file);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('  status: pending (');
    expect(out.stdout).toContain(`  chunks: not started (${toWrite.toLocaleString('en-US')} scorecard${toWrite === 1 ? '' : 's'} to write; the chunk size is fixed when the job starts)`);
    expect(out.stdout).not.toContain('  started ');
  });
});

describe('backfill cancel', () => {
  it('bad input: a clear message and an example, exit 2, and not one row changed', async () => {
    const before = await opsRows();
    const cases: [string[], string[]][] = [
      [['cancel', 'bf-nope', '--as', 'alice'], ['There is no backfill request "bf-nope".', 'Example: scorecard-bot backfill cancel bf-']],
      [['cancel', C.id], ['--as NAME is required', `Example: scorecard-bot backfill cancel bf-`]],
      [['cancel', C.id, '--as', 'al ice'], ['--as "al ice" is not a plain name']],
      [['cancel', '--as', 'alice'], ['Which backfill request? Give its ID.']],
      [['status', 'bf-nope'], ['There is no backfill request "bf-nope".', 'scorecard-bot backfill list']],
      [['list', '--status', 'bogus'], ['"bogus" is not a backfill status.', 'One of: planning, pending, approved, denied, cancelled, expired, running, ', 'Example: scorecard-bot backfill list --status pending']],
      [['list', '--limit', '0'], ['--limit must be a whole number from 1 to 1000, not "0".', 'Example: scorecard-bot backfill list --limit 50']],
      [['list', '--customer', 'acme'], ['I don\'t know a customer called "acme".']],
      [['nope'], ['Unknown backfill command "nope".']],
    ];
    for (const [args, messages] of cases) {
      const out = await cli(...args, '--config', file);
      expect(out.code, args.join(' ')).toBe(2);
      for (const m of messages) expect(out.stderr, args.join(' ')).toContain(m);
      expect(out.stdout, args.join(' ')).toBe('');
    }
    expect(await opsRows()).toEqual(before);
  });

  it('a pending request: cancelled as cli:NAME through the service, recorded in the audit log; again: nothing changes, exit 1', async () => {
    const before = await opsRows();
    const out = await cli('cancel', C.id, '--as', 'alice', '--config', file);
    expect(out).toMatchObject({ code: 0, stdout: `cancelled ${C.id} as cli:alice before its job started: nothing was written.\n` });
    const row = await sql<{ status: string; cancelled_by: string; finished_at: Date | null }>(`SELECT status, cancelled_by, finished_at FROM scorecard_bot.backfill_requests WHERE id = $1`, [C.id]);
    expect(row).toMatchObject({ status: 'cancelled', cancelled_by: 'cli:alice' });
    expect(row.finished_at).not.toBeNull();
    const audit = (await h.opsPool.query(`SELECT actor, action FROM scorecard_bot.backfill_audit WHERE request_id = $1 ORDER BY id`, [C.id])).rows;
    expect(audit).toEqual([
      { actor: 'U_REQ', action: 'requested' },
      { actor: 'bot', action: 'planned' },
      { actor: 'cli:alice', action: 'cancelled' },
    ]);
    // Every other request is as it was.
    const [requestsBefore] = before as [Record<string, unknown>[]];
    const [requestsAfter] = (await opsRows()) as [Record<string, unknown>[]];
    expect(requestsAfter.filter((r) => r.id !== C.id)).toEqual(requestsBefore.filter((r) => r.id !== C.id));

    const settled = await opsRows();
    const again = await cli('cancel', C.id, '--as', 'alice', '--config', file);
    expect(again).toMatchObject({ code: 1, stdout: 'nothing changed: This backfill is already cancelled (by @cli:alice); nothing to cancel.\n' });
    const done = await cli('cancel', A.id, '--as', 'alice', '--json', '--config', file);
    expect(done.code).toBe(1);
    expect(JSON.parse(done.stdout)).toMatchObject({ ok: false, id: A.id, status: 'done', reason: 'not_cancellable', message: 'nothing changed: This backfill is already done (by @U_A); nothing to cancel.' });
    expect(await opsRows()).toEqual(settled);
  });

  it('a running request: cancelled, and the job is told to stop after its current chunk', async () => {
    const out = await cli('cancel', D.id, '--as', 'bob', '--json', '--config', file);
    expect(out.code).toBe(0);
    const row = await sql<{ status: string; cancelled_by: string; finished_at: Date | null }>(`SELECT status, cancelled_by, finished_at FROM scorecard_bot.backfill_requests WHERE id = $1`, [D.id]);
    // A cancel while running leaves the request open for the job to close between chunks: status cancelled with no
    // finished_at here, "cancelling" once main's backfill integrity statuses are merged.
    expect(row.status).toMatch(/^cancell(ed|ing)$/);
    expect(row).toMatchObject({ cancelled_by: 'cli:bob', finished_at: null });
    expect(JSON.parse(out.stdout)).toEqual({
      ok: true,
      id: D.id,
      actor: 'cli:bob',
      status: row.status,
      message: `cancelled ${D.id} as cli:bob: the job stops after its current chunk; what it already wrote stays written.`,
    });
    const audit = (await h.opsPool.query(`SELECT actor, action FROM scorecard_bot.backfill_audit WHERE request_id = $1 ORDER BY id DESC LIMIT 1`, [D.id])).rows;
    expect(audit).toEqual([{ actor: 'cli:bob', action: 'cancelled' }]);

    // The audit trail of everything above is intact.
    const n = Number((await sql<{ n: string }>(`SELECT count(*)::text AS n FROM scorecard_bot.backfill_audit`, [])).n);
    const verify = await cli('audit', 'verify', '--config', file);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`^audit trail intact: ${n} rows, last hash [0-9a-f]{12}…`));
  });
});
