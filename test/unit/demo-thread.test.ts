// Issue 22: the demo's threads as a person reads them, one snapshot for every wording change to show in review.
// The reports are what a gap run over the loaded demo builds (test/support/demo-series.ts: buildReport over the
// demo's exact counts, its findings with the look-back, its deployments attached); no database.
import { describe, expect, it } from 'vitest';
import { CUSTOMERS } from '../../dev/demo/incident-profile.js';
import { threadMessages } from '../../src/gap/views/thread-messages.js';
import { allThread } from '../../src/gap/views/all-thread.js';
import { csvTitle } from '../../src/gap/views/csv.js';
import { rootMessage } from '../../src/gap/views/root-message.js';
import { assertWithinSlackLimits } from '../../src/slack/limits.js';
import { withoutTableBlocks } from '../../src/slack/table-fallback.js';
import type { GapReport } from '../../src/gap/core/report.js';
import { demoReport, demoTruth } from '../support/demo-series.js';
import { messagePlainText, threadPlainText } from '../support/slack-plain-text.js';

const JAN = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', label: 'Jan 2026' };
const RUN_ID = '6f0c1f8e-3a52-4d67-9a0e-2b7c4f1d9e01';

/** The upload the job adds between the tables and the backfill: the chart and the CSV, one message. */
function uploadLine(r: GapReport): string {
  const listed = r.populations.submitted.missing + r.populations.unsubmitted.missing + r.populations.submitted.partial + r.populations.unsubmitted.partial;
  return `[files] ${r.customer}: daily missing rate, ${r.period.label} (PNG) + ${csvTitle(r, listed, Infinity)} (CSV)`;
}

function singleThread(r: GapReport): Array<{ text: string; blocks?: unknown[] } | string> {
  const msgs = threadMessages(r, { runId: RUN_ID });
  const backfill = msgs.at(-1)?.blocks.some((b) => b.type === 'actions') ? msgs.pop() : undefined;
  return [...msgs, uploadLine(r), ...(backfill ? [backfill] : [])];
}

describe('the demo threads, Jan 2026', async () => {
  const reports = await Promise.all(CUSTOMERS.map((c) => demoReport(c, JAN)));
  const rentokil = reports[0]!;

  it('rentokil: at most 6 replies (headline and findings, what changed, tables, chart and CSV, backfill)', () => {
    const thread = singleThread(rentokil);
    expect(thread).toHaveLength(5);
    const [summary, changes, tables, files, backfill] = thread as [any, any, any, string, any];
    expect(messagePlainText(summary)).toMatch(/^# rentokil · Jan 2026/);
    expect(messagePlainText(summary)).toContain('*Findings*');
    expect(messagePlainText(changes)).toMatch(/^\*What changed around then\*/);
    expect(messagePlainText(changes)).toContain('*Release timeline*');
    for (const t of ['Monthly', 'Daily', 'Hourly', 'Timeline']) expect(messagePlainText(tables)).toContain(`*${t}*`);
    expect(files).toMatch(/^\[files\]/);
    expect(messagePlainText(backfill)).toContain('[Request backfill]');
    for (const m of thread) if (typeof m !== 'string') assertWithinSlackLimits(m as never);
    // The console's code-block rendering of the same messages stays within limits and drops no block.
    for (const m of thread) if (typeof m !== 'string') expect(withoutTableBlocks(m as never).blocks!.length).toBeLessThanOrEqual(50);
    // The numbers are the demo's ground truth: rentokil's submitted scorecards of Jan 2026.
    const truth = Object.entries(demoTruth().perCustomer.rentokil!.hourly.submitted).filter(([h]) => h.startsWith('2026-01'));
    const [total, missing] = truth.reduce(([t, m], [, [a, b]]) => [t + a, m + b], [0, 0]);
    expect(messagePlainText(summary)).toContain(`${missing.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} missing`);
  });

  it('all: one table message, one card per customer with findings, the healthy ones in one line', () => {
    const all = allThread(reports, [], { periodLabel: 'Jan 2026', requestedBy: 'U0ALICE' });
    const affected = reports.filter((r) => r.verdict !== 'no_gap' && r.verdict !== 'no_data').length;
    const healthy = reports.filter((r) => r.verdict === 'no_gap').length;
    expect(all.messages).toHaveLength(1 + affected + (healthy > 0 ? 1 : 0));
    expect(all.messages.filter((m) => (m.blocks ?? []).some((b) => (b as { type?: string }).type === 'table'))).toHaveLength(1);
    expect(messagePlainText(all.root)).toContain('Requested by <@U0ALICE>');
  });

  it('all with healthy and empty customers: no card for them, one line naming the healthy, the empty in the table note', () => {
    const healthy = { ...reports[3]!, customer: 'acme', verdict: 'no_gap' as const, findings: [] };
    const empty = { ...reports[3]!, customer: 'zeta', verdict: 'no_data' as const, findings: [] };
    const all = allThread([...reports.slice(0, 2), healthy, empty], [], { periodLabel: 'Jan 2026', requestedBy: 'U0ALICE' });
    expect(all.messages.map((m) => m.text.split(':')[0])).toEqual(['All customers, Jan 2026', 'spirit, Jan 2026', 'rentokil, Jan 2026', 'No gap']);
    expect(all.messages.at(-1)?.text).toBe('No gap: acme.');
    expect(all.table.note).toContain('No scorecards in director for zeta in Jan 2026');
  });

  it('read as the snapshot, message by message', async () => {
    const all = allThread(reports, [], { periodLabel: 'Jan 2026', requestedBy: 'U0ALICE' });
    const text = [
      threadPlainText('/scorecard-gap rentokil jan-2026: root', [rootMessage({ status: 'done', report: rentokil, requestedBy: 'U0ALICE' })]),
      threadPlainText('/scorecard-gap rentokil jan-2026: thread', singleThread(rentokil)),
      threadPlainText('/scorecard-gap all jan-2026: root', [all.root]),
      threadPlainText('/scorecard-gap all jan-2026: thread', all.messages),
    ].join('\n');
    await expect(text).toMatchFileSnapshot('__snapshots__/demo-threads-jan-2026.txt');
  });
});
