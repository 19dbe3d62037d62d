// Issue 14: how a chronic loss reads, in the terminal, in Slack and in the timeline.
import { describe, expect, it } from 'vitest';
import { gapReportSchema, type Finding, type GapReport } from '../../src/gap/core/report.js';
import { findingSentence, storySentence } from '../../src/gap/views/finding-sentences.js';
import { timelineTable } from '../../src/gap/views/tables.js';
import { renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { headlineMessage } from '../../src/gap/views/gap-blocks.js';
import { spiritReport } from './fixtures/gap-report-fixture.js';

const julyToOctober: Finding = {
  kind: 'chronic', population: 'unsubmitted', since: '2025-07-22', to: '2025-10-31', began: '2025-07-24', before: 'no_scorecards',
  level: 68 / 36190, range: { low: 0.0009, high: 0.0031 }, lowerBound: 0.0015, days: 102, total: 36190, missing: 68,
};
const novemberToDecember: Finding = {
  kind: 'chronic', population: 'unsubmitted', since: '2025-11-01', to: '2025-12-31', began: '2025-11-01', before: 'other_level',
  level: 1133 / 27156, range: { low: 0.027, high: 0.058 }, lowerBound: 0.039, days: 61, total: 27156, missing: 1133,
};

function withChronic(findings: Finding[]): GapReport {
  const r = spiritReport();
  return gapReportSchema.parse({ ...r, findings: [...findings, ...r.findings], stats: { ...r.stats, lookbackWindows: 61 } });
}

describe('chronic findings, rendered', () => {
  const report = withChronic([julyToOctober, novemberToDecember]);
  const u = report.populations.unsubmitted;
  const january = `${((u.missing / u.total) * 100).toFixed(1)}%`;

  it('tells the story in one line: the steady levels since when, then the period', () => {
    expect(storySentence(report)).toBe(
      `spirit: unsubmitted scorecards have been going missing at ~0.2% a day since Jul 2025, then ~4.2% from Nov 2025, then ${january} in Jan 2026.`,
    );
    expect(storySentence(spiritReport())).toBeNull();
  });

  it('says level, range, stretch, counts, "nothing changed" and how it began', () => {
    expect(findingSentence(julyToOctober)).toBe(
      'Chronic: a steady 0.2% (0.09%–0.3%) of unsubmitted scorecards missing every day from 2025-07-22 to 2025-10-31 ' +
        "(68 of 36,190 over 102 days), nothing changed in between; began 2025-07-24, with the customer's first unsubmitted scorecards (2025-07-22).",
    );
    const atLeast: Finding = { ...julyToOctober, since: '2025-08-01', began: null, before: 'not_scanned' };
    expect(findingSentence(atLeast)).toContain('already there on 2025-08-01, the first day scanned: it began earlier.');
    const clean: Finding = { ...julyToOctober, began: '2025-06-10', since: '2025-06-10', before: 'clean' };
    expect(findingSentence(clean)).toContain('began 2025-06-10; 0% before.');
  });

  it('puts the story under the verdict in the terminal and in the Slack headline', () => {
    const story = storySentence(report)!;
    const text = renderTerminalReport(report);
    expect(text).toContain(story);
    const head = headlineMessage(report);
    expect(JSON.stringify(head.blocks)).toContain(story);
  });

  it('starts the timeline with the steady loss', () => {
    const rows = timelineTable(report).rows;
    expect(rows[0]).toEqual(['2025-07-24', 'unsubmitted', 'Steady loss begins: ~0.2% a day (0.09%–0.3%) until Oct 31, no change in between']);
    expect(rows[1]).toEqual(['2025-11-01', 'unsubmitted', 'New steady level: ~4.2% a day (2.7%–5.8%) until Dec 31, no change in between']);
  });
});
