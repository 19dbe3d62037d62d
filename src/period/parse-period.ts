import { BotError } from '../shared/errors.js';

/** A UTC period: from inclusive, to exclusive. `grain` is 'hour' for a single day (hourly detail). */
export interface Period {
  from: Date;
  to: Date;
  label: string;
  grain: 'day' | 'hour';
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const MONTH_LABELS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MAX_MONTHS = 13;
const DAY_MS = 86_400_000;

export const PERIOD_EXAMPLES = ['jan-2026', '2026-01', 'dec-2025..jan-2026', '2026-01-15..2026-01-28', '2026-01-23', 'last-14d', 'last-3m'];

function badPeriod(input: string, why: string): BotError {
  return new BotError('BAD_INPUT', `"${input}" is not a period I understand: ${why}.`, {
    hint: `Periods are UTC, for example: ${PERIOD_EXAMPLES.join(', ')}.`,
  });
}

interface Point {
  start: Date;
  end: Date; // exclusive
  kind: 'month' | 'day';
}

const utc = (y: number, m: number, d = 1): Date => new Date(Date.UTC(y, m, d));

function parsePoint(token: string, input: string): Point {
  let m = /^([a-z]{3})-(\d{4})$/.exec(token);
  if (m) {
    const month = MONTHS.indexOf(m[1] as (typeof MONTHS)[number]);
    if (month < 0) throw badPeriod(input, `"${m[1]}" is not a month (use jan, feb, ... dec)`);
    const year = Number(m[2]);
    return { start: utc(year, month), end: utc(year, month + 1), kind: 'month' };
  }
  m = /^(\d{4})-(\d{2})$/.exec(token);
  if (m) {
    const year = Number(m[1]);
    const month = Number(m[2]) - 1;
    if (month < 0 || month > 11) throw badPeriod(input, `month ${m[2]} does not exist`);
    return { start: utc(year, month), end: utc(year, month + 1), kind: 'month' };
  }
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(token);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
    const start = utc(y, mo, d);
    if (start.getUTCFullYear() !== y || start.getUTCMonth() !== mo || start.getUTCDate() !== d) {
      throw badPeriod(input, `${token} is not a calendar date`);
    }
    return { start, end: new Date(start.getTime() + DAY_MS), kind: 'day' };
  }
  throw badPeriod(input, `"${token}" is neither a month (jan-2026, 2026-01) nor a day (2026-01-23)`);
}

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

function monthsBetween(from: Date, to: Date): number {
  return (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + (to.getUTCMonth() - from.getUTCMonth()) + (to.getUTCDate() > 1 ? 1 : 0);
}

function labelFor(from: Date, to: Date, a: Point, b: Point): string {
  const monthLabel = (d: Date): string => `${MONTH_LABELS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  if (a.kind === 'month' && b.kind === 'month') {
    const last = new Date(to.getTime() - DAY_MS);
    return a === b || from.getUTCMonth() === last.getUTCMonth() && from.getUTCFullYear() === last.getUTCFullYear()
      ? monthLabel(from)
      : `${monthLabel(from)} – ${monthLabel(last)}`;
  }
  const lastDay = new Date(to.getTime() - DAY_MS);
  return isoDay(from) === isoDay(lastDay) ? isoDay(from) : `${isoDay(from)} – ${isoDay(lastDay)}`;
}

/** Parses a period (UTC). `now` is injected so relative periods, and the refusal of future ones, are testable. */
export function parsePeriod(raw: string, now: Date = new Date()): Period {
  const input = raw.trim().toLowerCase();
  if (input.length === 0) throw badPeriod(raw, 'it is empty');
  if (input.length > 40) throw badPeriod(raw.slice(0, 40) + '…', 'it is too long');

  const rel = /^last-(\d{1,3})([dm])$/.exec(input);
  if (rel) {
    const n = Number(rel[1]);
    if (n < 1) throw badPeriod(raw, 'the count must be at least 1');
    const to = utc(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const from = rel[2] === 'd' ? new Date(to.getTime() - n * DAY_MS) : utc(to.getUTCFullYear(), to.getUTCMonth() - n, to.getUTCDate());
    if (monthsBetween(from, to) > MAX_MONTHS + 1 || (rel[2] === 'm' && n > MAX_MONTHS) || (rel[2] === 'd' && n > 400)) {
      throw badPeriod(raw, `periods longer than ${MAX_MONTHS} months are refused; narrow it`);
    }
    const label = `last ${n} ${rel[2] === 'd' ? 'days' : 'months'} (${isoDay(from)} – ${isoDay(new Date(to.getTime() - DAY_MS))})`;
    return { from, to, label, grain: n === 1 && rel[2] === 'd' ? 'hour' : 'day' };
  }

  const parts = input.split('..');
  if (parts.length > 2) throw badPeriod(raw, 'a range has exactly one ".."');
  const a = parsePoint(parts[0] ?? '', raw);
  const b = parts.length === 2 ? parsePoint(parts[1] ?? '', raw) : a;
  if (b.end.getTime() <= a.start.getTime()) {
    throw badPeriod(raw, `the range is reversed (${parts[0]} is after ${parts[1]}); write the earlier end first`);
  }
  const from = a.start;
  const to = b.end;
  // Nothing can have been written yet: scanning would come back "all 0 present", which reads as healthy.
  if (from.getTime() > now.getTime()) {
    throw new BotError('BAD_INPUT', `"${raw.trim()}" starts in the future (${isoDay(from)}; today is ${isoDay(now)} UTC): there is nothing to check yet.`, {
      hint: `Periods are UTC, for example: ${PERIOD_EXAMPLES.join(', ')}.`,
    });
  }
  if (monthsBetween(from, to) > MAX_MONTHS) throw badPeriod(raw, `periods longer than ${MAX_MONTHS} months are refused; narrow it`);
  const grain = to.getTime() - from.getTime() === DAY_MS ? 'hour' : 'day';
  return { from, to, label: labelFor(from, to, a, b), grain };
}
