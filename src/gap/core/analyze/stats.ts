// Small, dependency-free statistics for counts of "missing out of total".
import { BAD_DAY } from './thresholds.js';

export interface Tally {
  total: number;
  missing: number;
}

export const rateOf = (t: Tally): number => (t.total > 0 ? t.missing / t.total : 0);

export function pool(ts: readonly Tally[]): Tally {
  let total = 0;
  let missing = 0;
  for (const t of ts) {
    total += t.total;
    missing += t.missing;
  }
  return { total, missing };
}

/** The Wilson score interval of a missing rate; [0, 0] for no scorecards. */
function wilsonInterval(t: Tally, z: number): { lower: number; upper: number } {
  if (t.total <= 0) return { lower: 0, upper: 0 };
  const n = t.total;
  const p = t.missing / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lower: Math.max(0, (centre - margin) / (1 + z2 / n)), upper: Math.min(1, (centre + margin) / (1 + z2 / n)) };
}

/** Lower bound of the Wilson score interval: a rate we are confident the true rate exceeds. */
export function wilsonLower(t: Tally, z: number = BAD_DAY.z): number {
  return wilsonInterval(t, z).lower;
}

/** Upper bound of the Wilson score interval: a rate we are confident the true rate stays under. */
export function wilsonUpper(t: Tally, z: number = BAD_DAY.z): number {
  return wilsonInterval(t, z).upper;
}

/** A day on which missing is really happening: over 1% with 95% confidence, and more than a one-off. */
export const isBad = (t: Tally): boolean => t.missing >= BAD_DAY.minMissing && wilsonLower(t) > BAD_DAY.rate;

const xlog = (x: number, y: number): number => (x === 0 ? 0 : x * Math.log(y));

/** Maximised binomial log-likelihood of a pooled tally (its own rate as the estimate). */
export function binomialLogLik(t: Tally): number {
  if (t.total === 0) return 0;
  const p = t.missing / t.total;
  return xlog(t.missing, p) + xlog(t.total - t.missing, 1 - p);
}

/** Pearson chi-square of the days around a common rate p: how far the days scatter beyond binomial noise. */
export function pearsonChi2(days: readonly Tally[], p: number): number {
  if (p <= 0 || p >= 1) return 0;
  let x2 = 0;
  for (const d of days) {
    if (d.total === 0) continue;
    const expected = d.total * p;
    x2 += (d.missing - expected) ** 2 / (expected * (1 - p));
  }
  return x2;
}

/** Two-proportion z statistic of a against b (pooled variance); 0 when either side is empty. */
export function twoProportionZ(a: Tally, b: Tally): number {
  if (a.total === 0 || b.total === 0) return 0;
  const p = (a.missing + b.missing) / (a.total + b.total);
  const se = Math.sqrt(p * (1 - p) * (1 / a.total + 1 / b.total));
  if (se === 0) return 0;
  return (rateOf(a) - rateOf(b)) / se;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
