import type { ChangeEvent, NearbyChange } from './event.js';

// Which changes sit near each finding. Pure. A finding's times are read generically from its fields, so a new kind
// of finding with an `at`, `since`, `from` or a fix day is placed without touching this file. A date-only value
// ('2026-01-21') is the whole UTC day; an instant is a point.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Field names that mark when something started going wrong, in order of preference (the first one present wins). */
const START_FIELDS = ['firstMissingAt', 'at', 'began', 'since', 'from', 'start', 'startedAt', 'createdBefore', 'date', 'day'];
/** Field names that mark a fix or a recovery. */
const FIX_FIELDS = ['fixedOn', 'fixedAt', 'recoveredOn', 'recoveredAt'];
/** Kinds whose `at` is a recovery, not a start. */
const RECOVERY_KINDS = new Set(['recovery']);

export type AnchorRole = 'start' | 'fix';

export interface Anchor {
  field: string;
  role: AnchorRole;
  /** The instant, or the UTC day as [from, to). */
  from: number;
  to: number;
  isDay: boolean;
}

export interface CorrelationWindows {
  /** Before and after a start (onset, change point, batch failure): default 72 h before, 6 h after. */
  startBeforeMs: number;
  startAfterMs: number;
  /** Before a fix or recovery (default 24 h); the whole day of the fix is included. */
  fixBeforeMs: number;
  /** Nearby changes kept per finding in the JSON (renderers show fewer). */
  keep: number;
}

export const DEFAULT_WINDOWS: CorrelationWindows = { startBeforeMs: 72 * HOUR, startAfterMs: 6 * HOUR, fixBeforeMs: 24 * HOUR, keep: 25 };

function anchorOf(field: string, role: AnchorRole, value: unknown): Anchor | null {
  if (typeof value !== 'string') return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const from = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(from) ? null : { field, role, from, to: from + DAY, isDay: true };
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : { field, role, from: t, to: t, isDay: false };
}

/** The times a finding carries: at most one start and any fixes. */
export function findingAnchors(finding: { kind: string }): Anchor[] {
  const f = finding as unknown as Record<string, unknown>;
  const out: Anchor[] = [];
  const recovery = RECOVERY_KINDS.has(finding.kind);
  for (const field of START_FIELDS) {
    const a = anchorOf(field, recovery && field === 'at' ? 'fix' : 'start', f[field]);
    if (a) {
      out.push(a);
      break;
    }
  }
  for (const field of FIX_FIELDS) {
    const a = anchorOf(field, 'fix', f[field]);
    if (a) out.push(a);
  }
  return out;
}

/** [from, to) in which changes count as near the anchor. */
export function anchorWindow(a: Anchor, w: CorrelationWindows = DEFAULT_WINDOWS): { from: number; to: number } {
  if (a.role === 'start') return { from: a.from - w.startBeforeMs, to: (a.isDay ? a.to : a.from) + w.startAfterMs + (a.isDay ? 0 : 1) };
  const dayStart = Math.floor(a.from / DAY) * DAY;
  return { from: a.from - w.fixBeforeMs, to: Math.max(dayStart + DAY, a.to) };
}

/** How far a change is from the anchor (0 inside an anchor day); ties prefer the change before. */
function distance(a: Anchor, t: number): number {
  if (t < a.from) return a.from - t;
  if (t >= a.to && a.isDay) return t - a.to + 1;
  return a.isDay ? 0 : t - a.from;
}

/** Changes near one finding, nearest first. */
export function nearbyChanges(finding: { kind: string }, events: readonly ChangeEvent[], w: CorrelationWindows = DEFAULT_WINDOWS): NearbyChange[] {
  const hits: { change: NearbyChange; distance: number; before: boolean }[] = [];
  for (const a of findingAnchors(finding)) {
    const win = anchorWindow(a, w);
    for (const e of events) {
      const t = Date.parse(e.at);
      if (t < win.from || t >= win.to) continue;
      hits.push({
        change: { ...e, anchor: a.field, offsetMinutes: Math.trunc((t - a.from) / 60_000) || 0 },
        distance: distance(a, t),
        before: t < a.from,
      });
    }
  }
  hits.sort((x, y) => x.distance - y.distance || Number(y.before) - Number(x.before) || x.change.at.localeCompare(y.change.at));
  return hits.slice(0, w.keep).map((h) => h.change);
}

/** Every finding with its nearby changes. */
export function correlateFindings<F extends { kind: string }>(findings: readonly F[], events: readonly ChangeEvent[], w: CorrelationWindows = DEFAULT_WINDOWS): (F & { nearbyChanges: NearbyChange[] })[] {
  return findings.map((f) => ({ ...f, nearbyChanges: nearbyChanges(f, events, w) }));
}

/** The span a report asks its sources about: the period with a month either side, and every finding's window. */
export function changeWindowFor(
  report: { period: { from: string; to: string }; findings: readonly { kind: string }[]; firstMissing?: Record<string, { createdAt: string } | null> },
  w: CorrelationWindows = DEFAULT_WINDOWS,
): { from: string; to: string } {
  const month = (iso: string, delta: number): number => {
    const d = new Date(iso);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + delta, 1);
  };
  let from = month(report.period.from, -1);
  let to = month(report.period.to, 1);
  const anchors = report.findings.flatMap(findingAnchors);
  for (const fm of Object.values(report.firstMissing ?? {})) {
    const a = fm ? anchorOf('createdAt', 'start', fm.createdAt) : null;
    if (a) anchors.push(a);
  }
  for (const a of anchors) {
    const win = anchorWindow(a, w);
    from = Math.min(from, win.from);
    to = Math.max(to, win.to);
  }
  // Rounded out to whole months, so customers of one `all` run usually ask for the same span (read once).
  const f = new Date(from);
  const t = new Date(to);
  const fromMonth = Date.UTC(f.getUTCFullYear(), f.getUTCMonth(), 1);
  const toMonth = t.getTime() === Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1) ? to : Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1);
  return { from: new Date(fromMonth).toISOString(), to: new Date(toMonth).toISOString() };
}
