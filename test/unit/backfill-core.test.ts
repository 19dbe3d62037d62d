import { describe, expect, it } from 'vitest';
import { chunkCount, chunkRange, rateDelayMs, remainingChunks, backoffMs } from '../../src/backfill/chunking.js';
import { explainRefusal } from '../../src/backfill/decide.js';
import { clickhouseRow } from '../../src/backfill/mapping.js';
import { classify, type ScannedScorecard } from '../../src/backfill/plan.js';
import { createPlanHasher } from '../../src/backfill/plan-hash.js';
import type { BackfillScope } from '../../src/backfill/scope.js';
import { expiresAfterMs } from '../../src/backfill/service.js';
import { postgresIdentityOfUrl, targetChange } from '../../src/backfill/writer-identity.js';
import { canTransition, STATUSES, STATUS_MEANING, TERMINAL, TRANSITIONS } from '../../src/backfill/status.js';
import type { BackfillRequest } from '../../src/backfill/store.js';
import { createHash } from 'node:crypto';

const scope: BackfillScope = { customer: 'rentokil', profile: 'p', from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', label: 'Jan 2026', clickhouse: true };

describe('plan hash', () => {
  it('is SHA-256 over the scope, the bound writer and each ID with its digest in plan order, computed incrementally', () => {
    const h = createPlanHasher(scope);
    h.add('b', '2026-01-01T00:00:00.000001Z', 'd1');
    h.add('a', '2026-01-01T00:00:00.000002Z', 'd2');
    const expected = createHash('sha256')
      .update(JSON.stringify({ customer: 'rentokil', profile: 'p', from: scope.from, to: scope.to, scorecardId: null, clickhouse: true }) + '\nnone\nb d1\na d2')
      .digest('hex');
    expect(h.digest()).toBe(expected);
  });

  it('differs when the scope, the set, a digest or the writer differs, and refuses IDs out of order', () => {
    const writerA = { postgres: postgresIdentityOfUrl('postgres://w:secret@db-a.internal:5432/acme'), clickhouse: null };
    const one = (s: BackfillScope, ids: string[], digest = 'd', writer: typeof writerA | null = null) => {
      const h = createPlanHasher(s, writer);
      ids.forEach((id) => h.add(id, '2026-01-02T00:00:00.000000Z', digest));
      return h.digest();
    };
    expect(one(scope, ['a', 'b'])).not.toBe(one(scope, ['a', 'c']));
    expect(one(scope, ['a', 'b'])).not.toBe(one({ ...scope, clickhouse: false }, ['a', 'b']));
    expect(one(scope, ['a', 'b'], 'd')).not.toBe(one(scope, ['a', 'b'], 'e'));
    expect(one(scope, ['a', 'b'], 'd', writerA)).not.toBe(one(scope, ['a', 'b'], 'd', { ...writerA, postgres: postgresIdentityOfUrl('postgres://w@db-b.internal:5432/acme') }));
    // Rotating the password is not a new target.
    expect(one(scope, ['a'], 'd', writerA)).toBe(one(scope, ['a'], 'd', { ...writerA, postgres: postgresIdentityOfUrl('postgres://w:rotated@db-a.internal:5432/acme') }));
    const h = createPlanHasher(scope);
    h.add('b', '2026-01-02T00:00:00.000000Z', 'd');
    expect(() => h.add('a', '2026-01-02T00:00:00.000000Z', 'd')).toThrow(/out of order/);
  });
});

describe('writer identity', () => {
  it('binds host, port, database and user, never the password, and says what changed', () => {
    const a = { postgres: postgresIdentityOfUrl('postgres://writer:p@ss:w0rd@db-a.internal/acme'), clickhouse: null };
    expect(a.postgres).toEqual({ kind: 'url', host: 'db-a.internal', port: 5432, database: 'acme', user: 'writer' });
    expect(targetChange(a, { postgres: postgresIdentityOfUrl('postgres://writer:new@db-a.internal:5432/acme'), clickhouse: null })).toBeNull();
    const moved = targetChange(a, { postgres: postgresIdentityOfUrl('postgres://writer:p@db-b.internal/acme'), clickhouse: null });
    expect(moved).toBe('target changed since approval: approved db-a.internal:5432/acme as writer, configured db-b.internal:5432/acme as writer; request again');
    expect(moved).not.toMatch(/w0rd|p@ss/);
    expect(targetChange(a, null)).toMatch(/configured no writer/);
  });
});

describe('chunking', () => {
  it('cuts the write sequence into ranges and lists what a resumed job still has to do', () => {
    expect(chunkCount(1222, 500)).toBe(3);
    expect(chunkRange(2, 1222, 500)).toEqual({ chunk: 2, fromSeq: 1000, toSeq: 1222 });
    expect(remainingChunks(1222, 100, [0, 1, 2, 4])).toEqual([3, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(chunkCount(0, 500)).toBe(0);
    expect(() => chunkCount(10, 0)).toThrow();
  });

  it('waits just long enough to keep the average under the cap, and backs off exponentially', () => {
    expect(rateDelayMs(10_000, 1_000, undefined)).toBe(0);
    expect(rateDelayMs(10_000, 1_000, 5_000)).toBe(1_000);
    expect(rateDelayMs(1_000, 1_000, 5_000)).toBe(0);
    expect([1, 2, 3].map((a) => backoffMs(a, 100))).toEqual([100, 200, 400]);
  });
});

describe('statuses', () => {
  it('every status has a meaning; terminal statuses have no way out', () => {
    for (const s of STATUSES) expect(STATUS_MEANING[s]).toBeTruthy();
    for (const t of Object.values(TRANSITIONS)) for (const from of t.from) expect(TERMINAL.has(from)).toBe(false);
  });

  it('allows exactly the arrows of the diagram', () => {
    expect(canTransition('approve', 'pending', 'approved')).toBe(true);
    expect(canTransition('approve', 'approved', 'approved')).toBe(false);
    expect(canTransition('approve', 'expired', 'approved')).toBe(false);
    expect(canTransition('cancel', 'running', 'cancelling')).toBe(true);
    expect(canTransition('cancel', 'planning', 'cancelled')).toBe(true);
    expect(canTransition('stop', 'cancelling', 'cancelled')).toBe(true);
    expect(canTransition('finish', 'cancelling', 'done')).toBe(true); // the cancel came after the last chunk
    expect(canTransition('lose', 'planning', 'lost')).toBe(true);
    expect(canTransition('cancel', 'done', 'cancelled')).toBe(false);
    expect(canTransition('start', 'running', 'running')).toBe(true); // resume after a crash
    expect(canTransition('finish', 'running', 'done_with_remainder')).toBe(true);
    expect(canTransition('finish', 'approved', 'done')).toBe(false);
  });
});

describe('classify', () => {
  const base: ScannedScorecard = { id: 'x', createdAt: '', submitted: true, excluded: null, scores: 5, missingScores: 5, historicAny: false, chat: true };
  it('names why each scorecard is written or left alone', () => {
    expect(classify(base, true)).toBe('missing');
    expect(classify({ ...base, excluded: 'calibration' }, null)).toBe('calibration');
    expect(classify({ ...base, excluded: 'non_original' }, null)).toBe('non_original');
    expect(classify({ ...base, scores: 0, missingScores: 0 }, null)).toBe('no_scores');
    expect(classify({ ...base, chat: false }, null)).toBe('conversation_missing');
    expect(classify({ ...base, historicAny: true, missingScores: 3 }, true)).toBe('partial');
    expect(classify({ ...base, historicAny: true, missingScores: 0 }, true)).toBe('present');
    expect(classify({ ...base, historicAny: true, missingScores: 0 }, false)).toBe('clickhouse_only');
    expect(classify({ ...base, historicAny: true, missingScores: 0 }, null)).toBe('present');
  });

  it('compares criteria as sets: director {c2, c3} against historic {c1, c2} is partial, not present', () => {
    // Two scores, two historic rows: equal counts, but c3 has no historic row (missingScores counts it).
    expect(classify({ ...base, scores: 2, historicAny: true, missingScores: 1 }, null)).toBe('partial');
  });
});

describe('refusals', () => {
  const now = new Date('2026-02-01T12:00:00Z');
  const req = (over: Partial<BackfillRequest>): BackfillRequest =>
    ({
      id: 'bf-1', customer: 'rentokil', scope, requester: 'U_REQ', channel: 'C1', threadTs: null, status: 'pending', planHash: 'a'.repeat(64),
      plan: null, writerAvailable: true, chunkSize: null, decidedBy: null, cancelledBy: null, result: null, error: null,
      createdAt: now, expiresAt: new Date(now.getTime() + 3600_000), decidedAt: null, startedAt: null, finishedAt: null, ...over,
    }) as BackfillRequest;
  it('explains each way a click can change nothing', () => {
    const click = { action: 'approve' as const, actor: 'U_A', planHash: 'a'.repeat(64) };
    expect(explainRefusal(null, click, now).reason).toBe('not_found');
    expect(explainRefusal(req({ status: 'approved', decidedBy: 'U_B' }), click, now)).toMatchObject({ reason: 'already_decided', message: expect.stringContaining('<@U_B>') });
    expect(explainRefusal(req({ expiresAt: new Date(now.getTime() - 1) }), click, now).reason).toBe('expired');
    expect(explainRefusal(req({ status: 'expired' }), click, now).reason).toBe('expired');
    expect(explainRefusal(req({}), { ...click, planHash: 'b'.repeat(64) }, now)).toMatchObject({ reason: 'stale_plan', message: expect.stringContaining('bbbbbbbbbbbb') });
    expect(explainRefusal(req({}), { ...click, actor: 'U_REQ' }, now).reason).toBe('self_approval');
    expect(explainRefusal(req({ writerAvailable: false }), click, now)).toMatchObject({ reason: 'no_writer', message: expect.stringContaining('no writer connection') });
    expect(explainRefusal(req({ status: 'done' }), { action: 'cancel', actor: 'U_A' }, now).reason).toBe('not_cancellable');
  });

  it('reads expiresAfter durations', () => {
    expect(expiresAfterMs('24h')).toBe(86_400_000);
    expect(expiresAfterMs('90m')).toBe(5_400_000);
    expect(expiresAfterMs('2d')).toBe(172_800_000);
  });
});

describe('mapping', () => {
  it('maps a historic row to ClickHouse with written_at as the version column', () => {
    expect(
      clickhouseRow({
        customer_id: 'rentokil', profile_id: 'p', scorecard_id: 's', criterion_id: 'c', score: null,
        scorecard_created_at: new Date('2026-01-17T07:56:06.373Z'), scorecard_submitted_at: null, written_at: new Date('2026-02-01T00:00:00.001Z'),
      }),
    ).toEqual({
      customer_id: 'rentokil', profile_id: 'p', scorecard_id: 's', criterion_id: 'c', score: null,
      scorecard_created_at: '2026-01-17 07:56:06.373', scorecard_submitted_at: null, updated_at: '2026-02-01 00:00:00.001',
    });
  });
});

describe('plan text', () => {
  it('shows counts, the left-alone table, samples, the hash prefix, and the writer target without its password', async () => {
    const { renderPlanText } = await import('../../src/backfill/render-plan.js');
    const { planTarget } = await import('../../src/backfill/service.js');
    const customer = (writer?: { url: string }) => ({ name: 'rentokil', profile: 'p', postgres: { url: 'postgres://ro@db/x' }, ...(writer ? { writer } : {}) });
    const config = (writer?: { url: string }) => ({ customers: [customer(writer)], clickhouse: { url: 'http://ch:8123', database: 'conversations', table: 'scorecard_scores' } }) as never;
    const { target } = planTarget({ config: config({ url: 'postgres://bot_rw:s3cret@db:5432/rentokil' }) }, scope);
    expect(target).toBe('db:5432/rentokil as bot_rw; ClickHouse http://ch:8123 conversations.scorecard_scores');
    expect(planTarget({ config: config() }, scope).target).toBeNull();
    const text = renderPlanText(
      {
        scope, hash: 'c0ffee'.repeat(10) + 'abcd', target, writerConfigured: true, scanned: 8872,
        toWrite: { scorecards: 1222, byReason: { missing: 1220, partial: 0, clickhouse_only: 2 }, historicRows: 26192, clickhouseRows: 26220 },
        leftAlone: { calibration: 41, non_original: 31, no_scores: 0, conversation_missing: 0, present: 7578 },
        before: { historic: { submitted: 1165, unsubmitted: 55 }, clickhouse: { submitted: 2, unsubmitted: 0 } },
        samples: { missing: ['019bcaf4-4b65-7838-b07d-20640fe7628e'] },
      },
      { dryRun: true },
    );
    expect(text).toContain('Backfill plan: rentokil, Jan 2026 (dry run: nothing was written)');
    expect(text).toContain('target: db:5432/rentokil as bot_rw; ClickHouse http://ch:8123 conversations.scorecard_scores');
    expect(text).not.toContain('s3cret');
    expect(text).toContain('plan hash: c0ffeec0ffee');
    expect(text).toContain('scorecards to write: 1,222 of 8,872 scanned');
    expect(text).toContain('historic rows to write: 26,192');
    expect(text).toContain('missing now: historic 1,165 submitted, 55 unsubmitted; ClickHouse 2 submitted, 0 unsubmitted');
    expect(text).toMatch(/41 {2}calibration scorecard/);
    expect(text).toContain('missing: 019bcaf4-4b65-7838-b07d-20640fe7628e');
  });
});

describe('progress', () => {
  it('reaches the callback at most once a second, and always for the last chunk', async () => {
    const { throttleProgress } = await import('../../src/backfill/job.js');
    let t = 0;
    const seen: number[] = [];
    const p = throttleProgress((x) => seen.push(x.chunksDone), () => t);
    const at = (ms: number, chunksDone: number, final = false) => {
      t = ms;
      p({ chunksDone, chunks: 6, historicRows: 0, clickhouseRows: 0, rowsPerSecond: 0, etaSeconds: null }, final);
    };
    at(0, 1);
    at(300, 2);
    at(999, 3);
    at(1000, 4);
    at(1500, 5);
    at(1600, 6, true);
    expect(seen).toEqual([1, 4, 6]);
  });
});
