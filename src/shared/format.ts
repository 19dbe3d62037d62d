// Shared formatting for every renderer (terminal, Slack, CSV, chart). Everything is UTC and locale-independent:
// the output must be the same on a developer's laptop, in CI and in production.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function monthName(index: number): string {
  return MONTHS[index] ?? '???';
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** 3637 -> '3,637'; 2555891 -> '2,555,891'. Non-integers are rounded. */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.round(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A rate in [0, 1] -> '32.0%' (one decimal). */
export function formatPct(rate: number, decimals = 1): string {
  if (!Number.isFinite(rate)) return '–';
  return `${(rate * 100).toFixed(decimals)}%`;
}

/** A steady level: '0.2%', but '0.06%' below 0.1% (one decimal would read 0.1% or 0.0%). */
export function formatLevel(rate: number): string {
  return formatPct(rate, rate > 0 && rate < 0.001 ? 2 : 1);
}

/** missing / total as '32.0%'; '–' when total is 0 (no scorecards: no rate). A few missing out of many reads
 *  '<0.1%', not '0.0%', and almost all reads '>99.9%', not '100.0%', so a rounded rate never hides a count. */
export function formatRatio(missing: number, total: number, decimals = 1): string {
  if (total <= 0) return '–';
  const text = formatPct(missing / total, decimals);
  const step = 10 ** -decimals;
  if (missing > 0 && text === formatPct(0, decimals)) return `<${step.toFixed(decimals)}%`;
  if (missing < total && text === formatPct(1, decimals)) return `>${(100 - step).toFixed(decimals)}%`;
  return text;
}

/** missing / total as a number, or null when total is 0. */
export function ratio(missing: number, total: number): number | null {
  return total > 0 ? missing / total : null;
}

/** About-this-much: 2 significant figures from 100 up ('~3,400'), whole numbers below. */
export function formatApprox(n: number): string {
  const abs = Math.abs(n);
  if (abs < 100) return `~${formatInt(n)}`;
  const magnitude = 10 ** (Math.floor(Math.log10(abs)) - 1);
  return `~${formatInt(Math.round(n / magnitude) * magnitude)}`;
}

/** Parses 'YYYY-MM', 'YYYY-MM-DD' or an ISO instant as UTC. */
export function parseUtc(value: string): Date {
  const monthOnly = /^(\d{4})-(\d{2})$/.exec(value);
  if (monthOnly) return new Date(Date.UTC(Number(monthOnly[1]), Number(monthOnly[2]) - 1, 1));
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (dateOnly) return new Date(Date.UTC(Number(dateOnly[1]), Number(dateOnly[2]) - 1, Number(dateOnly[3])));
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${value}`);
  return d;
}

/** '2026-01' / '2026-01-01' -> 'Jan 2026'. */
export function formatMonth(value: string): string {
  const d = parseUtc(value);
  return `${monthName(d.getUTCMonth())} ${d.getUTCFullYear()}`;
}

/** -> '2026-01-21' (ISO date, UTC). */
export function formatDate(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = parseUtc(value);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** -> 'Jan 21' (no year). */
export function formatShortDate(value: string): string {
  const d = parseUtc(value);
  return `${monthName(d.getUTCMonth())} ${d.getUTCDate()}`;
}

/** -> 'Jan 21, 2026'. */
export function formatLongDate(value: string): string {
  const d = parseUtc(value);
  return `${monthName(d.getUTCMonth())} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/** An hour -> 'Jan 23 03:00 UTC'. */
export function formatHour(value: string): string {
  const d = parseUtc(value);
  return `${monthName(d.getUTCMonth())} ${d.getUTCDate()} ${pad2(d.getUTCHours())}:00 UTC`;
}

/** An hour of the day (0-23) -> '14:00 UTC'. */
export function formatHourOfDay(hour: number): string {
  return `${pad2(hour)}:00 UTC`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** A weekday (0 = Sunday, UTC) -> 'Sat'. */
export function formatWeekday(day: number): string {
  return WEEKDAYS[((day % 7) + 7) % 7] ?? '';
}

/** Weekdays, Monday first -> 'Sat and Sun', 'Mon, Wed and Fri'. */
export function formatWeekdays(days: readonly number[]): string {
  const names = [...days].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7)).map(formatWeekday);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** An instant or date -> 'Sat Jan 31' (with ' 10:00 UTC' when `hour`). */
export function formatWeekdayDate(value: string, hour = false): string {
  const d = parseUtc(value);
  return `${formatWeekday(d.getUTCDay())} ${formatShortDate(value)}${hour ? ` ${pad2(d.getUTCHours())}:00 UTC` : ''}`;
}

/** An instant -> '2026-01-23 03:00 UTC' (minutes kept, seconds dropped). */
export function formatDateTime(value: string): string {
  const d = parseUtc(value);
  return `${formatDate(value)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} UTC`;
}

/** An instant -> 'Dec 31 15:30' (short, for tables whose header says UTC). */
export function formatShortDateTime(value: string): string {
  const d = parseUtc(value);
  return `${formatShortDate(value)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

/** 'Jan 14–28' within a month, 'Dec 30 – Jan 2' across months; one day -> 'Jan 14'. */
export function formatShortDateRange(from: string, to: string): string {
  const a = formatShortDate(from);
  const b = formatShortDate(to);
  if (a === b) return a;
  const [monthA] = a.split(' ');
  const [monthB, dayB] = b.split(' ');
  return monthA === monthB ? `${a}–${dayB}` : `${a} – ${b}`;
}

/** Whole days from `from` to `to` (dates or instants, UTC). */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseUtc(to).getTime() - parseUtc(from).getTime()) / 86_400_000);
}

/** Adds whole days to a date or instant and returns the ISO date 'YYYY-MM-DD'. */
export function addDays(value: string, days: number): string {
  const d = parseUtc(value);
  return formatDate(new Date(d.getTime() + days * 86_400_000).toISOString());
}

/** The period [from, to) as '2026-01-01 to 2026-01-31' (the exclusive end shown as the last day included). */
export function formatPeriodRange(period: { from: string; to: string }): string {
  const lastDay = addDays(period.to, -1);
  const first = formatDate(period.from);
  return first === lastDay ? first : `${first} to ${lastDay}`;
}

/** 41200 -> '41.2 s'; 125000 -> '2 min 5 s'; 900 -> '0.9 s'. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes} min ${seconds} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** 'submitted' -> 'submitted scorecards'; count-aware singular. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatInt(n)} ${n === 1 ? singular : pluralForm}`;
}

/** Shortens text to at most `max` characters, ending with '…' when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}
