// Issue 19: the sentences the demo's four customers get for Jan 2026, from the demo's own data (the plan's ground
// truth at the demo's scale, as a GapSeries; the look-back run over the same counts). No database: the plan is
// exact, and test/support/demo-series.ts turns it into what a gap run would scan.
import { describe, expect, it } from 'vitest';
import { CUSTOMERS } from '../../dev/demo/incident-profile.js';
import type { Finding } from '../../src/gap/core/report.js';
import { findingSentence } from '../../src/gap/views/finding-sentences.js';
import { demoFindings } from '../support/demo-series.js';

const JAN = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
const of = <K extends Finding['kind']>(fs: Finding[], kind: K, population = 'submitted') =>
  fs.filter((f): f is Extract<Finding, { kind: K }> => f.kind === kind && f.population === population);

describe('the demo customers, Jan 2026', async () => {
  const findings = Object.fromEntries(await Promise.all(CUSTOMERS.map(async (c) => [c, await demoFindings(c, JAN)] as const)));

  it('tell one story: each change point starts from the level the previous one ended at', () => {
    for (const c of CUSTOMERS) {
      const cps = of(findings[c]!, 'change_point');
      expect(cps.length, c).toBeGreaterThan(0);
      for (let i = 0; i + 1 < cps.length; i++) expect(cps[i]!.after, c).toBe(cps[i + 1]!.before);
      expect(cps.find((x) => x.at === '2026-01-21')?.after, c).toBeGreaterThan(0.9);
    }
  });

  it('say why the onset and the first step up differ when they do (guitar-center: 1 of 8 on Sat Jan 10)', () => {
    const onset = of(findings['guitar-center']!, 'onset')[0]!;
    expect(onset).toMatchObject({ firstDayOver1Pct: '2026-01-11', levelChangedOn: { date: '2026-01-10', total: 8, missing: 1 } });
    expect(of(findings['guitar-center']!, 'change_point')[0]).toMatchObject({ at: '2026-01-10', before: 0 });
  });

  it('read as the snapshot, sentence by sentence', async () => {
    const text = CUSTOMERS.map((c) => [`## ${c}`, ...findings[c]!.map((f) => `- ${findingSentence(f, findings[c]!)}`)].join('\n')).join('\n\n');
    await expect(`${text}\n`).toMatchFileSnapshot('__snapshots__/demo-sentences-jan-2026.txt');
  });
});
