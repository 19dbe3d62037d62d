import { describe, expect, it } from 'vitest';
import { parsePeriod } from '../../src/period/parse-period.js';
import { parseGapInput } from '../../src/gap/core/gap-input.js';
import { BotError } from '../../src/shared/errors.js';

const now = new Date('2026-02-10T15:00:00Z');
const iso = (d: Date): string => d.toISOString();

describe('parsePeriod', () => {
  it.each([
    ['jan-2026', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 'day', 'Jan 2026'],
    ['2026-01', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 'day', 'Jan 2026'],
    ['dec-2025..jan-2026', '2025-12-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 'day', 'Dec 2025 – Jan 2026'],
    ['2026-01-15..2026-01-28', '2026-01-15T00:00:00.000Z', '2026-01-29T00:00:00.000Z', 'day', '2026-01-15 – 2026-01-28'],
    ['2026-01-23', '2026-01-23T00:00:00.000Z', '2026-01-24T00:00:00.000Z', 'hour', '2026-01-23'],
    ['last-14d', '2026-01-28T00:00:00.000Z', '2026-02-11T00:00:00.000Z', 'day', 'last 14 days (2026-01-28 – 2026-02-10)'],
    ['last-3m', '2025-11-11T00:00:00.000Z', '2026-02-11T00:00:00.000Z', 'day', 'last 3 months (2025-11-11 – 2026-02-10)'],
    ['DEC-2025', '2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'day', 'Dec 2025'],
  ])('%s', (input, from, to, grain, label) => {
    const p = parsePeriod(input, now);
    expect([iso(p.from), iso(p.to), p.grain, p.label]).toEqual([from, to, grain, label]);
  });

  it.each([
    ['january', 'neither a month'],
    ['2026-02-30', 'not a calendar date'],
    ['2026-13', 'month 13 does not exist'],
    ['feb-2026..jan-2026', 'reversed'],
    ['2026-01-28..2026-01-15', 'reversed'],
    ['jan-2025..mar-2026', 'longer than 13 months'],
    ['last-500d', 'longer than 13 months'],
    ["jan-2026'; DROP TABLE director.scorecards;--", 'too long'],
    ['', 'empty'],
    ['a..b..c', 'exactly one'],
    ['jan-2099', 'starts in the future'],
    ['mar-2026', 'starts in the future'],
    ['2026-02-11', 'starts in the future'],
    ['2026-02-11..2026-02-20', 'starts in the future'],
  ])('refuses %j with a clear reason and examples', (input, why) => {
    try {
      parsePeriod(input, now);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BotError);
      const e = err as BotError;
      expect(e.code).toBe('BAD_INPUT');
      expect(e.userMessage).toContain(why);
      expect(e.hint).toContain('jan-2026');
      expect(e.hint).toContain('2026-01-15..2026-01-28');
    }
  });

  it('accepts a period that has started but not ended (the current month, today)', () => {
    expect(iso(parsePeriod('feb-2026', now).from)).toBe('2026-02-01T00:00:00.000Z');
    expect(iso(parsePeriod('2026-02-10', now).from)).toBe('2026-02-10T00:00:00.000Z');
  });

  it('accepts exactly 13 months', () => {
    const p = parsePeriod('jan-2025..jan-2026', now);
    expect(iso(p.from)).toBe('2025-01-01T00:00:00.000Z');
  });
});

describe('parseGapInput', () => {
  const known = ['rentokil', 'spirit', 'guitar-center', 'nclh'];
  it('parses customer and period, case-insensitively', () => {
    const g = parseGapInput('  Rentokil   jan-2026 ', known, now);
    expect(g.customer).toBe('rentokil');
    expect(iso(g.period.from)).toBe('2026-01-01T00:00:00.000Z');
  });
  it('accepts all', () => expect(parseGapInput('all jan-2026', known, now).customer).toBe('all'));
  it('lists the known customers for an unknown one', () => {
    expect(() => parseGapInput('acme jan-2026', known, now)).toThrow(/acme/);
    try {
      parseGapInput('acme jan-2026', known, now);
    } catch (e) {
      expect((e as BotError).code).toBe('UNKNOWN_CUSTOMER');
      expect((e as BotError).hint).toContain('rentokil, spirit, guitar-center, nclh');
    }
  });
  it('refuses SQL-looking input as an unknown customer', () => {
    expect(() => parseGapInput("rentokil';DROP jan-2026", known, now)).toThrow(BotError);
  });
  it('asks for both words', () => {
    expect(() => parseGapInput('rentokil', known, now)).toThrow(/customer and a period/);
    expect(() => parseGapInput('rentokil jan-2026 extra', known, now)).toThrow(/two words, got 3/);
  });
});

import { dayWindows, scanRange } from '../../src/gap/core/windows.js';

describe('scan range and windows', () => {
  it('scans the six months ending with the period, a day per window', () => {
    const r = scanRange(parsePeriod('jan-2026', now), 6);
    expect([iso(r.from), iso(r.to)]).toEqual(['2025-08-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']);
    expect(dayWindows(r.from, r.to)).toHaveLength(184);
    expect(iso(scanRange(parsePeriod('dec-2025..jan-2026', now), 6).from)).toBe('2025-08-01T00:00:00.000Z');
    expect(iso(scanRange(parsePeriod('2026-01-15..2026-01-28', now), 6).from)).toBe('2025-08-01T00:00:00.000Z');
  });
  it('covers a period longer than the history from its own first month', () => {
    expect(iso(scanRange(parsePeriod('jan-2025..jan-2026', now), 6).from)).toBe('2025-01-01T00:00:00.000Z');
  });
});
