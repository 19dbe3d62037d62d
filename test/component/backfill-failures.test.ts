import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueBackfill, backfillQueue, startBackfillWorker } from '../../src/backfill/processor.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, deleteRedisKeys, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { harness, historicDiff, historicDuplicates, itemIds, snapshotHistoric, writeConfigFile, type Harness } from './backfill-support.js';

// Failures: a chunk whose database connection dies mid-insert is rolled back and retried; a chunk that keeps
// failing fails the request (naming the chunk) and a new request does the remainder; a job SIGKILLed mid-run is
// resumed from its checkpoint by another process; and the BullMQ worker runs an approved request.

let demo: DemoDatabase;
let h: Harness;

beforeAll(async () => {
  demo = await createDemoDatabase({ seed: 7, scale: 0.002 });
  h = await harness(demo, { backfill: { chunkSize: 100, chunkAttempts: 3 } });
  await h.admin.query(`CREATE SEQUENCE IF NOT EXISTS public.bf_fault`);
});

afterAll(async () => {
  await h?.close();
  await demo?.drop();
});

/** A statement-level trigger on historic that misbehaves on the inserts the sequence picks (sequences ignore rollback). */
async function installFault(body: string): Promise<void> {
  await h.admin.query(`ALTER SEQUENCE public.bf_fault RESTART WITH 1;
    CREATE OR REPLACE FUNCTION public.bf_fault_fn() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE n bigint := nextval('public.bf_fault'); BEGIN ${body} RETURN NULL; END $$;
    DROP TRIGGER IF EXISTS bf_fault_trg ON historic.scorecard_scores;
    CREATE TRIGGER bf_fault_trg AFTER INSERT ON historic.scorecard_scores FOR EACH STATEMENT EXECUTE FUNCTION public.bf_fault_fn();`);
}
const removeFault = () => h.admin.query(`DROP TRIGGER IF EXISTS bf_fault_trg ON historic.scorecard_scores`);
const faultCount = async () => Number((await h.admin.query(`SELECT last_value FROM public.bf_fault`)).rows[0].last_value);

async function approved(customer: string, period: string) {
  const svc = h.service({ chunkBackoffMs: 50 });
  const r = await svc.request({ customer, period: parsePeriod(period) }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
  expect((await svc.approve(r.id, 'U_APP', r.planHash!)).ok).toBe(true);
  return { svc, r };
}

describe('backfill failures', () => {
  it('the connection dying in the middle of a chunk rolls that chunk back, and the retry writes it once', async () => {
    await snapshotHistoric(h.admin, 'f1_before');
    // The second chunk's insert kills its own backend after inserting: the transaction cannot commit.
    await installFault(`IF n = 2 THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF;`);
    const { svc, r } = await approved('rentokil', '2026-01-01..2026-01-20');
    const result = await svc.run(r.id);
    await removeFault();
    expect(result.status).toBe('done');
    expect(await faultCount()).toBe(result.chunks + 1); // one insert more than chunks: the retried one
    expect(result.alreadyPresent).toBe(0); // nothing of the killed attempt survived to be "already present"
    const diff = await historicDiff(h.admin, 'f1_before', await itemIds(h.opsPool, r.id, ['missing', 'partial']));
    expect(diff).toEqual({ added: diff.expected, expected: result.historicRows, unexpected: 0, lost: 0 });
    expect(await historicDuplicates(h.admin, 'rentokil')).toBe(0);
  });

  it('a chunk failing on every attempt fails the request naming the chunk; a new request resumes the remainder', async () => {
    await snapshotHistoric(h.admin, 'f2_before');
    await installFault(`IF n >= 3 THEN RAISE EXCEPTION 'injected: disk full'; END IF;`);
    const { svc, r } = await approved('rentokil', '2026-01-21..2026-01-31');
    const result = await svc.run(r.id);
    expect(result.status).toBe('failed');
    expect(result.failedChunk).toBe(2);
    expect(result.error).toMatch(new RegExp(`^chunk 3 of ${result.chunks} \\(scorecards 201–300 of the plan\\) failed after 3 attempt\\(s\\): rentokil's database refused the write \\(SQLSTATE P0001; its message is in the bot log\\)$`));
    // The database's own words are not shown to people (they go to the log).
    expect(result.error).not.toContain('injected');
    const failed = await h.store.get(r.id);
    expect(failed).toMatchObject({ status: 'failed', error: result.error });
    expect((await h.store.checkpoints(r.id)).map((c) => c.chunk)).toEqual([0, 1]);
    // Exactly the two committed chunks' scorecards are in historic, every score once; the failed chunk left nothing.
    const { rows: firstTwo } = await h.opsPool.query(`SELECT scorecard_id FROM scorecard_bot.backfill_items WHERE request_id = $1 AND seq < 200 AND reason <> 'clickhouse_only'`, [r.id]);
    const partial = await historicDiff(h.admin, 'f2_before', firstTwo.map((x) => x.scorecard_id));
    expect(partial).toEqual({ added: partial.expected, expected: result.historicRows, unexpected: 0, lost: 0 });

    await removeFault();
    const again = await approved('rentokil', '2026-01-21..2026-01-31');
    expect(again.r.plan!.toWrite.byReason.missing).toBe(r.plan!.toWrite.byReason.missing - firstTwo.length);
    const rest = await again.svc.run(again.r.id);
    expect(rest.status).toBe('done');
    const all = await historicDiff(h.admin, 'f2_before', await itemIds(h.opsPool, r.id, ['missing', 'partial']));
    expect(all).toEqual({ added: all.expected, expected: result.historicRows + rest.historicRows, unexpected: 0, lost: 0 });
  });

  it('a job SIGKILLed mid-run is resumed from its last checkpoint by another process, and ends exact', async () => {
    await snapshotHistoric(h.admin, 'f3_before');
    const slow = await harness(demo, { backfill: { chunkSize: 20, maxRowsPerSecond: 2000 } }, false);
    const svc = slow.service({ chunkBackoffMs: 50 });
    const r = await svc.request({ customer: 'spirit', period: parsePeriod('jan-2026') }, { requester: 'U_REQ', channel: 'C1', threadTs: null });
    expect((await svc.approve(r.id, 'U_APP', r.planHash!)).ok).toBe(true);
    const file = writeConfigFile(slow.config);
    const child = spawn('npx', ['tsx', 'src/cli.ts', 'backfill', 'run', '--request', r.id, '--config', file], { stdio: 'ignore', detached: true });
    const deadline = Date.now() + 90_000;
    while ((await h.store.checkpoints(r.id)).length < 3) {
      if (Date.now() > deadline) throw new Error('the child never checkpointed 3 chunks');
      await new Promise((res) => setTimeout(res, 200));
    }
    process.kill(-child.pid!, 'SIGKILL'); // the whole process group: npx, tsx and node
    await new Promise((res) => setTimeout(res, 500));
    const before = await h.store.checkpoints(r.id);
    expect(await h.store.status(r.id)).toBe('running');
    const chunks = Math.ceil((await h.store.writeCount(r.id)) / 20);
    expect(before.length).toBeLessThan(chunks);

    const resumedAt = new Date();
    const fast = await harness(demo, { backfill: { chunkSize: 500 } }, false); // a config change must not re-cut the chunks
    const result = await fast.service({ workerId: 'worker-2' }).run(r.id);
    expect(result.status).toBe('done');
    expect(result.chunks).toBe(chunks);
    const after = await h.store.checkpoints(r.id);
    expect(after.map((c) => c.chunk)).toEqual([...Array(chunks).keys()]);
    const { rows } = await h.opsPool.query(`SELECT chunk FROM scorecard_bot.backfill_checkpoints WHERE request_id = $1 AND committed_at < $2 ORDER BY chunk`, [r.id, resumedAt]);
    expect(rows.map((x) => x.chunk)).toEqual(before.map((c) => c.chunk)); // the committed chunks were not redone
    const diff = await historicDiff(h.admin, 'f3_before', await itemIds(h.opsPool, r.id, ['missing', 'partial']));
    expect(diff).toEqual({ added: diff.expected, expected: diff.expected, unexpected: 0, lost: 0 });
    // A chunk the child committed but had not checkpointed when it died is written again on resume: that writes
    // nothing and counts its scorecards as already present.
    const checkpointed = after.reduce((a, c) => a + c.historicRows, 0);
    expect(checkpointed).toBeLessThanOrEqual(diff.expected);
    if (checkpointed < diff.expected) expect(after.reduce((a, c) => a + c.alreadyPresent, 0)).toBeGreaterThan(0);
    expect(await historicDuplicates(h.admin, 'spirit')).toBe(0);
    expect((await h.store.audit(r.id)).filter((a) => a.action === 'started').map((a) => a.actor)).toEqual([expect.stringMatching(/^cli-/), 'worker-2']);
    await slow.close();
    await fast.close();
  });

  it('the BullMQ worker runs an approved request from its queue', async () => {
    const prefix = `sgb-bf-${Math.random().toString(36).slice(2, 8)}`;
    const { svc, r } = await approved('nclh', 'jan-2026');
    const settings = { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix };
    const queue = backfillQueue(settings);
    const finished = new Promise<string>((resolve) => {
      const worker = startBackfillWorker(svc, settings, createLogger({ level: 'silent' }), {
        onFinished: (id, res) => void worker.close().then(() => resolve(`${id}:${res.status}`)),
      });
    });
    await enqueueBackfill(queue, r.id);
    await enqueueBackfill(queue, r.id); // same jobId: one job
    expect(await finished).toBe(`${r.id}:done`);
    expect((await h.store.get(r.id))?.status).toBe('done');
    await queue.close();
    await deleteRedisKeys(`${prefix}*`);
  });
});
