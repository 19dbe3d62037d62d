import { describe, expect, it } from 'vitest';
import { correlateFindings } from '../../src/changes/correlate.js';
import type { ChangeEvent, ChangeSourceStatus } from '../../src/changes/event.js';
import { releaseCorrelationTable } from '../../src/gap/what-changed/timeline.js';
import type { GapReport } from '../../src/gap/core/report.js';
import { renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { assertWithinSlackLimits } from '../../src/slack/limits.js';
import { threadMessages } from '../../src/gap/views/thread-messages.js';
import { rentokilReport } from './fixtures/gap-report-fixture.js';

// The section's words and limits: at most three changes a finding in Slack, clickable web links only, "nearest
// change before" and never "caused by", unavailable sources named, nothing at all without change sources.

const HOUR = 3_600_000;
const onsetAt = Date.parse('2025-12-31T15:30:12.000Z');

function withChanges(report: GapReport, events: ChangeEvent[], sources: ChangeSourceStatus[] = [{ name: 'deploys', available: true }]): GapReport {
  return { ...report, findings: correlateFindings(report.findings, events), changes: events, changeSources: sources };
}

const busy: ChangeEvent[] = Array.from({ length: 12 }, (_, i) => ({
  at: new Date(onsetAt - (i + 1) * 5 * HOUR).toISOString(),
  title: i === 0 ? 'deploy <api> | v2 & more' : `release ${i}`,
  kind: 'deploy',
  link: i === 1 ? 'https://example.com/a|b' : `https://git.example.com/commit/${i}`,
  source: 'deploys',
}));

const sectionText = (r: GapReport): string =>
  threadMessages(r, { runId: 'r1' })
    .filter((m) => JSON.stringify(m.blocks).includes('What changed around then'))
    .map((m) => JSON.stringify(m.blocks))
    .join('\n');

const sectionLines = (r: GapReport): string[] =>
  threadMessages(r, { runId: 'r1' })
    .filter((m) => JSON.stringify(m.blocks).includes('What changed around then'))
    .flatMap((m) => m.blocks.flatMap((b) => ((b as { text?: { text?: string } }).text?.text ?? '').split('\n')));

describe('What changed around then, rendered', () => {
  it('Slack: three changes at most per finding time, escaped titles, only clean web links clickable, within limits', () => {
    const r = withChanges(rentokilReport(), busy, [
      { name: 'deploys', available: true },
      { name: 'calendar', available: false, error: 'no answer within 5 s' },
    ]);
    const messages = threadMessages(r, { runId: 'r1' });
    for (const m of messages) assertWithinSlackLimits(m);
    const text = sectionText(r);
    const onsetLine = sectionLines(r).find((l) => l.startsWith('• *First missing (submitted)')) ?? '';
    expect(onsetLine).toContain('nearest change before');
    expect(onsetLine.match(/ \(Dec \d+ \d\d:\d\d UTC, /g)).toHaveLength(3);
    // Changes every 5 h before the onset: all 12 are within its 72 h; 3 shown.
    expect(onsetLine).toContain('and 9 others');
    expect(onsetLine).toContain('<https://git.example.com/commit/0|deploy &lt;api&gt; ¦ v2 &amp; more>');
    expect(onsetLine).toContain('release 1 (Dec 31 05:30 UTC, 10 h before)'); // the pipe in its URL: text only
    expect(text).toContain('Unavailable: calendar (no answer within 5 s).');
    expect(text).not.toMatch(/caused by/i);
  });

  it('terminal: the section and the timeline; nothing of either without change sources', () => {
    const r = withChanges(rentokilReport(), busy.slice(0, 2));
    const out = renderTerminalReport(r);
    expect(out).toContain('What changed around then');
    expect(out).toMatch(/• First missing \(submitted\) Dec 31 15:30 UTC: nearest change before:\n\s+- deploy: deploy <api> \| v2 & more \(Dec 31 10:30 UTC, 5 h before\)  https:\/\/git\.example\.com\/commit\/0/);
    expect(out).toMatch(/• Change point \(submitted\) Jan 21: no recorded change from 72 h before to 6 h after\./);
    expect(out).toContain('Release timeline');
    const plain = renderTerminalReport(rentokilReport());
    expect(plain).not.toContain('What changed around then');
    expect(plain).not.toContain('Release timeline');
    expect(sectionText(rentokilReport())).toBe('');
  });

  it('all: first missing against the releases around it; no table without change sources', () => {
    const releases: ChangeEvent[] = [
      { at: '2025-12-17T20:31:02.000Z', title: 'apiserver main-20251217_201515z-49d58a85', kind: 'deploy', link: null, source: 'r' },
      { at: '2026-01-08T15:52:40.000Z', title: 'apiserver main-20260108_153010z-c86fe8e9', kind: 'deploy', link: null, source: 'r' },
      { at: '2026-01-29T15:38:38.000Z', title: 'flag on', kind: 'flag', link: null, source: 'f' },
    ];
    const rentokil = withChanges(rentokilReport(), releases);
    const table = releaseCorrelationTable([rentokil]);
    expect(table?.rows).toEqual([
      ['rentokil', 'Dec 31, 2025 15:30', 'Dec 17 20:31: apiserver main-20251217_201515z-49d58a85', 'Jan 8 15:52: apiserver main-20260108_153010z-c86fe8e9', 'After Dec 17 release (14 days later)'],
    ]);
    expect(releaseCorrelationTable([rentokilReport()])).toBeNull();
  });
});
