import {
  type CustomerProfile,
  DIURNAL,
  EXCLUDED_SHARE,
  FIXED_ON,
  HOLIDAYS,
  MONTHS,
  type SubmittedSegment,
  WEEKEND,
} from './incident-profile.js';
import type { NamedScorecard, Population } from './named.js';
import { isNamedMissing } from './named.js';
import { apportion, dateOf, DAY_MS, dayMs, HOUR_MS, hourMs, keyedRandom, monthDays } from './numbers.js';

// Scale-1 "leaves": how many bulk scorecards of each kind are created in each hour, per template part. Built from the
// profile so that (bulk + named) reproduces every number of the report exactly. plan.ts scales them.

export type Kind = 'present' | 'missing' | 'calibration' | 'non_original';

export interface Leaf {
  customer: CustomerProfile['customer'];
  population: Population;
  kind: Kind;
  hourMs: number;
  /** Template title for batch parts; '' lets the plan pick a background template. */
  part: string;
  batch: boolean;
  count: number;
}

const FIXED_MS = dayMs(FIXED_ON);

function dayWeight(population: Population, day: number, seed: number, key: string): number {
  const weekday = new Date(day).getUTCDay();
  const weekend = WEEKEND[population];
  const base = weekday === 0 ? weekend[0] : weekday === 6 ? weekend[1] : 1;
  const holiday = population === 'submitted' ? (HOLIDAYS[dateOf(day)] ?? 1) : 1;
  return base * holiday * (0.85 + 0.3 * keyedRandom(seed, `day|${key}|${day}`)());
}

function hourWeights(seed: number, key: string, day: number): number[] {
  const r = keyedRandom(seed, `hours|${key}|${day}`);
  return DIURNAL.map((w) => w * (0.7 + 0.6 * r()));
}

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const inRange = (day: number, seg: { from: string; to: string }): boolean => day >= dayMs(seg.from) && day < dayMs(seg.to);

/** Submitted in-scope [total, missing] per day of a month, including the named scorecards. */
export function submittedMonthDays(p: CustomerProfile, month: string, named: NamedScorecard[], seed: number) {
  const [total, missing] = p.submitted.months[month] ?? [0, 0];
  const days = monthDays(month);
  const active = dayMs(p.activeFrom);
  const explicit = days.map((d) => p.submitted.days[dateOf(d)]);
  const segOf = days.map((d) => p.submitted.segments.find((s) => inRange(d, s)));
  const w = days.map((d, k) =>
    d < active ? 0 : dayWeight('submitted', d, seed, `${p.customer}|s`) * (segOf[k]?.volumeBoost ?? 1),
  );
  const totals = days.map((_, k) => explicit[k]?.[0] ?? 0);
  const missings = days.map((_, k) => explicit[k]?.[1] ?? 0);
  const segments = [...new Set(segOf.filter((s): s is SubmittedSegment => s !== undefined))];
  const free = days.map((_, k) => explicit[k] === undefined && segOf[k]?.total === undefined);
  let left = total - sum(totals);
  for (const seg of segments) {
    if (seg.total === undefined) continue;
    const idx = days.flatMap((_, k) => (segOf[k] === seg && !explicit[k] ? [k] : []));
    apportion(seg.total, idx.map((k) => w[k] ?? 0)).forEach((n, j) => (totals[idx[j] ?? 0] = n));
    left -= seg.total;
  }
  if (left < 0) throw new Error(`${p.customer} ${month}: explicit submitted days exceed the month`);
  const freeIdx = days.flatMap((_, k) => (free[k] ? [k] : []));
  apportion(left, freeIdx.map((k) => w[k] ?? 0)).forEach((n, j) => (totals[freeIdx[j] ?? 0] = n));

  // Missing: explicit days, then named ones outside segments, then fixed/rate segments, then the 'rest' segment.
  const namedMissing = days.map((d) => named.filter((n) => n.customer === p.customer && n.population === 'submitted' && isNamedMissing(n) && Math.floor(n.createdMs / DAY_MS) * DAY_MS === d).length);
  days.forEach((_, k) => {
    if (!explicit[k] && !segOf[k]) missings[k] = namedMissing[k] ?? 0;
  });
  const place = (seg: SubmittedSegment, count: number) => {
    const idx = days.flatMap((_, k) => (segOf[k] === seg && !explicit[k] ? [k] : []));
    const ramp = seg.missingRamp ?? [1, 1];
    const weights = idx.map((k, j) => (totals[k] ?? 0) * (ramp[0] + ((ramp[1] - ramp[0]) * j) / Math.max(1, idx.length - 1)));
    apportion(count, weights, idx.map((k) => totals[k] ?? 0)).forEach((n, j) => (missings[idx[j] ?? 0] = n));
  };
  let rest: SubmittedSegment | undefined;
  for (const seg of segments) {
    const segTotal = sum(days.flatMap((_, k) => (segOf[k] === seg && !explicit[k] ? [totals[k] ?? 0] : [])));
    if (seg.missing === 'rest') rest = seg;
    else place(seg, typeof seg.missing === 'number' ? seg.missing : Math.round(seg.missing.rate * segTotal));
  }
  const restCount = missing - sum(missings);
  if (rest) place(rest, restCount);
  else if (restCount !== 0) throw new Error(`${p.customer} ${month}: ${restCount} submitted missing left unplaced`);
  return days.map((d, k) => ({ day: d, total: totals[k] ?? 0, missing: missings[k] ?? 0 }));
}

function namedIn(named: NamedScorecard[], customer: string, population: Population, from: number, to: number) {
  const inside = named.filter((n) => n.customer === customer && n.population === population && n.cls === 'in_scope' && n.createdMs >= from && n.createdMs < to);
  const missing = inside.filter(isNamedMissing).length;
  return { missing, present: inside.length - missing };
}

function excludedLeaves(
  base: Omit<Leaf, 'kind' | 'count' | 'hourMs' | 'part' | 'batch'>,
  total: number,
  cells: { hourMs: number; weight: number }[],
): Leaf[] {
  const out: Leaf[] = [];
  for (const [kind, share] of [['calibration', EXCLUDED_SHARE.calibration], ['non_original', EXCLUDED_SHARE.nonOriginal]] as const) {
    apportion(Math.round(total * share), cells.map((c) => c.weight)).forEach((count, j) => {
      const cell = cells[j];
      if (count > 0 && cell) out.push({ ...base, kind, hourMs: cell.hourMs, part: '', batch: false, count });
    });
  }
  return out;
}

export function submittedLeaves(p: CustomerProfile, named: NamedScorecard[], seed: number): Leaf[] {
  const leaves: Leaf[] = [];
  const base = { customer: p.customer, population: 'submitted' as const };
  for (const month of MONTHS) {
    const days = submittedMonthDays(p, month, named, seed);
    const cells: { hourMs: number; weight: number }[] = [];
    for (const { day, total, missing } of days) {
      const n = namedIn(named, p.customer, 'submitted', day, day + DAY_MS);
      const present = total - missing - n.present;
      const bulkMissing = missing - n.missing;
      if (present < 0 || bulkMissing < 0) throw new Error(`${p.customer} ${dateOf(day)}: named scorecards exceed the day`);
      const w = hourWeights(seed, `${p.customer}|s`, day);
      const byKind = [apportion(present, w), apportion(bulkMissing, w)];
      w.forEach((_, h) => {
        const hour = day + h * HOUR_MS;
        const [pc, mc] = [byKind[0]?.[h] ?? 0, byKind[1]?.[h] ?? 0];
        if (pc > 0) leaves.push({ ...base, kind: 'present', hourMs: hour, part: '', batch: false, count: pc });
        if (mc > 0) leaves.push({ ...base, kind: 'missing', hourMs: hour, part: '', batch: false, count: mc });
        if (pc + mc > 0) cells.push({ hourMs: hour, weight: pc + mc });
      });
    }
    leaves.push(...excludedLeaves(base, p.submitted.months[month]?.[0] ?? 0, cells));
  }
  return leaves;
}

export interface Cell {
  hourMs: number;
  type: 'explicit' | 'batch' | 'run' | 'background';
  total: number;
  missing: number;
  fixedMissing: boolean;
  templates?: readonly (readonly [string, number, number])[];
  batchTemplates?: readonly (readonly [string, number])[];
  namedPresent: number;
  namedMissing: number;
}

/** Unsubmitted cells (one per hour) of a month, including the named scorecards. */
export function unsubmittedMonthCells(p: CustomerProfile, month: string, named: NamedScorecard[], seed: number): Cell[] {
  const u = p.unsubmitted;
  const [total, missing] = u.months[month] ?? [0, 0];
  const days = monthDays(month).filter((d) => d >= dayMs(p.unsubmittedActiveFrom));
  if (total === 0) return [];
  const avgDaily = total / days.length;
  const cells: Cell[] = [];
  const bgWeights: number[] = [];
  const explicitAt = new Map(u.hours.map((e) => [hourMs(e.at), e]));
  const runs = u.runs.map((x) => ({ ...x, fromMs: dayMs(x.from), toMs: dayMs(x.to) }));
  const skips = new Set(u.skips.map((s) => dayMs(s.date) + s.hour * HOUR_MS));
  const namedHere = named.filter((n) => n.customer === p.customer && n.population === 'unsubmitted');
  for (const day of days) {
    const dw = dayWeight('unsubmitted', day, seed, `${p.customer}|u`);
    const hw = hourWeights(seed, `${p.customer}|u`, day);
    for (let h = 0; h < 24; h++) {
      const at = day + h * HOUR_MS;
      const r = keyedRandom(seed, `cell|${p.customer}|${at}`);
      const n = namedIn(namedHere, p.customer, 'unsubmitted', at, at + HOUR_MS);
      const cell: Cell = { hourMs: at, type: 'background', total: 0, missing: n.missing, fixedMissing: false, namedPresent: n.present, namedMissing: n.missing };
      const explicit = explicitAt.get(at);
      const run = runs.find((x) => x.hour === h && day >= x.fromMs && day < x.toMs);
      const batch = u.batches.find((b) => b.hour === h);
      const skipped = skips.has(at);
      if (explicit) {
        Object.assign(cell, { type: 'explicit', total: explicit.total, missing: explicit.missing, fixedMissing: true });
        if (explicit.templates) cell.templates = explicit.templates;
      } else if (run && !skipped) {
        const jitter = (spread: number) => 1 + spread * (2 * r() - 1);
        const runMissing = day < FIXED_MS ? Math.round(run.missing * jitter(0.3)) : 0;
        Object.assign(cell, { type: 'run', total: Math.round(run.total * jitter(run.jitter)), missing: runMissing + n.missing, fixedMissing: true });
        if (batch) cell.batchTemplates = batch.templates;
      } else if (batch && !skipped) {
        Object.assign(cell, { type: 'batch', total: Math.round(batch.share * avgDaily * (0.92 + 0.16 * r())) });
        cell.batchTemplates = batch.templates;
      }
      cells.push(cell);
      bgWeights.push(cell.type === 'background' ? dw * (hw[h] ?? 0) : 0);
    }
  }
  const background = total - sum(cells.map((c) => c.total));
  if (background < 0) throw new Error(`${p.customer} ${month}: batches exceed the month's unsubmitted total`);
  apportion(background, bgWeights).forEach((n, k) => {
    const cell = cells[k];
    if (cell && cell.type === 'background') cell.total = n;
  });
  // The chronic rest: spread over every hour not pinned by the report, before the fix, roughly by volume.
  const rest = missing - sum(cells.map((c) => c.missing));
  const eligible = cells.filter((c) => !c.fixedMissing && c.hourMs < FIXED_MS);
  const weights = eligible.map((c) => c.total * (0.25 + 1.5 * keyedRandom(seed, `chronic|${p.customer}|${c.hourMs}`)()));
  if (rest < 0) throw new Error(`${p.customer} ${month}: pinned unsubmitted missing exceed the month`);
  apportion(rest, weights, eligible.map((c) => c.total - c.missing - c.namedPresent)).forEach((n, k) => {
    const cell = eligible[k];
    if (cell) cell.missing += n;
  });
  for (const c of cells) {
    if (c.total - c.missing < c.namedPresent || c.missing < c.namedMissing) {
      throw new Error(`${p.customer} ${new Date(c.hourMs).toISOString()}: named scorecards exceed the hour`);
    }
  }
  return cells;
}

export function unsubmittedLeaves(p: CustomerProfile, named: NamedScorecard[], seed: number): Leaf[] {
  const leaves: Leaf[] = [];
  const base = { customer: p.customer, population: 'unsubmitted' as const };
  for (const month of MONTHS) {
    const cells = unsubmittedMonthCells(p, month, named, seed);
    const push = (c: Cell, kind: Kind, part: string, count: number) => {
      if (count > 0) leaves.push({ ...base, kind, hourMs: c.hourMs, part, batch: c.type !== 'background', count });
    };
    for (const c of cells) {
      const present = c.total - c.missing - c.namedPresent;
      const bulkMissing = c.missing - c.namedMissing;
      if (c.templates) {
        if (c.namedPresent + c.namedMissing > 0) throw new Error('named scorecards inside a template-pinned hour');
        for (const [title, t, m] of c.templates) {
          push(c, 'present', title, t - m);
          push(c, 'missing', title, m);
        }
      } else if (c.batchTemplates) {
        const shares = c.batchTemplates.map(([, s]) => s);
        apportion(present, shares).forEach((n, j) => push(c, 'present', c.batchTemplates?.[j]?.[0] ?? '', n));
        apportion(bulkMissing, shares).forEach((n, j) => push(c, 'missing', c.batchTemplates?.[j]?.[0] ?? '', n));
      } else {
        push(c, 'present', '', present);
        push(c, 'missing', '', bulkMissing);
      }
    }
    // Calibrations and appeals are people's work: background hours only, so batch hours stay exact.
    const bg = cells.filter((c) => c.type === 'background' && c.total > 0).map((c) => ({ hourMs: c.hourMs, weight: c.total }));
    leaves.push(...excludedLeaves(base, u(p, month), bg));
  }
  return leaves;
}

const u = (p: CustomerProfile, month: string): number => p.unsubmitted.months[month]?.[0] ?? 0;
