import type { GapReport } from '../core/report.js';
import { formatShortDate, formatShortDateTime, plural } from '../../shared/format.js';
import { DEFAULT_WINDOWS, findingAnchors, type Anchor } from '../../changes/correlate.js';
import type { NearbyChange } from '../../changes/event.js';

// "What changed around then", as a model both renderers share: per finding time, its label and the nearby changes
// (nearest first) with where each sits relative to it. Pure. The words say "nearest change before", never
// "caused by": a change next to a finding is a lead to check, not a conclusion.

export interface ChangeItem {
  title: string;
  link: string | null;
  kind: string;
  source: string;
  /** 'Jan 8 15:52 UTC, 6 h 45 min before' */
  when: string;
}

export interface FindingChangeLine {
  /** 'First missing (submitted) Dec 31 15:30' */
  label: string;
  /** The label without its time: 'First missing (submitted)' (the timeline has a column for when). */
  what: string;
  /** 'nearest change before', 'nearest change after', 'changes that day'; null when there is none in the window. */
  lead: string | null;
  items: ChangeItem[];
  /** Further changes in the window not shown. */
  more: number;
  /** The report kept only the nearest few (DEFAULT_WINDOWS.keep): there may be more than `more`. */
  capped: boolean;
  /** The window searched, for the line that says nothing changed in it. */
  window: string;
}

export const SHOWN_PER_FINDING = 3;

function duration(minutes: number): string {
  const m = Math.abs(minutes);
  if (m < 60) return `${m} min`;
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  if (d === 0) return m % 60 === 0 || h >= 6 ? `${h} h` : `${h} h ${m % 60} min`;
  return h === 0 ? plural(d, 'day') : `${plural(d, 'day')} ${h} h`;
}

function relation(c: NearbyChange, a: Anchor): string {
  const at = Date.parse(c.at);
  if (a.isDay && at >= a.from && at < a.to) return 'that day';
  if (at < a.from) return `${duration(Math.round((a.from - at) / 60_000))} before${a.isDay ? ' the day' : ''}`;
  const ref = a.isDay ? a.to : a.from;
  return at === ref ? 'at the same time' : `${duration(Math.max(1, Math.round((at - ref) / 60_000)))} after${a.isDay ? ' the day' : ''}`;
}

const KIND_LABEL: Record<string, string> = {
  onset: 'First missing',
  change_point: 'Change point',
  batch_failure: 'Batch failure',
  recurring_failure: 'Recurring failure began',
  weekly_failure: 'Weekly failure began',
  recovery: 'Recovered',
  submit_date_correlation: 'Missing by submit date began',
  chronic: 'Chronic missing began',
};

function anchorWhat(finding: { kind: string; population?: unknown }, a: Anchor): string {
  const base = a.field === 'fixedOn' || a.field === 'fixedAt' ? 'Fixed' : (KIND_LABEL[finding.kind] ?? finding.kind.replaceAll('_', ' '));
  // "submit date" already says submitted: no "(submitted)" after it.
  const population = typeof finding.population === 'string' && finding.kind !== 'submit_date_correlation' ? ` (${finding.population})` : '';
  return `${base}${population}`;
}

function anchorLabel(finding: { kind: string; population?: unknown }, a: Anchor): string {
  const when = a.isDay ? formatShortDate(new Date(a.from).toISOString()) : formatShortDateTime(new Date(a.from).toISOString());
  return `${anchorWhat(finding, a)}${finding.kind === 'recovery' ? ' from' : ''} ${when}${a.isDay ? '' : ' UTC'}`;
}

function windowText(a: Anchor): string {
  if (a.role === 'fix') return 'the day and the 24 h before';
  return `${DEFAULT_WINDOWS.startBeforeMs / 3_600_000} h before to ${DEFAULT_WINDOWS.startAfterMs / 3_600_000} h after`;
}

/** One line per finding time; empty when the report has no change sources. */
export function findingChangeLines(finding: { kind: string; population?: unknown; nearbyChanges?: NearbyChange[] }, max = SHOWN_PER_FINDING): FindingChangeLine[] {
  if (!finding.nearbyChanges) return [];
  return findingAnchors(finding).map((a) => {
    const mine = finding.nearbyChanges?.filter((c) => c.anchor === a.field) ?? [];
    const shown = mine.slice(0, max);
    const first = shown[0];
    const firstRel = first ? relation(first, a) : '';
    const lead = !first ? null : firstRel === 'that day' ? 'changes that day' : firstRel.includes('before') ? 'nearest change before' : 'nearest change after';
    return {
      label: anchorLabel(finding, a),
      what: anchorWhat(finding, a),
      lead,
      items: shown.map((c) => ({ title: c.title, link: c.link, kind: c.kind, source: c.source, when: `${formatShortDateTime(c.at)} UTC, ${relation(c, a)}` })),
      more: Math.max(0, mine.length - shown.length),
      capped: (finding.nearbyChanges?.length ?? 0) >= DEFAULT_WINDOWS.keep,
      window: windowText(a),
    };
  });
}

/** Every finding's lines, in the report's order. */
export function reportChangeLines(report: GapReport, max = SHOWN_PER_FINDING): FindingChangeLine[] {
  return report.findings.flatMap((f) => findingChangeLines(f, max));
}

/** 'Change sources: apiserver prod releases, apiserver prod flags. Unavailable: incidents (no answer within 5 s).' */
export function sourcesSentence(report: GapReport): string | null {
  const sources = report.changeSources;
  if (!sources) return null;
  const ok = sources.filter((s) => s.available);
  const down = sources.filter((s) => !s.available);
  const okText = ok.map((s) => (s.error ? `${s.name} (${s.error})` : s.name)).join(', ');
  const parts = [
    ok.length > 0 ? `Change sources: ${okText} (${plural(report.changes?.length ?? 0, 'change')} read).` : '',
    down.length > 0 ? `Unavailable: ${down.map((s) => `${s.name} (${s.error ?? 'no reason given'})`).join(', ')}.` : '',
  ].filter((p) => p !== '');
  return parts.join(' ');
}

