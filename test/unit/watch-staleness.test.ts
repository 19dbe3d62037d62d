import { describe, expect, it } from 'vitest';
import { judgeAudits, monitorIntervalMs, staleDeadline } from '../../src/watch/staleness.js';

const at = (iso: string): Date => new Date(iso);

describe('staleDeadline: twice the interval, and for a cron no earlier than its second run after', () => {
  it('every 1h: two hours after the last completion', () => {
    expect(staleDeadline({ every: '1h' }, at('2026-01-05T10:00:30Z')).toISOString()).toBe('2026-01-05T12:00:30.000Z');
  });
  it('hourly cron: the same as every 1h', () => {
    expect(staleDeadline({ cron: '0 * * * *' }, at('2026-01-05T10:00:30Z')).toISOString()).toBe('2026-01-05T12:00:30.000Z');
  });
  it('weekday cron: Friday\'s run is not stale over the weekend (due Tuesday 09:00, after Monday\'s run was missed)', () => {
    // 2026-01-09 is a Friday; the next runs are Monday 12th and Tuesday 13th at 09:00.
    expect(staleDeadline({ cron: '0 9 * * 1-5' }, at('2026-01-09T09:00:40Z')).toISOString()).toBe('2026-01-13T09:00:00.000Z');
  });
});

describe('judgeAudits', () => {
  const audits = [
    { name: 'hourly', every: '1h' },
    { name: 'fast', every: '2s' },
    { name: 'new', every: '1h' },
  ];
  const now = at('2026-01-05T12:00:00Z');
  it('stale after twice the interval since the last completion, or since it was first configured', () => {
    const judged = judgeAudits(
      audits,
      [
        { audit: 'hourly', registeredAt: at('2026-01-01T00:00:00Z'), finishedAt: at('2026-01-05T09:59:00Z'), staleSince: null },
        { audit: 'fast', registeredAt: at('2026-01-05T11:00:00Z'), finishedAt: at('2026-01-05T11:59:57Z'), staleSince: at('2026-01-05T11:30:00Z') },
      ],
      now,
    );
    expect(judged.map((h) => [h.audit, h.stale, h.told])).toEqual([
      ['hourly', true, false],
      ['fast', false, true],
      // Not registered yet: the process has just started, it cannot be late.
      ['new', false, false],
    ]);
    expect(judged[0]!.lastCompleted?.toISOString()).toBe('2026-01-05T09:59:00.000Z');
  });
  it('an audit that never completed is judged from its registration', () => {
    const [h] = judgeAudits([audits[0]!], [{ audit: 'hourly', registeredAt: at('2026-01-05T09:00:00Z'), finishedAt: null, staleSince: null }], now);
    expect(h!.stale).toBe(true);
    expect(h!.deadline.toISOString()).toBe('2026-01-05T11:00:00.000Z');
  });
  it('looks every half of the shortest interval, between 0.5 s and 30 s', () => {
    expect(monitorIntervalMs([{ every: '2s' }, { every: '1h' }])).toBe(1_000);
    expect(monitorIntervalMs([{ every: '1h' }])).toBe(30_000);
    expect(monitorIntervalMs([{ every: '1s' }])).toBe(500);
  });
});
