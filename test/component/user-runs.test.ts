import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RunState } from '../../src/gap/jobs/run-state.js';
import { UserRuns } from '../../src/gap/jobs/user-runs.js';
import { deleteRedisKeys, REDIS_URL } from '../support/demo-database.js';

// The per-person limit on real Redis: a slot is freed by release, by the run's end (its claim is gone) even when
// nobody released it, and by age; so a lost release can never lock a person out.

const prefix = `sgb-test-userruns-${randomUUID().slice(0, 8)}`;
const redis = new Redis(REDIS_URL);
const state = new RunState(redis, prefix);

afterAll(async () => {
  redis.disconnect();
  await deleteRedisKeys(`${prefix}*`);
});

async function startRun(runs: UserRuns, user: string, subject: string): Promise<{ ok: boolean; runId: string }> {
  const runId = randomUUID();
  const ok = await runs.acquire(user, runId, subject, 2);
  if (ok) await state.claim(subject, { runId, channel: 'C1', rootTs: '1.1' });
  return { ok, runId };
}

describe('UserRuns', () => {
  it('allows two runs in flight, refuses the third, and frees a slot on release', async () => {
    const runs = new UserRuns(redis, prefix, state, { graceMs: 0 });
    const a = await startRun(runs, 'U1', 'acme|a');
    const b = await startRun(runs, 'U1', 'acme|b');
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect((await startRun(runs, 'U1', 'acme|c')).ok).toBe(false);
    expect((await startRun(runs, 'U2', 'acme|c')).ok).toBe(true);
    await runs.release('U1', a.runId, 'acme|a');
    expect((await startRun(runs, 'U1', 'acme|d')).ok).toBe(true);
  });

  it('frees the slot of a run that ended without releasing it (its claim is gone)', async () => {
    const runs = new UserRuns(redis, prefix, state, { graceMs: 0 });
    const a = await startRun(runs, 'U3', 'acme|e');
    await startRun(runs, 'U3', 'acme|f');
    expect((await startRun(runs, 'U3', 'acme|g')).ok).toBe(false);
    await state.release('acme|e', a.runId); // the run finished; the slot was never released
    expect(await runs.inFlight('U3')).toBe(1);
    expect((await startRun(runs, 'U3', 'acme|g')).ok).toBe(true);
  });

  it('never frees a young slot whose run has not claimed yet, and frees any slot after maxAgeMs', async () => {
    let now = 1_000_000;
    const runs = new UserRuns(redis, prefix, state, { graceMs: 5000, maxAgeMs: 60_000, now: () => now });
    expect(await runs.acquire('U4', 'r1', 'acme|h', 1)).toBe(true);
    // No claim yet (the run is between taking the slot and claiming): still counted.
    expect(await runs.acquire('U4', 'r2', 'acme|i', 1)).toBe(false);
    now += 10_000; // past the grace, still no claim: the run never started
    expect(await runs.acquire('U4', 'r2', 'acme|i', 1)).toBe(true);
    await state.claim('acme|i', { runId: 'r2', channel: 'C1', rootTs: '1.1' });
    now += 61_000; // a claim that outlives maxAgeMs no longer holds a slot
    expect(await runs.acquire('U4', 'r3', 'acme|j', 1)).toBe(true);
  });
});
