// Issue 14: a steady loss is named chronic, with its level, range and real start, at full volume and at 1/100 of
// it; noise around zero never is. Synthetic series only (pure); the demo data is test/component/gap-chronic.test.ts.
import { describe, expect, it } from 'vitest';
import { analyze, type EarlierScan } from '../../src/gap/core/analyze/index.js';
import { lookbackMonths, lookbackNeeded, monthVerdict } from '../../src/gap/lookback.js';
import { findingSchema, type Finding } from '../../src/gap/core/report.js';
import type { HourCell } from '../../src/gap/core/series.js';
import { findingSentence } from '../../src/gap/views/finding-sentences.js';
import { dates, JANUARY, makeSeries, poisson, REVIEW_HOURS, rng, sround, spreadDay, US_DAY, between, type Rand } from './analyze-fixtures.js';

const of = <K extends Finding['kind']>(fs: Finding[], kind: K) => fs.filter((f): f is Extract<Finding, { kind: K }> => f.kind === kind);
const SCANNED = { from: '2025-08-01T00:00:00.000Z', to: JANUARY.to };

/** ~80k unsubmitted a day (times scale) over a US working day; rateOn(date) missing, drawn binomially-ish per hour. */
function unsubmittedDays(from: string, to: string, scale: number, rateOn: (date: string) => number, rand: Rand): HourCell[] {
  const cells: HourCell[] = [];
  for (const date of dates(from, to)) {
    const rate = rateOn(date);
    US_DAY.forEach((w, h) => {
      const total = sround(w * between(rand, 0.85, 1.15) * scale, rand);
      const mean = total * rate * between(rand, 0.8, 1.2);
      const missing = Math.min(total, mean < 30 ? poisson(mean, rand) : sround(mean, rand));
      cells.push({ hour: `${date}T${String(h).padStart(2, '0')}:00:00.000Z`, total, missing });
    });
  }
  return cells;
}

function seriesOf(unsub: HourCell[], sub: HourCell[] = []) {
  const first = (cells: HourCell[]) => {
    const c = cells.find((x) => x.missing > 0);
    return c ? { scorecardId: `first-${c.hour}`, createdAt: c.hour, submittedAt: null } : null;
  };
  return makeSeries({ period: JANUARY, scanned: SCANNED, unsubmitted: unsub, submitted: sub, firstMissing: { unsubmitted: first(unsub), submitted: first(sub) } });
}

describe.each([1, 0.01])('chronic loss at scale %s', (scale) => {
  it('a steady 2% since before the window: chronic from the first day scanned, "began earlier", and a look-back is asked for', () => {
    const series = seriesOf(unsubmittedDays('2025-08-01', '2026-02-01', scale, () => 0.02, rng(5)));
    const findings = analyze(series);
    for (const f of findings) findingSchema.parse(f);
    const [c, ...more] = of(findings, 'chronic');
    expect(more).toEqual([]);
    expect(c).toMatchObject({ population: 'unsubmitted', since: '2025-08-01', to: '2026-01-31', began: null, before: 'not_scanned' });
    expect(c!.level).toBeGreaterThan(0.018);
    expect(c!.level).toBeLessThan(0.022);
    expect(c!.range.low).toBeLessThanOrEqual(c!.level);
    expect(c!.range.high).toBeGreaterThanOrEqual(c!.level);
    expect(c!.range.high - c!.range.low).toBeLessThan(0.015);
    expect(of(findings, 'change_point')).toEqual([]);
    expect(of(findings, 'onset')[0]?.earlierThanScan).toBe(true);
    expect(lookbackNeeded(findings)).toEqual(['unsubmitted']);
    expect(findingSentence(c!)).toContain('the first day scanned: it began earlier');

    // The look-back found the loss from Jun 10 and a clean May before it.
    const lost = (d: string) => (d >= '2025-06-10' ? 0.02 : 0);
    const earlierCells = unsubmittedDays('2025-05-01', '2025-08-01', scale, lost, rng(6));
    const earlier: EarlierScan = { from: '2025-05-01T00:00:00.000Z', hourly: { submitted: [], unsubmitted: earlierCells } };
    const withEarlier = of(analyze(series, earlier), 'chronic');
    expect(withEarlier).toMatchObject([{ since: '2025-06-10', began: '2025-06-10', before: 'clean', to: '2026-01-31' }]);
    expect(findingSentence(withEarlier[0]!)).toContain('began 2025-06-10; 0% before');
  });

  it('a steady 1.5% starting inside the window: chronic from that day, 0% before, no look-back', () => {
    const series = seriesOf(unsubmittedDays('2025-08-01', '2026-02-01', scale, (d) => (d >= '2025-10-15' ? 0.015 : 0), rng(8)));
    const findings = analyze(series);
    expect(of(findings, 'chronic')).toMatchObject([{ since: '2025-10-15', began: '2025-10-15', before: 'clean', to: '2026-01-31' }]);
    expect(lookbackNeeded(findings)).toEqual([]);
  });

  it('a steady 0.2% with a jump to 30% on top: both findings, chronic first, in time order', () => {
    const series = seriesOf(unsubmittedDays('2025-08-01', '2026-02-01', scale, (d) => (d >= '2026-01-12' ? 0.3 : 0.002), rng(9)));
    const findings = analyze(series).filter((f) => f.population === 'unsubmitted');
    const [c] = of(findings, 'chronic');
    expect(c).toMatchObject({ since: '2025-08-01', to: '2026-01-11' });
    expect(c!.level).toBeGreaterThan(0.0012);
    expect(c!.level).toBeLessThan(0.0028);
    const cps = of(findings, 'change_point');
    expect(cps.map((x) => x.at)).toEqual(['2026-01-12']);
    const kinds = findings.map((f) => f.kind);
    expect(kinds.indexOf('chronic')).toBeLessThan(kinds.indexOf('change_point'));
    expect(c!.to < cps[0]!.at).toBe(true);
  });

  it('noise around zero (0.01%) is never chronic', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const findings = analyze(seriesOf(unsubmittedDays('2025-08-01', '2026-02-01', scale, () => 0.0001, rng(seed))));
      expect(of(findings, 'chronic'), `seed ${seed}`).toEqual([]);
    }
  });
});

describe('low-volume steady loss', () => {
  it('40 submitted a day losing one on two days of three (1.7%): chronic, not "isolated one-offs"', () => {
    // No day ever has two missing, so no day is "bad": only the pooled stretch shows the loss (the 1.6%).
    const sub = dates('2025-08-01', '2026-02-01').flatMap((date, i) => spreadDay(date, 40, i % 3 === 0 ? 0 : 1, REVIEW_HOURS));
    const findings = analyze(seriesOf([], sub));
    const [c] = of(findings, 'chronic');
    expect(c).toMatchObject({ population: 'submitted', before: 'not_scanned' });
    expect(c!.level).toBeCloseTo(2 / 3 / 40, 3);
    expect(c!.days).toBeGreaterThan(150);
    const onset = of(findings, 'onset')[0]!;
    expect(findingSentence(onset, findings)).not.toContain('isolated one-offs');
    expect(findingSentence(onset, findings)).toContain('the loss is steady');
  });

  it('two old one-offs among a few a day are not chronic (nclh)', () => {
    const sub = dates('2025-08-01', '2026-02-01').flatMap((date) =>
      spreadDay(date, 3, date === '2025-08-05' || date === '2025-08-19' || date >= '2026-01-25' ? 1 : 0, REVIEW_HOURS),
    );
    expect(of(analyze(seriesOf([], sub)), 'chronic')).toEqual([]);
  });
});

describe('look-back planning', () => {
  it('goes back month by month from the first day scanned', () => {
    expect(lookbackMonths('2025-08-01T00:00:00.000Z', 3)).toEqual([
      { from: '2025-07-01T00:00:00.000Z', to: '2025-08-01T00:00:00.000Z' },
      { from: '2025-06-01T00:00:00.000Z', to: '2025-07-01T00:00:00.000Z' },
      { from: '2025-05-01T00:00:00.000Z', to: '2025-06-01T00:00:00.000Z' },
    ]);
    expect(lookbackMonths('2025-08-01T00:00:00.000Z', 0)).toEqual([]);
  });

  it('stops at a month without loss or without scorecards, not at a stray one-off', () => {
    const rand = rng(3);
    expect(monthVerdict(unsubmittedDays('2025-07-01', '2025-08-01', 0.01, () => 0.002, rand))).toBe('loss');
    expect(monthVerdict(unsubmittedDays('2025-07-01', '2025-08-01', 0.01, () => 0, rand))).toBe('clean');
    const oneOff = unsubmittedDays('2025-07-01', '2025-08-01', 0.01, () => 0, rand);
    oneOff[100]!.missing = 1;
    expect(monthVerdict(oneOff)).toBe('clean');
    expect(monthVerdict([])).toBe('no_scorecards');
  });
});
