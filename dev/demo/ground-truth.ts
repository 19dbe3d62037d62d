import { cohortScoreSum, md5, memberCreatedMs, memberSubmittedMs, uuid7 } from './ids.js';
import { CHANGE_POINT_ON, type Customer, FIXED_ON, PLANTED_EVENTS } from './incident-profile.js';
import { type CheckCase, isNamedMissing, type NamedScorecard, type Population } from './named.js';
import { DAY_MS, dayMs, HOUR_MS, hourMs, isoOf } from './numbers.js';
import type { Cohort, DemoPlan } from './plan.js';

// groundTruth(plan): what the database must show, computed from the plan alone (exact integers, no queries).
// Keys: months 'YYYY-MM', dates 'YYYY-MM-DD', hours 'YYYY-MM-DDTHH' (UTC, by created_at unless named otherwise).
// Counts are in-scope scorecards (not calibration, original type) as [total, missing-from-historic].

export type CountPair = [total: number, missing: number];
export type ByKey = Record<string, CountPair>;
export interface FirstMissing {
  scorecardId: string;
  createdAt: string;
  submittedAt: string | null;
}
export interface Window {
  from: string;
  to: string;
  total: number;
  missing: number;
  rate: number;
}
export type PlantedEvent =
  | { kind: 'onset'; population: 'submitted'; at: string; scorecardId: string; firstDayOver1Pct: string | null; oneOffsBefore: FirstMissing[] }
  | { kind: 'change_point'; population: 'submitted'; at: string; before: Window; after: Window }
  | { kind: 'recovery'; population: Population; at: string; before: Window; after: Window }
  | {
      kind: 'batch_failure';
      population: 'unsubmitted';
      at: string;
      total: number;
      missing: number;
      neighbours: { at: string; total: number; missing: number }[];
      templates: { templateId: string; title: string; total: number; count: number }[];
    }
  | {
      kind: 'recurring_failure';
      population: 'unsubmitted';
      hourOfDay: number;
      from: string;
      to: string;
      fixedOn: string;
      skipped: string[];
      days: number;
      total: number;
      missing: number;
      byDay: ByKey;
      fixedDay: CountPair;
    }
  | {
      kind: 'submit_date_correlation';
      population: 'submitted';
      createdOn: string;
      createdBefore: string;
      count: number;
      submittedFrom: string;
      submittedTo: string;
      scorecardIds: string[];
    }
  | { kind: 'clickhouse_gap'; population: Population; count: number; days: { date: string; count: number }[] };

export interface CheckCaseTruth {
  customer: Customer;
  population: Population;
  scorecardId: string;
  createdAt: string;
  /** named: planted individually; bulk: an ordinary member of the bulk data (used when no named one is in range). */
  source: 'named' | 'bulk';
}

export interface RowCounts {
  scorecards: number;
  scores: number;
  historic: number;
  clickhouse: number;
  chats: number;
}

export interface CustomerTruth {
  customer: Customer;
  profile: string;
  monthly: Record<Population, ByKey>;
  daily: Record<Population, ByKey>;
  hourly: Record<Population, ByKey>;
  /** Submitted population by the date it was submitted. */
  dailyBySubmitted: ByKey;
  /** Missing submitted scorecards by 'createdDate|submittedDate'. */
  missingSubmittedPairs: Record<string, number>;
  excluded: { calibration: number; nonOriginal: number; daily: Record<string, { calibration: number; nonOriginal: number }> };
  firstMissing: Record<Population, FirstMissing | null>;
  /** Present in historic, absent from ClickHouse (distinct scorecards), by created date. */
  clickhouseMissing: { date: string; population: Population; missing: number }[];
  /** Partial scorecards (in scope, some historic rows but fewer criteria than director.scores) by created hour
   *  'YYYY-MM-DDTHH'; only planted ones (cohorts are written whole or not at all). */
  partial: Record<Population, Record<string, number>>;
  events: PlantedEvent[];
  rows: RowCounts;
}

export interface GroundTruth {
  version: 1;
  seed: number;
  scale: number;
  submittedScale: number;
  profileId: string;
  from: string;
  to: string;
  customers: Customer[];
  /** Where the loader mirrored historic; null: ClickHouse not loaded (clickhouseMissing then describes the intent). */
  clickhouse: { database: string; table: string } | null;
  rows: RowCounts;
  perCustomer: Partial<Record<Customer, CustomerTruth>>;
  checkCases: Record<CheckCase, CheckCaseTruth | null>;
  named: {
    name: string;
    role: NamedScorecard['role'];
    checkCase: CheckCase | null;
    customer: Customer;
    population: Population;
    scorecardId: string;
    conversationId: string;
    conversationExists: boolean;
    createdAt: string;
    submittedAt: string | null;
    scores: number;
    historic: number;
    inClickhouse: boolean;
    excluded: boolean;
    missing: boolean;
  }[];
}

const dateKey = (ms: number) => isoOf(ms).slice(0, 10);
const hourKey = (ms: number) => isoOf(ms).slice(0, 13);
const bump = (m: ByKey, k: string, total: number, missing: number) => {
  const v = m[k] ?? [0, 0];
  v[0] += total;
  v[1] += missing;
  m[k] = v;
};
const rate = (t: number, m: number) => (t === 0 ? 0 : m / t);

function windowOf(daily: ByKey, from: string, to: string): Window {
  let total = 0;
  let missing = 0;
  for (const [d, [t, m]] of Object.entries(daily)) {
    if (d >= from && d < to) {
      total += t;
      missing += m;
    }
  }
  return { from, to, total, missing, rate: rate(total, missing) };
}

function firstMemberOf(c: Cohort): FirstMissing & { ms: number } {
  const h = md5(`${c.key}|1`);
  const created = memberCreatedMs(c.hourMs, c.count, 1, h);
  const submitted = c.delayDays === null ? null : memberSubmittedMs(created, c.delayDays, h);
  return { scorecardId: uuid7(created, h), createdAt: isoOf(created), submittedAt: submitted === null ? null : isoOf(submitted), ms: created };
}

function namedFirst(n: NamedScorecard): FirstMissing {
  return { scorecardId: n.scorecardId, createdAt: isoOf(n.createdMs), submittedAt: n.submittedMs === null ? null : isoOf(n.submittedMs) };
}

function customerTruth(plan: DemoPlan, customer: Customer, cohorts: Cohort[], named: NamedScorecard[]): CustomerTruth {
  const pops: Population[] = ['submitted', 'unsubmitted'];
  const empty = (): Record<Population, ByKey> => ({ submitted: {}, unsubmitted: {} });
  const [monthly, daily, hourly] = [empty(), empty(), empty()];
  const dailyBySubmitted: ByKey = {};
  const pairs: Record<string, number> = {};
  const excluded = { calibration: 0, nonOriginal: 0, daily: {} as CustomerTruth['excluded']['daily'] };
  const rows: RowCounts = { scorecards: 0, scores: 0, historic: 0, clickhouse: 0, chats: 0 };
  const addScorecard = (pop: Population, createdMs: number, submittedMs: number | null, n: number, missing: number) => {
    const hk = hourKey(createdMs);
    bump(hourly[pop], hk, n, missing);
    bump(daily[pop], hk.slice(0, 10), n, missing);
    bump(monthly[pop], hk.slice(0, 7), n, missing);
    if (submittedMs !== null) {
      const sd = dateKey(submittedMs);
      bump(dailyBySubmitted, sd, n, missing);
      if (missing > 0) pairs[`${hk.slice(0, 10)}|${sd}`] = (pairs[`${hk.slice(0, 10)}|${sd}`] ?? 0) + missing;
    }
  };
  const addExcluded = (cls: 'calibration' | 'non_original', createdMs: number, n: number) => {
    const d = dateKey(createdMs);
    const v = excluded.daily[d] ?? { calibration: 0, nonOriginal: 0 };
    if (cls === 'calibration') {
      v.calibration += n;
      excluded.calibration += n;
    } else {
      v.nonOriginal += n;
      excluded.nonOriginal += n;
    }
    excluded.daily[d] = v;
  };
  for (const c of cohorts) {
    const scores = cohortScoreSum(c.scoreMin, c.scoreMax, c.scoreSalt, c.count);
    rows.scorecards += c.count;
    rows.scores += scores;
    if (c.cls !== 'calibration') rows.chats += c.count;
    if (c.cls === 'in_scope') {
      const sub = c.delayDays === null ? null : c.hourMs + c.delayDays * DAY_MS;
      addScorecard(c.population, c.hourMs, sub, c.count, c.missing ? c.count : 0);
      if (!c.missing) {
        rows.historic += scores;
        rows.clickhouse += scores;
      }
    } else addExcluded(c.cls, c.hourMs, c.count);
  }
  const gap: Record<Population, Record<string, number>> = { submitted: {}, unsubmitted: {} };
  const partial: Record<Population, Record<string, number>> = { submitted: {}, unsubmitted: {} };
  for (const n of named) {
    // The loader writes historic criteria 1..historicCount of director's 1..scoreCount: a subset.
    if (n.cls === 'in_scope' && n.historicCount > 0 && n.historicCount < n.scoreCount) {
      partial[n.population][hourKey(n.createdMs)] = (partial[n.population][hourKey(n.createdMs)] ?? 0) + 1;
    }
    rows.scorecards += 1;
    rows.scores += n.scoreCount;
    rows.historic += n.historicCount;
    if (n.inClickhouse) rows.clickhouse += n.historicCount;
    else if (n.historicCount > 0) gap[n.population][dateKey(n.createdMs)] = (gap[n.population][dateKey(n.createdMs)] ?? 0) + 1;
    if (n.conversationExists && n.cls !== 'calibration') rows.chats += 1;
    if (n.cls === 'in_scope') addScorecard(n.population, n.createdMs, n.submittedMs, 1, isNamedMissing(n) ? 1 : 0);
    else addExcluded(n.cls, n.createdMs, 1);
  }

  const firstMissing = {} as Record<Population, FirstMissing | null>;
  for (const pop of pops) {
    const missingCohorts = cohorts.filter((c) => c.population === pop && c.missing);
    const earliest = missingCohorts.reduce((m, c) => Math.min(m, c.hourMs), Infinity);
    const candidates = [
      ...missingCohorts.filter((c) => c.hourMs === earliest).map(firstMemberOf),
      ...named.filter((n) => n.population === pop && isNamedMissing(n)).map((n) => ({ ...namedFirst(n), ms: n.createdMs })),
    ].sort((a, b) => a.ms - b.ms);
    const first = candidates[0];
    firstMissing[pop] = first ? { scorecardId: first.scorecardId, createdAt: first.createdAt, submittedAt: first.submittedAt } : null;
  }

  const clickhouseMissing = pops.flatMap((population) =>
    Object.entries(gap[population]).sort().map(([date, missing]) => ({ date, population, missing })),
  );
  const events = plantedEvents(plan, customer, { daily, hourly, cohorts, named, gap });
  const sorted = (m: ByKey): ByKey => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));
  for (const pop of pops) [monthly[pop], daily[pop], hourly[pop]] = [sorted(monthly[pop]), sorted(daily[pop]), sorted(hourly[pop])];
  excluded.daily = Object.fromEntries(Object.entries(excluded.daily).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    customer, profile: plan.profileId, monthly, daily, hourly, dailyBySubmitted: sorted(dailyBySubmitted),
    missingSubmittedPairs: Object.fromEntries(Object.entries(pairs).sort(([a], [b]) => (a < b ? -1 : 1))),
    excluded, firstMissing, clickhouseMissing, partial, events, rows,
  };
}

interface EventInputs {
  daily: Record<Population, ByKey>;
  hourly: Record<Population, ByKey>;
  cohorts: Cohort[];
  named: NamedScorecard[];
  gap: Record<Population, Record<string, number>>;
}

function plantedEvents(plan: DemoPlan, customer: Customer, x: EventInputs): PlantedEvent[] {
  const events: PlantedEvent[] = [];
  const inRange = (date: string) => date >= plan.from && date < plan.to;
  const sub = x.daily.submitted;
  const onsetNamed = x.named
    .filter((n) => n.role === 'first_missing' || n.role === 'submit_date_correlation')
    .sort((a, b) => a.createdMs - b.createdMs)[0];
  if (onsetNamed) {
    const onsetDay = dateKey(onsetNamed.createdMs);
    const over = Object.keys(sub).sort().find((d) => d >= onsetDay && rate(...(sub[d] ?? [0, 0])) > 0.01) ?? null;
    const oneOffs = x.named.filter((n) => n.role === 'one_off').map(namedFirst);
    events.push({ kind: 'onset', population: 'submitted', at: isoOf(onsetNamed.createdMs), scorecardId: onsetNamed.scorecardId, firstDayOver1Pct: over, oneOffsBefore: oneOffs });
    if (inRange(CHANGE_POINT_ON)) {
      events.push({ kind: 'change_point', population: 'submitted', at: CHANGE_POINT_ON, before: windowOf(sub, onsetDay, CHANGE_POINT_ON), after: windowOf(sub, CHANGE_POINT_ON, FIXED_ON) });
    }
  }
  const rec = PLANTED_EVENTS.recovery;
  for (const pop of ['submitted', 'unsubmitted'] as const) {
    if (!inRange(FIXED_ON) || !(rec[pop] as readonly string[]).includes(customer)) continue;
    const before = windowOf(x.daily[pop], dateKey(dayMs(FIXED_ON) - 14 * DAY_MS), FIXED_ON);
    if (before.missing > 0) events.push({ kind: 'recovery', population: pop, at: FIXED_ON, before, after: windowOf(x.daily[pop], FIXED_ON, plan.to) });
  }
  const bf = PLANTED_EVENTS.batchFailure;
  if (bf.customer === customer && x.hourly.unsubmitted[bf.at]) {
    const at = hourMs(bf.at);
    const [total, missing] = x.hourly.unsubmitted[bf.at] ?? [0, 0];
    const templates = new Map<string, { templateId: string; title: string; total: number; count: number }>();
    for (const c of x.cohorts) {
      if (c.hourMs !== at || c.population !== 'unsubmitted' || c.cls !== 'in_scope') continue;
      const t = templates.get(c.templateId) ?? { templateId: c.templateId, title: c.templateTitle, total: 0, count: 0 };
      t.total += c.count;
      if (c.missing) t.count += c.count;
      templates.set(c.templateId, t);
    }
    const neighbours = [at - HOUR_MS, at + HOUR_MS].map((ms) => {
      const [t, m] = x.hourly.unsubmitted[hourKey(ms)] ?? [0, 0];
      return { at: isoOf(ms), total: t, missing: m };
    });
    events.push({ kind: 'batch_failure', population: 'unsubmitted', at: isoOf(at), total, missing, neighbours, templates: [...templates.values()].sort((a, b) => b.total - a.total) });
  }
  const rf = PLANTED_EVENTS.recurringFailure;
  if (rf.customer === customer && inRange(rf.from)) {
    const byDay: ByKey = {};
    for (let d = dayMs(rf.from); d < dayMs(rf.fixedOn); d += DAY_MS) {
      const date = dateKey(d);
      if ((rf.skipped as readonly string[]).includes(date) || !inRange(date)) continue;
      byDay[date] = x.hourly.unsubmitted[hourKey(d + rf.hourOfDay * HOUR_MS)] ?? [0, 0];
    }
    const values = Object.values(byDay);
    events.push({
      kind: 'recurring_failure', population: 'unsubmitted', hourOfDay: rf.hourOfDay, from: rf.from,
      to: dateKey(dayMs(rf.fixedOn) - DAY_MS), fixedOn: rf.fixedOn, skipped: [...rf.skipped], days: values.length,
      total: values.reduce((s, v) => s + v[0], 0), missing: values.reduce((s, v) => s + v[1], 0), byDay,
      fixedDay: x.hourly.unsubmitted[hourKey(dayMs(rf.fixedOn) + rf.hourOfDay * HOUR_MS)] ?? [0, 0],
    });
  }
  const corr = x.named.filter((n) => n.role === 'submit_date_correlation').sort((a, b) => a.createdMs - b.createdMs);
  if (corr.length > 0) {
    const subDates = corr.map((n) => dateKey(n.submittedMs ?? 0)).sort();
    const createdOn = dateKey(corr[0]?.createdMs ?? 0);
    events.push({
      kind: 'submit_date_correlation', population: 'submitted', createdOn, createdBefore: dateKey(dayMs(createdOn) + DAY_MS),
      count: corr.length, submittedFrom: subDates[0] ?? '', submittedTo: subDates[subDates.length - 1] ?? '', scorecardIds: corr.map((n) => n.scorecardId),
    });
  }
  for (const pop of ['submitted', 'unsubmitted'] as const) {
    const days = Object.entries(x.gap[pop]).sort().map(([date, count]) => ({ date, count }));
    if (days.length > 0) events.push({ kind: 'clickhouse_gap', population: pop, count: days.reduce((s, d) => s + d.count, 0), days });
  }
  return events;
}

const CHECK_CASES: CheckCase[] = ['missingHistoric', 'healthy', 'calibration', 'nonOriginal', 'noScores', 'conversationMissing', 'partialHistoric', 'missingClickhouse'];

function checkCases(plan: DemoPlan): Record<CheckCase, CheckCaseTruth | null> {
  const out = {} as Record<CheckCase, CheckCaseTruth | null>;
  // Bulk stand-ins keep subsets (e.g. spirit's January) testable for the cases the bulk data has.
  const bulk: Partial<Record<CheckCase, (c: Cohort) => boolean>> = {
    missingHistoric: (c) => c.cls === 'in_scope' && c.missing,
    healthy: (c) => c.cls === 'in_scope' && !c.missing,
    calibration: (c) => c.cls === 'calibration',
    nonOriginal: (c) => c.cls === 'non_original',
  };
  for (const cc of CHECK_CASES) {
    const n = plan.named.find((x) => x.checkCase === cc);
    const pick = bulk[cc];
    const c = n ? undefined : pick && plan.cohorts.find(pick);
    if (n) out[cc] = { customer: n.customer, population: n.population, scorecardId: n.scorecardId, createdAt: isoOf(n.createdMs), source: 'named' };
    else if (c) {
      const m = firstMemberOf(c);
      out[cc] = { customer: c.customer, population: c.population, scorecardId: m.scorecardId, createdAt: m.createdAt, source: 'bulk' };
    } else out[cc] = null;
  }
  return out;
}

export function groundTruth(plan: DemoPlan, clickhouse: GroundTruth['clickhouse'] = null): GroundTruth {
  const perCustomer: GroundTruth['perCustomer'] = {};
  const rows: RowCounts = { scorecards: 0, scores: 0, historic: 0, clickhouse: 0, chats: 0 };
  for (const customer of plan.customers) {
    const truth = customerTruth(plan, customer, plan.cohorts.filter((c) => c.customer === customer), plan.named.filter((n) => n.customer === customer));
    perCustomer[customer] = truth;
    for (const k of Object.keys(rows) as (keyof RowCounts)[]) rows[k] += truth.rows[k];
  }
  return {
    version: 1, seed: plan.seed, scale: plan.scale, submittedScale: plan.submittedScale, profileId: plan.profileId, from: plan.from, to: plan.to,
    customers: plan.customers, clickhouse, rows, perCustomer, checkCases: checkCases(plan),
    named: plan.named.map((n) => ({
      name: n.name, role: n.role, checkCase: n.checkCase, customer: n.customer, population: n.population,
      scorecardId: n.scorecardId, conversationId: n.conversationId, conversationExists: n.conversationExists,
      createdAt: isoOf(n.createdMs), submittedAt: n.submittedMs === null ? null : isoOf(n.submittedMs),
      scores: n.scoreCount, historic: n.historicCount, inClickhouse: n.inClickhouse, excluded: n.cls !== 'in_scope',
      missing: isNamedMissing(n),
    })),
  };
}
