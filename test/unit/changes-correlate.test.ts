import { describe, expect, it } from 'vitest';
import { changeWindowFor, correlateFindings, findingAnchors, nearbyChanges } from '../../src/changes/correlate.js';
import type { ChangeEvent } from '../../src/changes/event.js';

// Which changes count as "around" a finding: the window edges, nearest first, and times read generically.

const HOUR = 3_600_000;
const ev = (at: string | number, title = 'x', kind: ChangeEvent['kind'] = 'deploy'): ChangeEvent => ({
  at: new Date(at).toISOString(),
  title,
  kind,
  link: null,
  source: 'test',
});

describe('correlation windows', () => {
  const onset = { kind: 'onset', population: 'submitted', firstMissingAt: '2026-01-08T22:37:00.000Z' };
  const t = Date.parse(onset.firstMissingAt);

  it('a start takes changes from exactly 72 h before to exactly 6 h after, and nothing outside', () => {
    const events = [
      ev(t - 72 * HOUR - 1000, 'just too early'),
      ev(t - 72 * HOUR, 'first second in'),
      ev(t + 6 * HOUR, 'last second in'),
      ev(t + 6 * HOUR + 1000, 'just too late'),
    ];
    expect(nearbyChanges(onset, events).map((c) => c.title).sort()).toEqual(['first second in', 'last second in']);
  });

  it('a recovery day takes the 24 h before it and the whole day, not the next midnight', () => {
    const recovery = { kind: 'recovery', population: 'submitted', at: '2026-01-29', rateAfter: 0 };
    const dayStart = Date.parse('2026-01-29T00:00:00Z');
    const events = [
      ev(dayStart - 24 * HOUR - 1000, 'too early'),
      ev(dayStart - 24 * HOUR, 'day before, first second'),
      ev('2026-01-29T15:38:38Z', 'flag'),
      ev('2026-01-29T23:59:59Z', 'last second of the day'),
      ev('2026-01-30T00:00:00Z', 'next day'),
    ];
    const got = nearbyChanges(recovery, events);
    expect(got.map((c) => c.title)).toEqual(['flag', 'last second of the day', 'day before, first second']);
    expect(got[0]).toMatchObject({ anchor: 'at', offsetMinutes: 15 * 60 + 38 });
  });

  it('nearest first, the one before winning a tie; offsets negative before', () => {
    const events = [ev(t - 30 * HOUR, 'far before'), ev(t + 2 * HOUR, 'after'), ev(t - 2 * HOUR, 'before')];
    const got = nearbyChanges(onset, events);
    expect(got.map((c) => c.title)).toEqual(['before', 'after', 'far before']);
    expect(got.map((c) => c.offsetMinutes)).toEqual([-120, 120, -1800]);
  });
});

describe('finding times, read generically', () => {
  it('a kind this code has never seen is placed by its since/began/at field', () => {
    expect(findingAnchors({ kind: 'chronic', since: '2025-11-01', began: '2025-10-30', to: '2026-01-28' } as never)).toEqual([
      expect.objectContaining({ field: 'began', role: 'start', isDay: true }),
    ]);
    expect(findingAnchors({ kind: 'brand_new', at: '2026-01-05T03:00:00Z' } as never)).toEqual([expect.objectContaining({ field: 'at', role: 'start', isDay: false })]);
  });

  it('a recurring failure has a start and a fix; a ClickHouse gap (days only) has none', () => {
    const rf = { kind: 'recurring_failure', from: '2026-01-10', to: '2026-01-16', fixedOn: '2026-01-17' };
    expect(findingAnchors(rf).map((a) => [a.field, a.role])).toEqual([
      ['from', 'start'],
      ['fixedOn', 'fix'],
    ]);
    expect(findingAnchors({ kind: 'clickhouse_gap', days: [{ date: '2026-01-05', count: 1 }] } as never)).toEqual([]);
    const [withChanges] = correlateFindings([{ kind: 'clickhouse_gap', days: [] }], [ev('2026-01-05T00:00:00Z')]);
    expect(withChanges?.nearbyChanges).toEqual([]);
  });

  it('the span asked of the sources covers the period with a month either side and every finding window', () => {
    const w = changeWindowFor({
      period: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
      findings: [{ kind: 'onset', firstMissingAt: '2025-09-01T03:52:00Z' } as never],
    });
    expect(w).toEqual({ from: '2025-08-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' });
  });
});
