import type { Period } from '../period/parse-period.js';

// An audit's lookback ("last-48h", "last-30d") ends at the audit's `now`, to the hour: an hourly audit always
// looks at the same number of whole hours. (The slash command's "last-14d" ends at the end of today instead.)

const HOUR_MS = 3_600_000;

export function lookbackPeriod(lookback: string, now: Date): Period {
  const m = /^last-(\d+)(h|d)$/.exec(lookback);
  if (!m) throw new Error(`bad lookback ${lookback}`);
  const hours = Number(m[1]) * (m[2] === 'd' ? 24 : 1);
  const to = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
  const from = new Date(to.getTime() - hours * HOUR_MS);
  const day = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ');
  const label = `last ${m[1]} ${m[2] === 'h' ? 'hours' : 'days'} (${day(from)} – ${day(to)} UTC)`;
  return { from, to, label, grain: hours <= 72 ? 'hour' : 'day' };
}
