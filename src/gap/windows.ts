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

/** The scanned range: the period, extended back to the first day of the month `historyMonths - 1` before it. */
export function scanRange(period: { from: Date; to: Date }, historyMonths: number): { from: Date; to: Date } {
  const from = new Date(Date.UTC(period.from.getUTCFullYear(), period.from.getUTCMonth() - (historyMonths - 1), 1));
  return { from: from < period.from ? from : period.from, to: period.to };
}
