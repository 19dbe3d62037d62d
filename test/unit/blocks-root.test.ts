import { describe, expect, it } from 'vitest';
import { assertWithinSlackLimits, ephemeralUsage, errorMessage, progressBar, rootMessage } from '../../src/gap/views/gap-blocks.js';
import { noGapReport, rentokilReport } from './fixtures/gap-report-fixture.js';
import { blockKitViolations } from '../support/slack-limits.js';
import { assertCountCells } from '../support/slack-tables.js';

const section = (msg: { blocks: unknown[] }, i = 0): string => (msg.blocks[i] as { text: { text: string } }).text.text;

describe('root message', () => {
  it('shows progress while running', () => {
    const msg = rootMessage({ status: 'running', customer: 'rentokil', periodLabel: 'Jan 2026', windowsDone: 12, windowsTotal: 31, requestedBy: 'U0ALICE' });
    expect(msg.text).toBe('Investigating rentokil, Jan 2026… 12/31 windows');
    expect(section(msg)).toBe(':mag: Investigating *rentokil*, Jan 2026… 12/31 windows\n`████████░░░░░░░░░░░░` 38%');
    expect(JSON.stringify(msg.blocks[1])).toContain('Requested by <@U0ALICE>');
    assertWithinSlackLimits(msg);
  });

  it('counts customers done out of the total in an all run', () => {
    const msg = rootMessage({ status: 'running', customer: 'all 300 customers', periodLabel: 'Mar 2026', windowsDone: 120, windowsTotal: 368, customers: { done: 298, total: 300 }, requestedBy: 'U0ALICE' });
    expect(msg.text).toBe('Investigating all 300 customers, Mar 2026… 298/300 customers, 120/368 windows');
    assertWithinSlackLimits(msg);
  });

  it('says when it is looking back before the months scanned, instead of sitting at 100%', () => {
    const msg = rootMessage({ status: 'running', customer: 'spirit', periodLabel: 'Jan 2026', windowsDone: 184, windowsTotal: 184, lookback: 'looking back before the months scanned: 2025-07, 12/31 windows' });
    expect(msg.text).toBe('Investigating spirit, Jan 2026… 184/184 windows (looking back before the months scanned: 2025-07, 12/31 windows)');
    expect(section(msg)).toContain('(looking back before the months scanned: 2025-07, 12/31 windows)');
    assertWithinSlackLimits(msg);
  });

  it.each([
    [0, 184],
    [3, 184],
    [170, 184],
    [184, 184],
    [12, 31],
    [199, 200],
  ])('progress %i/%i: the counts, the percentage and the bar agree with the numbers', (done, total) => {
    const msg = rootMessage({ status: 'running', customer: 'rentokil', periodLabel: 'Jan 2026', windowsDone: done, windowsTotal: total });
    const m = /… ([\d,]+)\/([\d,]+) windows\n`([█░]+)` (\d+)%$/.exec(section(msg));
    expect(m, section(msg)).not.toBeNull();
    expect([Number(m![1]!.replaceAll(',', '')), Number(m![2]!.replaceAll(',', ''))]).toEqual([done, total]);
    const pct = Number(m![4]);
    // Whole percent, never rounded up to 100% before the last window.
    expect(pct).toBeLessThanOrEqual((100 * done) / total);
    expect(pct).toBeGreaterThan((100 * done) / total - 1);
    expect(m![3]!.length).toBe(20);
    expect(Math.abs([...m![3]!].filter((c) => c === '█').length - (20 * done) / total)).toBeLessThanOrEqual(0.5);
  });

  it("the finished root states the fixture's numbers", () => {
    const report = rentokilReport();
    const done = rootMessage({ status: 'done', report, requestedBy: 'U0ALICE' });
    const sum = (p: 'submitted' | 'unsubmitted') =>
      report.daily.reduce((a, d) => ({ total: a.total + d[p].total, missing: a.missing + d[p].missing }), { total: 0, missing: 0 });
    const m = /([\d,]+) of ([\d,]+) submitted \(([^)]+)\) and ([\d,]+) of ([\d,]+) unsubmitted \(([^)]+)\)/.exec(section(done));
    expect(m, section(done)).not.toBeNull();
    assertCountCells([m![2], m![1], m![3]], sum('submitted').total, sum('submitted').missing, 'submitted');
    assertCountCells([m![5], m![4], m![6]], sum('unsubmitted').total, sum('unsubmitted').missing, 'unsubmitted');
    expect([m![2], m![1], m![3]]).toEqual(['3,637', '1,165', '32.0%']);
    expect(JSON.stringify(done.blocks[1])).toContain(`${report.stats.windows} windows, ${report.stats.queries} queries`);
  });

  it('draws a fixed-width progress bar', () => {
    expect(progressBar(0, 31)).toBe('░'.repeat(20));
    expect(progressBar(31, 31)).toBe('█'.repeat(20));
    expect(progressBar(40, 31)).toBe('█'.repeat(20));
    expect(progressBar(0, 0)).toBe('░'.repeat(20));
    expect(progressBar(1, 2, 10)).toBe('█████░░░░░');
  });

  it('says queued, done and failed', () => {
    const queued = rootMessage({ status: 'queued', customer: 'rentokil', periodLabel: 'Jan 2026', ahead: 2 });
    expect(queued.text).toBe('Investigating rentokil, Jan 2026… queued (2 investigations ahead)');
    const done = rootMessage({ status: 'done', report: rentokilReport(), requestedBy: 'U0ALICE' });
    expect(section(done)).toMatch(/^:red_circle: rentokil, Jan 2026: 1,165 of 3,637 submitted \(32\.0%\)/);
    expect(JSON.stringify(done.blocks[1])).toContain('31 windows, 186 queries in 48.3 s');
    expect(section(rootMessage({ status: 'done', report: noGapReport() }))).toMatch(/^:large_green_circle: guitar-center, Jan 2026: no gap/);
    const failed = rootMessage({ status: 'failed', customer: 'rentokil', periodLabel: 'Jan 2026', message: 'statement timeout', hint: 'Try a shorter period.', window: '2026-01-12' });
    expect(failed.text).toBe('Investigating rentokil, Jan 2026 failed: statement timeout');
    expect(section(failed)).toBe(':x: Investigating *rentokil*, Jan 2026 failed (window 2026-01-12): statement timeout');
    for (const m of [queued, done, failed]) assertWithinSlackLimits(m);
    expect([queued, done, failed]).toMatchSnapshot();
  });
});

describe("Slack's published limits", () => {
  it('hold for every root state, a huge error and the usage reply', () => {
    const long = 'x'.repeat(10_000);
    const messages = [
      rootMessage({ status: 'queued', customer: 'c'.repeat(500), periodLabel: 'Jan 2026', ahead: 3, requestedBy: 'U0ALICE' }),
      rootMessage({ status: 'running', customer: 'rentokil', periodLabel: 'Jan 2026', windowsDone: 5, windowsTotal: 9 }),
      rootMessage({ status: 'done', report: rentokilReport() }),
      rootMessage({ status: 'failed', customer: 'rentokil', periodLabel: 'Jan 2026', message: long, hint: long, window: long }),
      errorMessage({ customer: 'rentokil', window: long, message: long, hint: long }),
      ephemeralUsage({ message: long, userMessage: long, hint: long }),
    ];
    for (const m of messages) expect(blockKitViolations(m)).toEqual([]);
  });
});

describe('error messages', () => {
  it('reports a failed window with a hint', () => {
    const msg = errorMessage({ customer: 'rentokil', window: { from: '2026-01-12T00:00:00.000Z', to: '2026-01-13T00:00:00.000Z' }, message: 'canceling statement due to statement timeout', hint: 'Try a shorter period.' });
    expect(msg.text).toBe('Investigating rentokil failed in window 2026-01-12T00:00:00.000Z to 2026-01-13T00:00:00.000Z: canceling statement due to statement timeout');
    expect(section(msg)).toContain('> canceling statement due to statement timeout');
    expect(JSON.stringify(msg.blocks[1])).toContain(':bulb: Try a shorter period.');
    assertWithinSlackLimits(msg);
    const long = errorMessage({ message: 'x'.repeat(10_000) });
    assertWithinSlackLimits(long);
    expect(long.blocks).toHaveLength(1);
  });

  it('explains usage to the requester only', () => {
    const msg = ephemeralUsage({ message: 'internal', userMessage: '"jan2026" is not a period I understand', hint: 'Periods are UTC, for example: jan-2026.' });
    expect(msg.response_type).toBe('ephemeral');
    expect(section(msg, 0)).toBe(':warning: "jan2026" is not a period I understand');
    expect(section(msg, 1)).toContain('`/scorecard-gap rentokil jan-2026`');
    expect(JSON.stringify(msg.blocks[2])).toContain('Periods are UTC');
    assertWithinSlackLimits(msg);
    expect(ephemeralUsage('Unknown customer "acme".', { periods: ['2026-01'] }).blocks).toHaveLength(2);
  });
});
