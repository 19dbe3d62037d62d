import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { retryBudgetMs } from '../../src/gap/core/gap-flow.js';
import { GENERIC_FAILURE, logDetail, toJobError, userFacingJobError } from '../../src/gap/jobs/job-error.js';
import { ProgressReporter } from '../../src/gap/jobs/progress-reporter.js';
import { decide } from '../../src/gap/jobs/reconciler.js';
import { BotError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { rootMessage } from '../../src/gap/views/root-message.js';

describe('job errors', () => {
  it('carry our user message and hint through BullMQ, and nothing else', () => {
    const err = toJobError(new BotError('QUERY_TIMEOUT', 'A query on acme hit the statement timeout.', { hint: 'Try a shorter period.', logMessage: 'canceling statement due to statement timeout' }));
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect(userFacingJobError({ message: err.message })).toEqual({ code: 'QUERY_TIMEOUT', cause: 'timeout', message: 'A query on acme hit the statement timeout.', hint: 'Try a shorter period.', ours: true });
    expect(toJobError(new BotError('BAD_INPUT', 'No.'))).toBeInstanceOf(UnrecoverableError);
  });

  it('show a generic line for raw text from BullMQ, zod or Slack', () => {
    const raw = [
      'Missing lock for job 42. moveToFinished',
      '[{"code":"invalid_type","expected":"string","path":["meta","runId"]}]',
      'An API error occurred: not_in_channel',
      'connect ECONNREFUSED postgres://ro:s3cret@db:5432/acme',
      'scorecard-bot-error:{not json',
    ];
    for (const message of raw) expect(userFacingJobError({ message })).toMatchObject({ message: GENERIC_FAILURE, ours: false });
    expect(toJobError(new Error('boom: postgres://ro:s3cret@db/acme')).message).not.toContain('s3cret');
  });

  it('log one masked line: code and message, no password', () => {
    const detail = logDetail(new BotError('SOURCE_UNAVAILABLE', 'Cannot reach the database of acme.', { cause: new Error('connect to postgres://ro:s3cret@db/acme failed') }));
    expect(detail.code).toBe('SOURCE_UNAVAILABLE');
    expect(JSON.stringify(detail)).not.toContain('s3cret');
  });
});

describe('retry budget', () => {
  it('is the sum of the exponential backoffs between tries', () => {
    expect(retryBudgetMs({ attempts: 5, backoffMs: 5_000 })).toBe(75_000);
    expect(retryBudgetMs({ attempts: 3, backoffMs: 1_000 })).toBe(3_000); // the old setting: a 5 s outage failed runs
    expect(retryBudgetMs({ attempts: 1, backoffMs: 5_000 })).toBe(0);
  });
});

describe('reconciler decisions', () => {
  const limits = { graceMs: 60_000, maxRunMs: 6 * 3600_000 };
  it('ends a run whose jobs are gone, after the grace period only', () => {
    expect(decide({ state: 'missing' }, 10_000, limits)).toEqual({ action: 'none' });
    expect(decide({ state: 'missing' }, 120_000, limits)).toEqual({ action: 'end', reason: 'the job queue was reset', showLost: true });
  });
  it('keeps a live run alive (heartbeat) until it has run too long', () => {
    expect(decide({ state: 'live' }, 3600_000, limits)).toEqual({ action: 'heartbeat' });
    expect(decide({ state: 'live' }, 7 * 3600_000, limits)).toMatchObject({ action: 'end', showLost: true });
  });
  it('records a completed run whose end was not recorded, quietly', () => {
    expect(decide({ state: 'completed', verdict: 'gap' }, 120_000, limits)).toEqual({ action: 'record-done', verdict: 'gap' });
  });
});

describe('root message states of the lifecycle', () => {
  it('says what a retry waits for, that a run was resumed, and that a run was lost', () => {
    const running = rootMessage({ status: 'running', customer: 'acme', periodLabel: 'Jan 2026', windowsDone: 10, windowsTotal: 31, resumed: true, waiting: 'the database of acme, retry 2 of 4' });
    expect(running.text).toBe('Investigating acme, Jan 2026… 10/31 windows (resumed after a worker restart; waiting for the database of acme, retry 2 of 4)');
    const lost = rootMessage({ status: 'lost', customer: 'acme', periodLabel: 'Jan 2026', reason: 'the job queue was reset' });
    expect(lost.text).toBe('Investigating acme, Jan 2026 was lost: the job queue was reset; run it again.');
  });
});

describe('progress reporter', () => {
  it('coalesces: many requests, few edits, the last one wins; never blocks the caller', async () => {
    const sent: number[] = [];
    const reporter = new ProgressReporter(createLogger({ level: 'silent' }), 200);
    const slow = (n: number) => ({ render: async () => ({ send: () => new Promise<void>((r) => setTimeout(() => (sent.push(n), r()), 50)) }) });
    const started = Date.now();
    for (let i = 1; i <= 100; i++) reporter.request('run-1', slow(i));
    expect(Date.now() - started).toBeLessThan(50);
    await new Promise((r) => setTimeout(r, 600));
    expect(sent.length).toBeLessThanOrEqual(2);
    expect(sent.at(-1)).toBe(100);
    reporter.close();
  });
});
