import { describe, expect, it } from 'vitest';
import {
  addDays,
  formatApprox,
  formatDate,
  formatDateTime,
  formatDuration,
  formatHour,
  formatInt,
  formatLongDate,
  formatMonth,
  formatPct,
  formatPeriodRange,
  formatRatio,
  formatShortDate,
  formatShortDateRange,
  truncate,
} from '../../src/shared/format.js';
import { missingIdsCsv, missingIdsCsvChunks } from '../../src/gap/views/csv.js';

describe('format', () => {
  it('formats counts with thousands separators', () => {
    expect(formatInt(0)).toBe('0');
    expect(formatInt(999)).toBe('999');
    expect(formatInt(3637)).toBe('3,637');
    expect(formatInt(2555891)).toBe('2,555,891');
    expect(formatInt(-1234)).toBe('-1,234');
  });

  it('formats rates with one decimal, and never hides a count behind rounding', () => {
    expect(formatPct(0.32)).toBe('32.0%');
    expect(formatPct(1165 / 3637)).toBe('32.0%');
    expect(formatRatio(1165, 3637)).toBe('32.0%');
    expect(formatRatio(0, 0)).toBe('–');
    expect(formatRatio(3, 693771)).toBe('<0.1%');
    expect(formatRatio(0, 693771)).toBe('0.0%');
    expect(formatRatio(99999, 100000)).toBe('>99.9%');
    expect(formatRatio(5, 5)).toBe('100.0%');
  });

  it('rounds "usual" amounts to two significant figures', () => {
    expect(formatApprox(3412.5)).toBe('~3,400');
    expect(formatApprox(52_345)).toBe('~52,000');
    expect(formatApprox(87)).toBe('~87');
  });

  it('formats months, dates and hours in UTC', () => {
    expect(formatMonth('2026-01')).toBe('Jan 2026');
    expect(formatMonth('2025-12-01')).toBe('Dec 2025');
    expect(formatDate('2026-01-23T03:00:00.000Z')).toBe('2026-01-23');
    expect(formatShortDate('2026-01-01')).toBe('Jan 1');
    expect(formatLongDate('2025-12-31T15:30:00Z')).toBe('Dec 31, 2025');
    expect(formatHour('2026-01-23T03:00:00.000Z')).toBe('Jan 23 03:00 UTC');
    expect(formatDateTime('2025-12-31T15:30:12.000Z')).toBe('2025-12-31 15:30 UTC');
    expect(formatShortDateRange('2026-01-14', '2026-01-28')).toBe('Jan 14–28');
    expect(formatShortDateRange('2025-12-30', '2026-01-02')).toBe('Dec 30 – Jan 2');
    expect(formatShortDateRange('2026-01-14', '2026-01-14')).toBe('Jan 14');
    expect(addDays('2026-02-01T00:00:00.000Z', -1)).toBe('2026-01-31');
    expect(formatPeriodRange({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' })).toBe('2026-01-01 to 2026-01-31');
    expect(formatPeriodRange({ from: '2026-01-23T00:00:00.000Z', to: '2026-01-24T00:00:00.000Z' })).toBe('2026-01-23');
  });

  it('formats durations and truncates', () => {
    expect(formatDuration(48_300)).toBe('48.3 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_900_000)).toBe('1 h 5 min');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});

describe('missing IDs CSV', () => {
  const rows = [
    { scorecardId: '019bcaf4-4b65-7838-b07d-20640fe7628e', population: 'submitted', createdAt: '2026-01-17T10:00:00.000Z', submittedAt: '2026-01-23T09:00:00.000Z', state: 'missing' },
    { scorecardId: 'id,with "quotes"', population: 'unsubmitted', createdAt: new Date('2026-01-23T03:00:00Z'), submittedAt: null, state: 'partial' },
    { scorecardId: 'line\nbreak', population: 'unsubmitted', createdAt: '2026-01-23T03:00:00.000Z', submittedAt: null, state: 'missing' },
  ];

  it('writes a header and RFC 4180 rows, quoting only what needs it', async () => {
    expect(await missingIdsCsv(rows)).toBe(
      'scorecard_id,population,created_at,submitted_at,state\r\n' +
        '019bcaf4-4b65-7838-b07d-20640fe7628e,submitted,2026-01-17T10:00:00.000Z,2026-01-23T09:00:00.000Z,missing\r\n' +
        '"id,with ""quotes""",unsubmitted,2026-01-23T03:00:00.000Z,,partial\r\n' +
        '"line\nbreak",unsubmitted,2026-01-23T03:00:00.000Z,,missing\r\n',
    );
  });

  it('streams from an async iterable, header first', async () => {
    async function* cursor() {
      for (const r of rows.slice(0, 1)) yield r;
    }
    const chunks: string[] = [];
    for await (const c of missingIdsCsvChunks(cursor())) chunks.push(c);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe('scorecard_id,population,created_at,submitted_at,state\r\n');
    expect(await missingIdsCsv([])).toBe('scorecard_id,population,created_at,submitted_at,state\r\n');
  });
});
