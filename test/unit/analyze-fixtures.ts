// Synthetic GapSeries shaped like the incident report's customers (not a test file: builders only).
// Deterministic: every builder takes its own seeded generator. `scale` multiplies volumes (the demo runs at 0.01);
// counts are rounded stochastically so that rates survive scaling down.
import { mulberry32 } from '../../dev/demo/numbers.js';
import type { CreatedSubmittedCell, DateCell, GapSeries, HourCell } from '../../src/gap/core/series.js';

export type Rand = () => number;

/** A seeded stream: the same mulberry32 the demo generator uses. */
export const rng = (seed: number): Rand => mulberry32(seed);

export const between = (rand: Rand, lo: number, hi: number): number => lo + (hi - lo) * rand();
/** Round up with probability equal to the fraction: E[sround(x)] = x. */
export const sround = (x: number, rand: Rand): number => Math.floor(x) + (rand() < x - Math.floor(x) ? 1 : 0);

/** Poisson draw (Knuth; fine for the small means used for noise). */
export function poisson(mean: number, rand: Rand): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k += 1;
    p *= rand();
  }
  return k;
}

const DAY_MS = 86_400_000;
export const addDays = (date: string, n: number): string =>
  new Date(Date.parse(`${date}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
export const hourIso = (date: string, h: number): string => `${date}T${String(h).padStart(2, '0')}:00:00.000Z`;

/** Dates from `from` (inclusive) to `to` (exclusive). */
export function dates(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d < to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** Split n into integer parts proportional to weights (largest remainder), never above `caps` when given. */
export function allocate(n: number, weights: readonly number[], caps?: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum <= 0 || n <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (n * w) / sum);
  const parts = exact.map((x, i) => Math.min(Math.floor(x), caps?.[i] ?? Infinity));
  let left = n - parts.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let pass = 0; left > 0 && pass < 3; pass++) {
    for (const [, i] of order) {
      if (left === 0) break;
      if ((parts[i] ?? 0) < (caps?.[i] ?? Infinity)) {
        parts[i] = (parts[i] ?? 0) + 1;
        left -= 1;
      }
    }
  }
  return parts;
}

/** US working day in UTC: busy 12:00-01:00, quiet nights. Median hour ~ the low end of the busy hours. */
export const US_DAY = [3800, 2600, 520, 150, 99, 120, 150, 200, 300, 600, 1500, 2500, 3500, 4200, 5200, 5600, 5800, 5600,
  5400, 5200, 5000, 4800, 4500, 4200];
/** Submitted scorecards: reviewers' working hours only. */
export const REVIEW_HOURS = Array.from({ length: 24 }, (_, h) => (h >= 13 && h <= 23 ? 1 : 0));

/** A day's total and missing spread over its hours by weight; missing spread in proportion to each hour's total. */
export function spreadDay(date: string, total: number, missing: number, weights: readonly number[]): HourCell[] {
  const totals = allocate(total, weights);
  const missings = allocate(missing, totals, totals);
  return totals.map((t, h) => ({ hour: hourIso(date, h), total: t, missing: missings[h] ?? 0 })).filter((c) => c.total > 0);
}

export interface SeriesParts {
  period: { from: string; to: string };
  scanned: { from: string; to: string };
  submitted?: HourCell[];
  unsubmitted?: HourCell[];
  bySubmitDate?: DateCell[];
  missingSubmittedPairs?: CreatedSubmittedCell[];
  firstMissing?: Partial<GapSeries['firstMissing']>;
  clickhouseMissingDays?: GapSeries['clickhouseMissingDays'];
}

function normalise(cells: readonly HourCell[]): HourCell[] {
  const merged = new Map<string, HourCell>();
  for (const c of cells) {
    if (c.total <= 0) continue;
    const prev = merged.get(c.hour);
    merged.set(c.hour, prev ? { hour: c.hour, total: prev.total + c.total, missing: prev.missing + c.missing } : { ...c });
  }
  return [...merged.values()].sort((a, b) => a.hour.localeCompare(b.hour));
}

export function makeSeries(p: SeriesParts): GapSeries {
  return {
    period: p.period,
    scanned: p.scanned,
    hourly: { submitted: normalise(p.submitted ?? []), unsubmitted: normalise(p.unsubmitted ?? []) },
    bySubmitDate: [...(p.bySubmitDate ?? [])].sort((a, b) => a.date.localeCompare(b.date)),
    missingSubmittedPairs: p.missingSubmittedPairs ?? [],
    firstMissing: { submitted: p.firstMissing?.submitted ?? null, unsubmitted: p.firstMissing?.unsubmitted ?? null },
    clickhouseMissingDays: p.clickhouseMissingDays ?? [],
  };
}

/** Same-day submission for a daily series: bySubmitDate and the missing pairs. */
export function sameDaySubmission(days: readonly DateCell[]): { bySubmitDate: DateCell[]; pairs: CreatedSubmittedCell[] } {
  return {
    bySubmitDate: days.filter((d) => d.total > 0).map((d) => ({ ...d })),
    pairs: days.filter((d) => d.missing > 0).map((d) => ({ createdDate: d.date, submittedDate: d.date, count: d.missing })),
  };
}

/** Keep only what a scan of [scanned.from, to) would have returned, with a new period. */
export function cut(series: GapSeries, period: { from: string; to: string }): GapSeries {
  const end = period.to.slice(0, 10);
  const keep = (c: HourCell): boolean => c.hour < period.to;
  return {
    ...series,
    period,
    scanned: { from: series.scanned.from, to: period.to },
    hourly: { submitted: series.hourly.submitted.filter(keep), unsubmitted: series.hourly.unsubmitted.filter(keep) },
    bySubmitDate: series.bySubmitDate.filter((d) => d.date < end),
    missingSubmittedPairs: series.missingSubmittedPairs.filter((p) => p.submittedDate < end),
    clickhouseMissingDays: series.clickhouseMissingDays.filter((d) => d.date < end),
  };
}

export const JANUARY = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };

// ---- Scenarios ----------------------------------------------------------------------------------------------

/** rentokil's submitted Jan 15-28 days, verbatim from the incident report: [total, missing]. */
const RENTOKIL_JAN_15_28: [number, number][] = [[129, 26], [128, 38], [49, 22], [34, 13], [62, 30], [216, 104],
  [159, 141], [119, 116], [95, 92], [25, 22], [24, 23], [102, 98], [81, 77], [26, 23]];
/** The 7 missing scorecards created Dec 31, with their submit dates. */
const DEC_31_SUBMITS = ['2026-01-14', '2026-01-14', '2026-01-21', '2026-01-23', '2026-01-27', '2026-01-27', '2026-01-28'];

/**
 * rentokil: submitted 0% until Dec 30, 7/79 on Dec 31 (submitted Jan 14-28), 1/32 Jan 1 (submitted that day),
 * Jan 2-14 ~150/day at 10-30%, the report's Jan 15-28, 0% Jan 29-31. Unsubmitted: a US working day of ~80k,
 * 0.3% missing in Sep 2025, one batch hour Jan 23 03:00 of 27,580 with 27,344 missing, 29 stray missing in Jan.
 * `scale` applies to the unsubmitted volumes (the submitted ones are already small; the demo keeps them).
 */
export function rentokil(scale = 1, seed = 42): GapSeries {
  const rand = rng(seed);
  const sub: DateCell[] = [];
  for (const date of dates('2025-08-01', '2026-02-01')) {
    const month = date.slice(0, 7);
    const base = { '2025-08': 0.2, '2025-09': 2.2, '2025-10': 5.6, '2025-11': 112, '2025-12': 130 }[month];
    let total = base === undefined ? 0 : sround(base * between(rand, 0.7, 1.3), rand);
    let missing = 0;
    if (date === '2025-12-31') [total, missing] = [79, 7];
    else if (date === '2026-01-01') [total, missing] = [32, 1];
    else if (date >= '2026-01-02' && date <= '2026-01-14') {
      total = Math.round(between(rand, 135, 165));
      missing = Math.round(total * between(rand, 0.1, 0.3));
    } else if (date >= '2026-01-15' && date <= '2026-01-28') {
      [total, missing] = RENTOKIL_JAN_15_28[dates('2026-01-15', date).length] ?? [0, 0];
    } else if (date >= '2026-01-29') total = Math.round(between(rand, 60, 90));
    sub.push({ date, total, missing });
  }
  const { bySubmitDate, pairs } = sameDaySubmission(sub.filter((d) => d.date !== '2025-12-31'));
  bySubmitDate.push({ date: '2025-12-31', total: 72, missing: 0 });
  for (const s of DEC_31_SUBMITS) {
    const day = bySubmitDate.find((d) => d.date === s);
    if (day) [day.total, day.missing] = [day.total + 1, day.missing + 1];
    const pair = pairs.find((p) => p.createdDate === '2025-12-31' && p.submittedDate === s);
    if (pair) pair.count += 1;
    else pairs.push({ createdDate: '2025-12-31', submittedDate: s, count: 1 });
  }
  pairs.sort((a, b) => a.createdDate.localeCompare(b.createdDate) || a.submittedDate.localeCompare(b.submittedDate));

  const unsub: HourCell[] = [];
  const strays = new Set(Array.from({ length: 29 }, () => Math.floor(rand() * 31 * 24)));
  for (const date of dates('2025-08-01', '2026-02-01')) {
    US_DAY.forEach((w, h) => {
      const hour = hourIso(date, h);
      const total = sround(w * between(rand, 0.85, 1.15) * scale, rand);
      let missing = date.startsWith('2025-09') ? Math.min(total, sround(total * 0.003, rand)) : 0;
      if (date.startsWith('2026-01') && strays.has(dates('2026-01-01', date).length * 24 + h) && total > 0) missing = 1;
      unsub.push({ hour, total, missing });
    });
  }
  const fixed: Record<string, [number, number]> = {
    '2026-01-23T02:00:00.000Z': [520, 0],
    '2026-01-23T03:00:00.000Z': [27580, 27344],
    '2026-01-23T04:00:00.000Z': [99, 0],
  };
  for (const c of unsub) {
    const f = fixed[c.hour];
    if (f) [c.total, c.missing] = [sround(f[0] * scale, rand), Math.min(sround(f[0] * scale, rand), sround(f[1] * scale, rand))];
  }
  const firstUnsub = unsub.find((c) => c.missing > 0);
  return makeSeries({
    period: JANUARY,
    scanned: { from: '2025-08-01T00:00:00.000Z', to: JANUARY.to },
    submitted: sub.flatMap((d) => spreadDay(d.date, d.total, d.missing, REVIEW_HOURS)),
    unsubmitted: unsub,
    bySubmitDate,
    missingSubmittedPairs: pairs,
    firstMissing: {
      submitted: { scorecardId: 'rk-sub-1', createdAt: '2025-12-31T15:30:00.000Z', submittedAt: '2026-01-23T10:00:00.000Z' },
      unsubmitted: firstUnsub ? { scorecardId: 'rk-unsub-1', createdAt: firstUnsub.hour, submittedAt: null } : null,
    },
  });
}

/** spirit's 14:00 UTC batch, Jan 10-17, from the incident report; Jan 12 had no batch. */
const SPIRIT_14H: Record<string, [number, number]> = {
  '2026-01-10': [60669, 32432], '2026-01-11': [41416, 21660], '2026-01-13': [59862, 30092], '2026-01-14': [60483, 30910],
  '2026-01-15': [60527, 30749], '2026-01-16': [63469, 33469], '2026-01-17': [60787, 54],
};

/**
 * spirit: unsubmitted ~1.1k an hour with a chronic 3-5% missing, a ~58k batch at 14:00 UTC (2% missing before
 * Jan 10, the report's numbers Jan 10-17, ~50k with ~70 missing after). Submitted ~200/day: 0% to Jan 7, 5 missing
 * late on Jan 8, ~30% Jan 9-28, 0% Jan 29-31. `scale` applies to the unsubmitted volumes.
 */
export function spirit(scale = 1, seed = 7): GapSeries {
  const rand = rng(seed);
  const unsub: HourCell[] = [];
  for (const date of dates('2025-11-01', '2026-02-01')) {
    const chronic = between(rand, 0.03, 0.05);
    for (let h = 0; h < 24; h++) {
      let [total, missing] = [1100 * between(rand, 0.8, 1.2), 0];
      missing = total * chronic;
      if (h === 14 && date !== '2026-01-12') {
        const known = SPIRIT_14H[date];
        if (known) [total, missing] = known;
        else if (date > '2026-01-17') [total, missing] = [50000 * between(rand, 0.9, 1.1), 70 * between(rand, 0.7, 1.3)];
        else [total, missing] = [58000 * between(rand, 0.9, 1.1), 58000 * (date < '2026-01-01' ? chronic : 0.02)];
      }
      const t = sround(total * scale, rand);
      unsub.push({ hour: hourIso(date, h), total: t, missing: Math.min(t, sround(missing * scale, rand)) });
    }
  }
  const sub: DateCell[] = dates('2025-11-01', '2026-02-01').map((date) => {
    const total = Math.round(between(rand, 170, 240));
    let missing = 0;
    if (date === '2026-01-08') missing = 5;
    else if (date >= '2026-01-09' && date <= '2026-01-28') missing = Math.round(total * between(rand, 0.25, 0.35));
    return { date, total, missing };
  });
  const { bySubmitDate, pairs } = sameDaySubmission(sub);
  return makeSeries({
    period: JANUARY,
    scanned: { from: '2025-11-01T00:00:00.000Z', to: JANUARY.to },
    submitted: sub.flatMap((d) => spreadDay(d.date, d.total, d.missing, REVIEW_HOURS)),
    unsubmitted: unsub,
    bySubmitDate,
    missingSubmittedPairs: pairs,
    firstMissing: {
      submitted: { scorecardId: 'sp-sub-1', createdAt: '2026-01-08T22:37:00.000Z', submittedAt: '2026-01-08T23:00:00.000Z' },
      unsubmitted: { scorecardId: 'sp-unsub-1', createdAt: '2025-11-01T00:12:00.000Z', submittedAt: null },
    },
  });
}

/**
 * A healthy customer: random-ish hourly volumes with occasional 3x bursts and a daily healthy 10x batch at 04:00.
 * `huge`: ~100k unsubmitted a day instead of ~1k. `noise`: a 0.01% random missing rate in both populations.
 */
export function healthy({ huge = false, noise = false, seed = 3 } = {}): GapSeries {
  const rand = rng(seed);
  const base = huge ? 4000 : 40;
  const noisy = (total: number): number => (noise ? Math.min(total, poisson(total * 1e-4, rand)) : 0);
  const unsub: HourCell[] = [];
  const sub: HourCell[] = [];
  for (const date of dates('2025-12-01', '2026-02-01')) {
    for (let h = 0; h < 24; h++) {
      const burst = rand() < 0.02 ? 3 : 1;
      const total = Math.round(base * (h === 4 ? 10 : between(rand, 0.5, 1.5) * burst));
      unsub.push({ hour: hourIso(date, h), total, missing: noisy(total) });
      const s = (REVIEW_HOURS[h] ?? 0) * Math.round(between(rand, 2, 8));
      sub.push({ hour: hourIso(date, h), total: s, missing: noisy(s) });
    }
  }
  const first = (cells: HourCell[]) => {
    const c = cells.find((x) => x.missing > 0);
    return c ? { scorecardId: 'h-1', createdAt: c.hour, submittedAt: null } : null;
  };
  return makeSeries({
    period: JANUARY,
    scanned: { from: '2025-12-01T00:00:00.000Z', to: JANUARY.to },
    submitted: sub,
    unsubmitted: unsub,
    firstMissing: { submitted: first(sub), unsubmitted: first(unsub) },
  });
}

/**
 * nclh: ~3 submitted scorecards a day at fixed hours (14, 17, 20 UTC); two old one-offs (1 of 3) in Aug 2025;
 * from Jan 11, about half missing (Jan 11: 2 of 4). Unsubmitted: ~900 an hour, healthy.
 */
export function nclh(seed = 11): GapSeries {
  const rand = rng(seed);
  const sub: HourCell[] = [];
  const cycle = [3, 2, 4, 3, 3, 2, 4];
  dates('2025-08-01', '2026-02-01').forEach((date, i) => {
    const total = cycle[i % cycle.length] ?? 3;
    let missing = date === '2025-08-05' || date === '2025-08-19' ? 1 : 0;
    if (date === '2026-01-11') missing = 2;
    else if (date > '2026-01-11') missing = i % 2 === 0 ? Math.ceil(total / 2) : Math.floor(total / 2);
    sub.push(...spreadDay(date, total, missing, Array.from({ length: 24 }, (_, h) => (h === 14 || h === 17 || h === 20 ? 1 : 0))));
  });
  const daily = new Map<string, DateCell>();
  for (const c of sub) {
    const d = daily.get(c.hour.slice(0, 10)) ?? { date: c.hour.slice(0, 10), total: 0, missing: 0 };
    daily.set(d.date, { ...d, total: d.total + c.total, missing: d.missing + c.missing });
  }
  const { bySubmitDate, pairs } = sameDaySubmission([...daily.values()]);
  const unsub = dates('2025-08-01', '2026-02-01').flatMap((date) =>
    Array.from({ length: 24 }, (_, h) => ({ hour: hourIso(date, h), total: Math.round(between(rand, 600, 1200)), missing: 0 })),
  );
  return makeSeries({
    period: JANUARY,
    scanned: { from: '2025-08-01T00:00:00.000Z', to: JANUARY.to },
    submitted: sub,
    unsubmitted: unsub,
    bySubmitDate,
    missingSubmittedPairs: pairs,
    firstMissing: {
      submitted: { scorecardId: 'nc-1', createdAt: '2025-08-05T14:10:00.000Z', submittedAt: '2025-08-05T15:00:00.000Z' },
    },
  });
}
