// The hours a report's hourly table should show: the evidence behind the hour-level findings.
import type { Finding } from '../report.js';
import type { GapSeries } from '../series.js';
import { addDays, DAY_MS, HOUR_MS, hourOn, shiftHours } from './view.js';
import { weeklyHours } from './weekly-failure.js';

/**
 * - a one-day (or shorter) period: every hour of it;
 * - batch_failure: the hour and its neighbours before and after (showing it stands alone);
 * - recurring_failure: the failing hour on every day from `from` to `to` (days without the job included: they show
 *   it did not run) and on `fixedOn`;
 * - weekly_failure at an hour: that hour on each failing occurrence and on `fixedOn` (a whole-day one: its days are
 *   in the daily table).
 * Sorted, without duplicates, as ISO instants.
 */
export function hoursThatMatter(series: GapSeries, findings: readonly Finding[]): string[] {
  const hours = new Set<string>();
  const from = Date.parse(series.period.from);
  const to = Date.parse(series.period.to);
  if (to - from <= DAY_MS) {
    const start = Math.floor(from / HOUR_MS) * HOUR_MS;
    for (let t = start; t < to; t += HOUR_MS) hours.add(new Date(t).toISOString());
  }
  for (const f of findings) {
    if (f.kind === 'batch_failure') {
      for (const n of [-1, 0, 1]) hours.add(shiftHours(f.at, n));
    } else if (f.kind === 'recurring_failure') {
      for (let d = f.from; d <= f.to; d = addDays(d, 1)) hours.add(hourOn(d, f.hourOfDay));
      if (f.fixedOn !== null) hours.add(hourOn(f.fixedOn, f.hourOfDay));
    } else if (f.kind === 'weekly_failure') {
      for (const h of weeklyHours(f)) hours.add(h);
    }
  }
  return [...hours].sort();
}
