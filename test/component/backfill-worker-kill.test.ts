import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillQueue, enqueueBackfill } from '../../src/backfill/processor.js';
import type { Config } from '../../src/config/schema.js';
import { runGap } from '../../src/gap/gap-service.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { createDemoDatabase, deleteRedisKeys, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { until } from '../support/job-helpers.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { harness, historicDiff, itemIds, snapshotHistoric, writeConfigFile, type Harness } from './backfill-support.js';

// Issue 9: a real `scorecard-bot worker` process SIGKILLed in the middle of a backfill job. BullMQ hands the stalled
// job to a second worker process, which resumes after the last checkpoint. The end state is compared table-wide
// with what was there before: historic gains exactly one row per director score of the planned scorecards and
// loses nothing; ClickHouse holds every planned (scorecard, criterion) once; the gap scan finds nothing missing.

const CHANNEL = 'C0BFKILL';
const PERIOD = '2026-01-20..2026-01-22';
const CHUNK = 10;

let demo: DemoDatabase;
let h: Harness;
let slack: SlackEmulator;
let config: Config;
const prefix = `sgb-bfkill-${Math.random().toString(36).slice(2, 8)}`;
const children: ChildProcess[] = [];

beforeAll(async () => {
  demo = await createDemoDatabase({ seed: 23, scale: 0.002, customers: ['spirit'], from: '2026-01-01', to: '2026-02-01' });
  slack = await startSlackEmulator();
  const extra = {
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'bfkill-secret', port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [] },
    redis: { url: REDIS_URL, prefix },
    // Small chunks and a row-rate cap: the job takes long enough to be killed in the middle.
    backfill: { chunkSize: CHUNK, maxRowsPerSecond: 1000, chunkAttempts: 3 },
  };
  h = await harness(demo, extra);
  config = h.config;
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h?.close();
  await slack?.close();
  await demo?.drop();
  await deleteRedisKeys(`${prefix}*`);
});

function workerProcess(file: string): ChildProcess {
  // node itself (not npx): the pid we SIGKILL is the worker.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker', '--config', file], {
    env: { ...process.env, SCORECARD_BOT_LOCK_MS: '5000', SCORECARD_BOT_STALLED_MS: '2000' },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess): Promise<unknown> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));

/** Every planned scorecard's director (scorecard, criterion) pairs, from the source of truth (not the code under test). */
async function directorPairs(ids: string[]): Promise<Set<string>> {
  const { rows } = await h.admin.query<{ s: string; c: string | null }>(
    `SELECT DISTINCT s.scorecard_id AS s, s.criterion_id AS c FROM director.scores s
     JOIN director.scorecards d ON d.customer = s.customer AND d.profile = s.profile AND d.resource_id = s.scorecard_id
     WHERE d.resource_id = ANY($1::text[])`,
    [ids],
  );
  return new Set(rows.map((r) => `${r.s}|${r.c ?? ''}`));
}

async function clickhouseCommand(query: string): Promise<void> {
  const ch = createClient({ url: demo.clickhouseUrl });
  try {
    await ch.command({ query });
  } finally {
    await ch.close();
  }
}

async function clickhouseWhole(): Promise<{ rows: number; distinct: number }> {
  const ch = createClient({ url: demo.clickhouseUrl });
  try {
    const rs = await ch.query({
      query: `SELECT count() AS rows, uniqExact(customer_id, profile_id, scorecard_id, criterion_id) AS distinct FROM ${demo.clickhouseDatabase}.scorecard_scores`,
      format: 'JSONEachRow',
    });
    const [r] = (await rs.json()) as { rows: string; distinct: string }[];
    return { rows: Number(r!.rows), distinct: Number(r!.distinct) };
  } finally {
    await ch.close();
  }
}

async function clickhousePairs(ids: string[]): Promise<{ pairs: Set<string>; rows: number }> {
  const ch = createClient({ url: demo.clickhouseUrl });
  try {
    const rs = await ch.query({
      query: `SELECT scorecard_id AS s, ifNull(toString(criterion_id), '') AS c FROM ${demo.clickhouseDatabase}.scorecard_scores WHERE scorecard_id IN {ids:Array(String)}`,
      query_params: { ids },
      format: 'JSONEachRow',
    });
    const rows = (await rs.json()) as { s: string; c: string }[];
    return { pairs: new Set(rows.map((r) => `${r.s}|${r.c}`)), rows: rows.length };
  } finally {
    await ch.close();
  }
}

const gapDeps = () => ({ sources: h.ctx.sources, clickhouse: h.ctx.clickhouse, settings: { ...config.gap, historyMonths: 1 }, logger: h.ctx.logger });

describe('a backfill worker process SIGKILLed mid-run', () => {
  it('is resumed by a second worker process; historic gains exactly the planned scores, ClickHouse has no duplicate, the gap is closed', async () => {
    const period = parsePeriod(PERIOD);
    const gapBefore = await runGap(gapDeps(), 'spirit', period);
    const missingBefore = gapBefore.populations.submitted.missing + gapBefore.populations.unsubmitted.missing;
    expect(missingBefore).toBeGreaterThan(0);

    const svc = h.service({ chunkBackoffMs: 50 });
    const r = await svc.request({ customer: 'spirit', period }, { requester: 'U_REQ', channel: CHANNEL, threadTs: null });
    expect((await svc.approve(r.id, 'U_APP', r.planHash!)).ok).toBe(true);
    const planned = await itemIds(h.opsPool, r.id, ['missing', 'partial', 'clickhouse_only']);
    const historicPlanned = await itemIds(h.opsPool, r.id, ['missing', 'partial']);
    const expectedPairs = await directorPairs(planned);
    const { rows: dirRows } = await h.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM director.scores s JOIN director.scorecards d ON d.customer = s.customer AND d.profile = s.profile AND d.resource_id = s.scorecard_id
       WHERE d.resource_id = ANY($1::text[])`,
      [historicPlanned],
    );
    const expectedHistoric = dirRows[0]!.n;
    const chunks = Math.ceil(planned.length / CHUNK);
    // Enough work that a kill lands in the middle: several thousand rows, many chunks.
    expect(expectedHistoric).toBeGreaterThan(3000);
    expect(chunks).toBeGreaterThan(10);

    await snapshotHistoric(h.admin, 'wk_before');
    // Each chunk is one INSERT statement into historic: a statement trigger logs when each one committed, so the
    // chunks written after the kill can be counted independently of the checkpoints (whose insert is idempotent).
    await h.admin.query(`CREATE TABLE public.bfk_inserts (at timestamptz NOT NULL);
      CREATE FUNCTION public.bfk_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.bfk_inserts VALUES (clock_timestamp()); RETURN NULL; END $$;
      CREATE TRIGGER bfk_trg AFTER INSERT ON historic.scorecard_scores FOR EACH STATEMENT EXECUTE FUNCTION public.bfk_log();`);
    // No background merge during the test: a duplicate written by the resume would otherwise be collapsed unseen.
    await clickhouseCommand(`SYSTEM STOP MERGES ${demo.clickhouseDatabase}.scorecard_scores`);
    const chBefore = await clickhouseWhole();
    const chPlannedBefore = await clickhousePairs(planned);

    const file = writeConfigFile({ ...config, logLevel: 'silent' });
    const first = workerProcess(file);
    const firstPid = first.pid;
    const queue = backfillQueue({ connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix });
    try {
      await enqueueBackfill(queue, r.id);
      await until(async () => ((await h.store.checkpoints(r.id)).length >= 2 ? true : null), 120_000, 'the first worker checkpointed two chunks');
      expect(await h.store.status(r.id)).toBe('running');
      first.kill('SIGKILL');
      await exited(first);
      const killedAt = (await h.admin.query<{ t: Date }>(`SELECT clock_timestamp() AS t`)).rows[0]!.t;
      const before = await h.store.checkpoints(r.id);
      expect(before.length).toBeLessThan(chunks); // killed in the middle, not after the end

      const secondPid = workerProcess(file).pid;
      await until(async () => {
        const s = await h.store.status(r.id);
        return s === 'done' || s === 'done_with_remainder' || s === 'failed' ? s : null;
      }, 240_000, 'the request ended');
      const req = await h.store.get(r.id);
      expect(req?.status, JSON.stringify(req?.error)).toBe('done');

      // BullMQ handed the stalled job over: the second worker started it again (two `started`), and the job
      // counts a stall; the chunks checkpointed before the kill were not redone.
      const job = await queue.getJob(r.id);
      expect({ stalledCounter: job?.stalledCounter, attemptsStarted: job?.attemptsStarted, finished: await job?.getState() }).toEqual({ stalledCounter: 1, attemptsStarted: 2, finished: 'completed' });
      // ...and the audit log names the two worker processes, the killed one first.
      const starts = (await h.store.audit(r.id)).filter((a) => a.action === 'started').map((a) => a.actor);
      expect(starts).toEqual([`${hostname()}:${firstPid}`, `${hostname()}:${secondPid}`]);
      const after = await h.store.checkpoints(r.id);
      expect(after.map((c) => c.chunk)).toEqual([...Array(chunks).keys()]);
      const { rows: early } = await h.opsPool.query(
        `SELECT chunk FROM scorecard_bot.backfill_checkpoints WHERE request_id = $1 AND committed_at < $2 ORDER BY chunk`,
        [r.id, killedAt],
      );
      expect(early.map((x) => x.chunk)).toEqual(before.map((c) => c.chunk));
      // The second worker wrote exactly the chunks not checkpointed before the kill (those with historic rows to
      // write), each once; a chunk the first worker committed without checkpointing is among them (writing nothing).
      const { rows: toDo } = await h.opsPool.query<{ n: number }>(
        `SELECT count(DISTINCT seq / $2)::int AS n FROM scorecard_bot.backfill_items
         WHERE request_id = $1 AND reason <> 'clickhouse_only' AND NOT (seq / $2 = ANY($3::int[]))`,
        [r.id, CHUNK, before.map((c) => c.chunk)],
      );
      const { rows: inserts } = await h.admin.query<{ after: number }>(`SELECT count(*) FILTER (WHERE at > $1)::int AS after FROM public.bfk_inserts`, [killedAt]);
      expect(inserts[0]!.after).toBe(toDo[0]!.n);

      // Historic, whole table: before plus exactly one row per director score of the planned scorecards.
      const diff = await historicDiff(h.admin, 'wk_before', historicPlanned);
      expect(diff).toEqual({ added: expectedHistoric, expected: expectedHistoric, unexpected: 0, lost: 0 });

      // ClickHouse, whole table: no (scorecard, criterion) twice more than before, and every planned pair present.
      const chAfter = await clickhouseWhole();
      expect(chAfter.rows - chAfter.distinct).toBe(chBefore.rows - chBefore.distinct);
      const ch = await clickhousePairs(planned);
      expect([...expectedPairs].filter((p) => !ch.pairs.has(p))).toEqual([]);
      expect(ch.rows).toBe(ch.pairs.size);
      expect([...ch.pairs].sort()).toEqual([...new Set([...chPlannedBefore.pairs, ...expectedPairs])].sort());
      expect(chAfter.distinct - chBefore.distinct).toBe(ch.pairs.size - chPlannedBefore.pairs.size);

      // The gap for the scope is closed.
      const gapAfter = await runGap(gapDeps(), 'spirit', period);
      expect(gapAfter.populations.submitted).toMatchObject({ missing: 0, clickhouseMissing: 0 });
      expect(gapAfter.populations.unsubmitted).toMatchObject({ missing: 0, clickhouseMissing: 0 });
    } finally {
      await queue.close();
      await h.admin.query(`DROP TRIGGER IF EXISTS bfk_trg ON historic.scorecard_scores`);
      await clickhouseCommand(`SYSTEM START MERGES ${demo.clickhouseDatabase}.scorecard_scores`);
    }
  }, 420_000);
});
