import { describe, expect, it } from 'vitest';
import {
  ACTION,
  decisionRecord,
  failureMessage,
  parseDecisionValue,
  parseRequestId,
  planMessage,
  progressMessage,
  resultLines,
  resultMessage,
} from '../../src/backfill/backfill-blocks.js';
import type { BackfillPlan } from '../../src/backfill/plan.js';
import type { BackfillRequest } from '../../src/backfill/store.js';
import { createUsergroupResolver } from '../../src/slack/usergroups.js';
import { blockKitViolations } from '../support/slack-limits.js';
import { tableBlockRows } from '../support/slack-tables.js';

// The backfill thread's messages, read back field by field. The numbers are rentokil's January 2026 at the demo's
// incident scale (1,165 submitted and 55 unsubmitted missing from historic, 2 submitted missing from ClickHouse:
// the demo data's ground truth), typed out here, not taken from the code under test.

const HASH = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const ID = 'bf-3f0c1f8e-3a52-4d67-9a0e-2b7c4f1d9e01';

const plan: BackfillPlan = {
  scope: { customer: 'rentokil', profile: 'p1', from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', label: 'Jan 2026', clickhouse: true },
  hash: HASH,
  target: 'postgres://writer@db.internal:5432/prod',
  writerConfigured: true,
  toWrite: { scorecards: 1_222, byReason: { missing: 1_220, partial: 0, clickhouse_only: 2 }, historicRows: 16_213, clickhouseRows: 16_241 },
  leftAlone: { calibration: 31, non_original: 12, no_scores: 4, conversation_missing: 3, present: 7_502 },
  before: { historic: { submitted: 1_165, unsubmitted: 55 }, clickhouse: { submitted: 2, unsubmitted: 0 } },
  samples: { missing: ['019bcaf4-4b65-7838-b07d-20640fe7628e', '019bcaf4-0000-7000-8000-000000000001'], present: ['x'] },
  scanned: 8_774,
};

function request(over: Partial<BackfillRequest> = {}): BackfillRequest {
  return {
    id: ID,
    customer: 'rentokil',
    scope: plan.scope,
    requester: 'U0ALICE',
    channel: 'C0INCIDENT',
    threadTs: '1700000000.000001',
    status: 'pending',
    planHash: HASH,
    plan,
    writerAvailable: true,
    chunkSize: null,
    decidedBy: null,
    cancelledBy: null,
    result: null,
    error: null,
    createdAt: new Date('2026-12-02T13:58:00Z'),
    expiresAt: new Date('2026-12-03T13:58:00Z'),
    decidedAt: null,
    startedAt: null,
    finishedAt: null,
    heartbeatAt: null,
    sourceRunId: null,
    writerPinned: null,
    ...over,
  };
}

type Block = { type: string; text?: { text: string }; elements?: Array<{ action_id?: string; value?: string; text?: { text: string } | string }> };
const blocksOf = (m: { blocks: unknown[] }) => m.blocks as Block[];
const buttonsOf = (m: { blocks: unknown[] }) => blocksOf(m).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
const allText = (m: { text: string; blocks: unknown[] }) => JSON.stringify(m.blocks) + m.text;

describe('plan message', () => {
  it('shows the counts, the left-alone table, samples, hash prefix, expiry and three buttons carrying ID + hash', async () => {
    const msg = planMessage(request());
    expect(blockKitViolations(msg)).toEqual([]);
    const text = allText(msg);
    expect(text).toContain('Writes *1,222* of 8,774 scorecards scanned: *16,213* historic rows, up to 16,241 ClickHouse rows.');
    expect(text).toContain('*Missing now* · historic: 1,165 submitted, 55 unsubmitted · ClickHouse: 2 submitted, 0 unsubmitted');
    expect(text).toContain('• 1,220 missing from historic');
    expect(text).toContain('• 2 in historic, missing from ClickHouse');
    const table = blocksOf(msg).find((b) => b.type === 'table');
    const rows = tableBlockRows(table);
    expect(rows[0]).toEqual(['Left alone', 'Scorecards']);
    expect(rows.slice(1).map((r) => r[1])).toEqual(['31', '12', '4', '3', '7,502']);
    expect(rows[1]![0]).toMatch(/^calibration/);
    expect(text).toContain('`019bcaf4-4b65-7838-b07d-20640fe7628e`');
    expect(text).toContain('plan `a1b2c3d4e5f6`');
    expect(text).toContain('expires 13:58 UTC on 2026-12-03');
    expect(text).toContain('requested by <@U0ALICE>');
    const [approve, deny, cancel] = buttonsOf(msg);
    expect([approve?.action_id, deny?.action_id, cancel?.action_id]).toEqual([ACTION.approve, ACTION.deny, ACTION.cancel]);
    expect(parseDecisionValue(approve!.value!)).toEqual({ requestId: ID, planHash: HASH });
    expect(parseDecisionValue(deny!.value!)).toEqual({ requestId: ID, planHash: HASH });
    expect(parseRequestId(cancel!.value!)).toBe(ID);
    await expect(JSON.stringify(msg, null, 2)).toMatchFileSnapshot('__snapshots__/backfill-plan-message.json');
  });

  it('replaces the buttons with a record of who did what, when', () => {
    const approved = planMessage(request({ status: 'approved', decidedBy: 'U0BOB', decidedAt: new Date('2026-12-02T14:03:27Z') }));
    expect(buttonsOf(approved)).toEqual([]);
    expect(allText(approved)).toContain('Approved by <@U0BOB> at 14:03 UTC on 2026-12-02');
    expect(blockKitViolations(approved)).toEqual([]);
    const denied = planMessage(request({ status: 'denied', decidedBy: 'U0BOB', decidedAt: new Date('2026-12-02T14:05:00Z') }));
    expect(buttonsOf(denied)).toEqual([]);
    expect(allText(denied)).toContain('Denied by <@U0BOB> at 14:05 UTC on 2026-12-02. Nothing was written.');
    expect(decisionRecord(request({ status: 'expired' }))).toContain('Expired at 13:58 UTC on 2026-12-03');
    expect(decisionRecord(request({ status: 'cancelled', cancelledBy: 'U0ALICE', finishedAt: new Date('2026-12-02T14:10:00Z') }))).toContain(
      'cancelled by <@U0ALICE> at 14:10 UTC on 2026-12-02',
    );
    expect(decisionRecord(request())).toBeNull();
  });

  it('says when the customer has no writer connection', () => {
    const msg = planMessage(request({ writerAvailable: false, plan: { ...plan, writerConfigured: false, target: null } }));
    expect(allText(msg)).toContain('rentokil has no writer connection configured, so this plan cannot be approved.');
  });

  it('reads back only well-formed button values', () => {
    expect(parseDecisionValue(`${ID} ${HASH.slice(1)}`)).toBeNull();
    expect(parseDecisionValue(`${ID}`)).toBeNull();
    expect(parseDecisionValue(`not-a-request ${HASH}`)).toBeNull();
    expect(parseRequestId('bf-ok-1')).toBe('bf-ok-1');
    expect(parseRequestId('drop table')).toBeNull();
  });
});

describe('progress and result', () => {
  it('progress: chunks done, rows written, rate, ETA and a Cancel button while it runs', () => {
    const msg = progressMessage(request(), {
      phase: 'running',
      progress: { chunksDone: 3, chunks: 13, historicRows: 3_740, clickhouseRows: 3_741, rowsPerSecond: 1_234, etaSeconds: 12 },
    });
    expect(msg.text).toBe('Backfill rentokil, Jan 2026: Running: chunk 3 of 13 · 3,740 historic rows written · 3,741 ClickHouse rows · 1,234 rows/s · about 12.0 s left');
    const [cancel] = buttonsOf(msg);
    expect(cancel?.action_id).toBe(ACTION.cancelRun);
    expect(cancel?.value).toBe(ID);
    expect(blockKitViolations(msg)).toEqual([]);
    // Every chunk written, the verification scan running: no "about 0.0 s left", no ETA at all.
    const verifying = progressMessage(request(), {
      phase: 'running',
      progress: { chunksDone: 13, chunks: 13, historicRows: 16_213, clickhouseRows: 16_241, rowsPerSecond: 1_234, etaSeconds: 0 },
    });
    expect(verifying.text).toBe('Backfill rentokil, Jan 2026: Verifying: chunk 13 of 13 · 16,213 historic rows written · 16,241 ClickHouse rows · 1,234 rows/s · every chunk written; verifying…');
    expect(verifying.text).not.toMatch(/left/);
    const stopping = progressMessage(request(), { phase: 'cancelling', by: 'U0ALICE', progress: null });
    expect(buttonsOf(stopping)).toEqual([]);
    expect(stopping.text).toContain('Cancelled by <@U0ALICE>: stopping after the current chunk');
  });

  it('result: before → after per population and tier', () => {
    const result = {
      status: 'done' as const,
      chunks: 13,
      chunksDone: 13,
      historicRows: 16_213,
      clickhouseRows: 16_241,
      alreadyPresent: 0,
      elapsedMs: 9_000,
      rowsPerSecond: 1_801,
      before: { historic: { submitted: 1_165, unsubmitted: 55 }, clickhouse: { submitted: 2, unsubmitted: 0 } },
      after: { historic: { submitted: 0, unsubmitted: 0 }, clickhouse: { submitted: 0, unsubmitted: 0 } },
    };
    expect(resultLines(request(), result)).toEqual([
      'rentokil, Jan 2026, submitted: 1,165 missing → 0; ClickHouse: 2 → 0',
      'rentokil, Jan 2026, unsubmitted: 55 missing → 0; ClickHouse: 0 → 0',
    ]);
    const msg = resultMessage(request(), result);
    expect(allText(msg)).toContain('Written: 16,213 historic rows, 16,241 ClickHouse rows');
    expect(blockKitViolations(msg)).toEqual([]);
    const stopped = resultMessage(request(), { ...result, status: 'cancelled', chunksDone: 4, before: undefined, after: undefined }, 'U0ALICE');
    expect(allText(stopped)).toContain('cancelled by <@U0ALICE>) after 4 of 13 chunks');
    const failed = resultMessage(request(), {
      ...result,
      status: 'failed',
      chunksDone: 6,
      before: undefined,
      after: undefined,
      failedChunk: 6,
      error: 'chunk 7 of 13 (scorecards 601–700 of the plan) failed after 3 attempt(s): connection refused (ECONNREFUSED)',
    });
    expect(allText(failed)).toContain('*Backfill failed*\\n> chunk 7 of 13 (scorecards 601–700 of the plan) failed after 3 attempt(s)');
    expect(allText(failed)).toContain('A new request plans and writes the remainder');
    expect(failed.text).toBe('Backfill failed: chunk 7 of 13 (scorecards 601–700 of the plan) failed after 3 attempt(s): connection refused (ECONNREFUSED)');
    expect(blockKitViolations(failed)).toEqual([]);
    const crashed = failureMessage(request(), 'the ops database did not answer (connection refused)');
    expect(crashed.text).toBe('Backfill failed: the ops database did not answer (connection refused)');
    expect(allText(crashed)).toContain('a new request plans and writes the remainder');
    expect(progressMessage(request(), { phase: 'failed', error: 'x < y' }).text).toBe('Backfill rentokil, Jan 2026: Failed: x &lt; y');
    expect(buttonsOf(progressMessage(request(), { phase: 'failed', error: 'x' }))).toEqual([]);
    const noCh = resultLines(request(), { ...result, before: { ...result.before, clickhouse: null }, after: { ...result.after, clickhouse: null } });
    expect(noCh[0]).toBe('rentokil, Jan 2026, submitted: 1,165 missing → 0');
  });
});

describe('approver user groups', () => {
  it('resolves membership with usergroups.users.list, cached for a minute', async () => {
    let calls = 0;
    let t = 0;
    const members: Record<string, string[]> = { S0APPROVERS: ['U0GRACE'], S0OTHER: ['U0BOB'] };
    const api = {
      usergroups: {
        users: {
          list: async ({ usergroup }: { usergroup: string }) => {
            calls++;
            return { ok: true, users: members[usergroup] ?? [] };
          },
        },
      },
    };
    const r = createUsergroupResolver(api, { ttlMs: 60_000, now: () => t });
    expect(await r.groupsOf('U0GRACE', ['S0APPROVERS'])).toEqual(['S0APPROVERS']);
    expect(await r.groupsOf('U0CAROL', ['S0APPROVERS'])).toEqual([]);
    expect(calls).toBe(1);
    members.S0APPROVERS = ['U0CAROL'];
    t = 59_000;
    expect(await r.groupsOf('U0CAROL', ['S0APPROVERS'])).toEqual([]);
    t = 60_001;
    expect(await r.groupsOf('U0CAROL', ['S0APPROVERS'])).toEqual(['S0APPROVERS']);
    expect(calls).toBe(2);
  });
});
