import { stableUuid } from './ids.js';
import {
  CUSTOMERS,
  type Customer,
  DATA_FROM,
  DATA_TO,
  FIXED_ON,
  INCIDENT_PROFILE,
  PROFILE_ID,
  SCORES_PER_SCORECARD,
} from './incident-profile.js';
import { type NamedScorecard, namedScorecards, type Population, type ScorecardClass } from './named.js';
import { apportion, dateOf, DAY_MS, dayMs, hourOf, keyedRandom } from './numbers.js';
import { type Kind, type Leaf, submittedLeaves, unsubmittedLeaves } from './plan-cells.js';

// buildPlan: the whole dataset as cohorts (scorecards sharing customer, created hour, kind, template, submit delay)
// plus the named scorecards. Pure and deterministic for (seed, scale); subsets are cut from the full plan, so a
// scorecard's id does not depend on which customers or dates were asked for.

export interface PlanOptions {
  seed: number;
  scale: number;
  /**
   * Scale of the submitted population alone (default: scale). Submitted scorecards are few (thousands a month),
   * so tests and the demo keep them at 1: the report's submitted tables then appear exactly, and the daily
   * change points stay visible, while the millions of unsubmitted ones are scaled down.
   */
  submittedScale?: number;
  customers?: readonly Customer[];
  /** 'YYYY-MM-DD', inclusive; default the dataset's start. */
  from?: string;
  /** 'YYYY-MM-DD', exclusive; default the dataset's end. */
  to?: string;
}

export interface Cohort {
  /** Unique; member i's hash is md5(`${key}|${i}`). */
  key: string;
  customer: Customer;
  population: Population;
  cls: ScorecardClass;
  hourMs: number;
  count: number;
  /** In-scope members absent from historic. */
  missing: boolean;
  /** submitted_at lands on created date + this many days; null: unsubmitted. */
  delayDays: number | null;
  templateId: string;
  templateTitle: string;
  batch: boolean;
  scoreMin: number;
  scoreMax: number;
  scoreSalt: number;
  /** Calibration cohorts calibrate members of this in-scope cohort (member ((i - 1) % count) + 1). */
  ref: { key: string; hourMs: number; count: number } | null;
}

export interface Template {
  customer: Customer;
  id: string;
  title: string;
}

export interface DemoPlan {
  seed: number;
  scale: number;
  submittedScale: number;
  profileId: string;
  from: string;
  to: string;
  customers: Customer[];
  cohorts: Cohort[];
  named: NamedScorecard[];
  templates: Template[];
}

const templateIds = new Map<string, string>();
export function templateId(customer: Customer, title: string): string {
  const key = `template|${customer}|${title}`;
  let id = templateIds.get(key);
  if (id === undefined) {
    id = stableUuid(key);
    templateIds.set(key, id);
  }
  return id;
}

const KIND_CLASS: Record<Kind, ScorecardClass> = {
  present: 'in_scope',
  missing: 'in_scope',
  calibration: 'calibration',
  non_original: 'non_original',
};

/** Scales leaves level by level (month, day, hour, leaf) with largest remainder: sums stay exact at each level. */
function scaleLeaves(leaves: Leaf[], scaleOf: (population: Leaf['population']) => number): number[] {
  const out = leaves.map(() => 0);
  const monthCache = new Map<number, number>();
  const monthIndex = (ms: number): number => {
    const day = Math.floor(ms / DAY_MS);
    let m = monthCache.get(day);
    if (m === undefined) {
      const d = new Date(ms);
      m = d.getUTCFullYear() * 12 + d.getUTCMonth();
      monthCache.set(day, m);
    }
    return m;
  };
  const levels: ((l: Leaf) => number)[] = [(l) => monthIndex(l.hourMs), (l) => Math.floor(l.hourMs / DAY_MS), (l) => l.hourMs];
  const recurse = (idx: number[], target: number, level: number, scale: number) => {
    const keyOf = levels[level];
    if (!keyOf) {
      apportion(target, idx.map((i) => leaves[i]?.count ?? 0)).forEach((n, j) => (out[idx[j] ?? 0] = n));
      return;
    }
    const groups = new Map<number, number[]>();
    for (const i of idx) {
      const leaf = leaves[i];
      if (!leaf) continue;
      const k = keyOf(leaf);
      const g = groups.get(k);
      if (g) g.push(i);
      else groups.set(k, [i]);
    }
    const lists = [...groups.values()];
    const sums = lists.map((g) => g.reduce((s, i) => s + (leaves[i]?.count ?? 0), 0));
    const targets = level === 0 ? sums.map((s) => Math.round(s * scale)) : apportion(target, sums);
    lists.forEach((g, j) => recurse(g, targets[j] ?? 0, level + 1, scale));
  };
  // Each (customer, population, kind) series is scaled on its own.
  const series = new Map<string, number[]>();
  leaves.forEach((l, i) => {
    const k = `${l.customer}|${l.population}|${l.kind}`;
    const s = series.get(k);
    if (s) s.push(i);
    else series.set(k, [i]);
  });
  for (const idx of series.values()) recurse(idx, 0, 0, scaleOf(leaves[idx[0] ?? 0]!.population));
  return out;
}

/** Submit delays in days: mostly 0-3 (chosen). Missing ones are submitted before the fix (missing follows submit). */
function drawDelay(r: () => number): number {
  const x = r();
  if (x < 0.5) return 0;
  if (x < 0.75) return 1;
  if (x < 0.87) return 2;
  if (x < 0.95) return 3;
  return 4 + Math.floor(r() * 7);
}

const LAST_BAD_DAY_MS = dayMs(FIXED_ON) - DAY_MS;
const LAST_DAY_MS = dayMs(DATA_TO) - DAY_MS;

function pickTemplate(customer: Customer, r: () => number): string {
  const templates = INCIDENT_PROFILE[customer].templates;
  const total = templates.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [title, w] of templates) {
    x -= w;
    if (x < 0) return title;
  }
  return templates[0]?.[0] ?? 'Default';
}

function leafCohorts(seed: number, leaf: Leaf, count: number): Cohort[] {
  const pop = leaf.population === 'submitted' ? 's' : 'u';
  const leafKey = `${leaf.customer}|${pop}|${hourOf(leaf.hourMs)}|${leaf.kind}|${leaf.part}`;
  const r = keyedRandom(seed, leafKey);
  const title = leaf.part || pickTemplate(leaf.customer, r);
  const [scoreMin, scoreMax] = SCORES_PER_SCORECARD[leaf.population];
  const base = {
    customer: leaf.customer,
    population: leaf.population,
    cls: KIND_CLASS[leaf.kind],
    hourMs: leaf.hourMs,
    missing: leaf.kind === 'missing',
    templateId: templateId(leaf.customer, title),
    templateTitle: title,
    batch: leaf.batch,
    scoreMin,
    scoreMax,
    ref: null,
  };
  if (leaf.population === 'unsubmitted') {
    return [{ ...base, key: `${seed}|${leafKey}`, count, delayDays: null, scoreSalt: Math.floor(r() * 997) }];
  }
  const day = Math.floor(leaf.hourMs / DAY_MS) * DAY_MS;
  const maxDelay = Math.round(((leaf.kind === 'missing' ? LAST_BAD_DAY_MS : LAST_DAY_MS) - day) / DAY_MS);
  if (maxDelay < 0) throw new Error(`missing submitted scorecards planned after the fix (${dateOf(day)})`);
  const byDelay = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const d = Math.min(drawDelay(r), maxDelay);
    byDelay.set(d, (byDelay.get(d) ?? 0) + 1);
  }
  return [...byDelay.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([d, n]) => ({ ...base, key: `${seed}|${leafKey}|d${d}`, count: n, delayDays: d, scoreSalt: Math.floor(r() * 997) }));
}

/** Calibrations calibrate an in-scope scorecard of the same customer and population, from the nearest hour. */
function assignRefs(cohorts: Cohort[]): void {
  const targets = new Map<string, Cohort[]>();
  for (const c of cohorts) {
    if (c.cls !== 'in_scope') continue;
    const k = `${c.customer}|${c.population}`;
    const list = targets.get(k);
    if (list) list.push(c);
    else targets.set(k, [c]);
  }
  for (const list of targets.values()) list.sort((a, b) => a.hourMs - b.hourMs || (a.key < b.key ? -1 : 1));
  for (const c of cohorts) {
    if (c.cls !== 'calibration') continue;
    const list = targets.get(`${c.customer}|${c.population}`) ?? targets.get(`${c.customer}|${c.population === 'submitted' ? 'unsubmitted' : 'submitted'}`);
    if (!list || list.length === 0) throw new Error(`no in-scope scorecard to calibrate for ${c.customer}`);
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid]?.hourMs ?? 0) < c.hourMs) lo = mid + 1;
      else hi = mid;
    }
    const after = list[lo];
    const before = list[Math.max(0, lo - 1)];
    const target = after && before && Math.abs(before.hourMs - c.hourMs) < Math.abs(after.hourMs - c.hourMs) ? before : after;
    if (target) c.ref = { key: target.key, hourMs: target.hourMs, count: target.count };
  }
}

export function validatePlanOptions(o: PlanOptions): string[] {
  const problems: string[] = [];
  if (!(o.scale > 0 && o.scale <= 1)) problems.push(`scale must be in (0, 1], got ${o.scale}`);
  if (o.submittedScale !== undefined && !(o.submittedScale > 0 && o.submittedScale <= 1)) problems.push(`submittedScale must be in (0, 1], got ${o.submittedScale}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) problems.push(`seed must be an integer in [0, 2^32), got ${o.seed}`);
  for (const c of o.customers ?? []) if (!CUSTOMERS.includes(c)) problems.push(`unknown customer ${c}`);
  const from = o.from ?? DATA_FROM;
  const to = o.to ?? DATA_TO;
  for (const d of [from, to]) if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(d))) problems.push(`bad date ${d}`);
  if (problems.length === 0 && !(dayMs(from) < dayMs(to))) problems.push(`from ${from} must be before to ${to}`);
  if (problems.length === 0 && (dayMs(from) < dayMs(DATA_FROM) || dayMs(to) > dayMs(DATA_TO))) {
    problems.push(`the dataset covers ${DATA_FROM}..${DATA_TO}; got ${from}..${to}`);
  }
  return problems;
}

export function buildPlan(options: PlanOptions): DemoPlan {
  const problems = validatePlanOptions(options);
  if (problems.length > 0) throw new Error(`buildPlan: ${problems.join('; ')}`);
  const { seed, scale } = options;
  const submittedScale = options.submittedScale ?? scale;
  const customers = CUSTOMERS.filter((c) => !options.customers || options.customers.includes(c));
  const from = options.from ?? DATA_FROM;
  const to = options.to ?? DATA_TO;
  const [fromMs, toMs] = [dayMs(from), dayMs(to)];
  const allNamed = namedScorecards();
  const cohorts: Cohort[] = [];
  // A customer's leaves never depend on the other customers, and dates are cut after scaling: subsets are exact
  // slices of the full plan.
  for (const customer of customers) {
    const profile = INCIDENT_PROFILE[customer];
    const named = allNamed.filter((n) => n.customer === customer);
    const leaves = [...submittedLeaves(profile, named, seed), ...unsubmittedLeaves(profile, named, seed)];
    const scaled = scaleLeaves(leaves, (population) => (population === 'submitted' ? submittedScale : scale));
    leaves.forEach((leaf, i) => {
      const n = scaled[i] ?? 0;
      if (n > 0 && leaf.hourMs >= fromMs && leaf.hourMs < toMs) cohorts.push(...leafCohorts(seed, leaf, n));
    });
  }
  assignRefs(cohorts);
  const named = allNamed.filter((n) => customers.includes(n.customer) && n.createdMs >= fromMs && n.createdMs < toMs);
  const titles = new Map<string, Template>();
  for (const customer of customers) {
    const p = INCIDENT_PROFILE[customer];
    const all = [
      ...p.templates.map(([t]) => t),
      ...p.unsubmitted.batches.flatMap((b) => b.templates.map(([t]) => t)),
      ...p.unsubmitted.hours.flatMap((h) => (h.templates ?? []).map(([t]) => t)),
    ];
    for (const title of all) titles.set(`${customer}|${title}`, { customer, id: templateId(customer, title), title });
  }
  return { seed, scale, submittedScale, profileId: PROFILE_ID, from, to, customers: [...customers], cohorts, named, templates: [...titles.values()] };
}
