// Time windows: the unit of work, of concurrency and of retry. A day each keeps every window's query small
// whatever the customer's size, and lets a failed window be retried alone.

export interface TimeWindow {
  from: string; // ISO instant, inclusive
  to: string; // ISO instant, exclusive
}

const DAY_MS = 86_400_000;

export function dayWindows(from: Date, to: Date): TimeWindow[] {
  const out: TimeWindow[] = [];
  let start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  for (; start < to.getTime(); start += DAY_MS) {
    const a = Math.max(start, from.getTime());
    const b = Math.min(start + DAY_MS, to.getTime());
    out.push({ from: new Date(a).toISOString(), to: new Date(b).toISOString() });
  }
  return out;
}

/**
 * The first month of the monthly table: `historyMonths` months ending with the period's last month, or the
 * period's own first month when the period is longer than that.
 */
export function monthlyFrom(period: { from: Date; to: Date }, historyMonths: number): Date {
  const last = new Date(period.to.getTime() - 1);
  const history = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - (historyMonths - 1), 1));
  const own = new Date(Date.UTC(period.from.getUTCFullYear(), period.from.getUTCMonth(), 1));
  return own < history ? own : history;
}

/** The scanned range: the period plus the months before it that the monthly table shows. */
export function scanRange(period: { from: Date; to: Date }, historyMonths: number): { from: Date; to: Date } {
  const from = monthlyFrom(period, historyMonths);
  return { from: from < period.from ? from : period.from, to: period.to };
}
