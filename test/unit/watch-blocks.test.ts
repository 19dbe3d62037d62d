import { describe, expect, it } from 'vitest';
import { assertWithinSlackLimits } from '../../src/slack/limits.js';
import { alertMessage, followUpMessage, resolutionMessage, sparkline, summaryMessage, type AlertView } from '../../src/watch/alert-blocks.js';
import type { AuditRecord, StoredAlert } from '../../src/watch/alert-store.js';
import { slackLimitViolations } from '../../src/slack/limits.js';
import { HOME_MAX_BLOCKS, HOME_PAGE_ACTION_ID, homeView } from '../../src/watch/home-view.js';
import { blockKitViolations } from '../support/slack-limits.js';

const A: AlertView = {
  customer: 'rentokil',
  population: 'submitted',
  kind: 'onset',
  start: '2026-01-15',
  missing: 1165,
  total: 3637,
  sentence: 'The first missing submitted scorecard was created 2026-01-15 08:00 UTC (sc-1); the daily missing rate first passed 1% on 2026-01-15 (20.2%).',
  audit: 'hourly',
  periodLabel: 'last 48 hours (2026-01-22 00:00 – 2026-01-24 00:00 UTC)',
};

const ok = (m: { text: string; blocks: unknown[] }): void => {
  assertWithinSlackLimits(m as never);
  expect(blockKitViolations(m)).toEqual([]);
};

describe('alert messages', () => {
  it('the alert says what, since when, how many, the finding, and has Full report and Request backfill', () => {
    const m = alertMessage(A, { runId: 'watch-7', reportValue: '{"customer":"rentokil","lookback":"last-48h"}' }, [0, 0, 3, 7, 1]);
    ok(m);
    expect(m.text).toBe('rentokil submitted: missing from historic since 2026-01-15: 1,165 of 3,637 (32.0%) missing');
    const actions = m.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['watch_full_report', 'backfill_request']);
    expect(JSON.parse(actions.elements[1]!.value)).toEqual({ runId: 'watch-7' });
    expect(m).toMatchSnapshot();
  });

  it('without a run record there is no backfill button', () => {
    const m = alertMessage(A, { runId: null, reportValue: '{}' });
    const actions = m.blocks.find((b) => b.type === 'actions') as { elements: unknown[] };
    expect(actions.elements).toHaveLength(1);
  });

  it('follow-up, resolution and summary', () => {
    const f = followUpMessage({ ...A, missing: 2400, total: 4000 }, { missing: 1165 }, { worse: true, fresh: [] });
    ok(f);
    expect(f.text).toBe('Worse: rentokil submitted: 2,400 of 4,000 missing now (60.0%), was 1,165 when last told.');
    const r = resolutionMessage({ ...A, periodLabel: 'last 48 hours' }, '2026-01-29T10:00:00.000Z', { missing: 0, total: 63, clickhouseMissing: 0 });
    ok(r);
    expect(r.text).toBe('rentokil submitted: 0 missing since 2026-01-29 (last 48 hours); resolved.');
    // Under the threshold is not zero: the resolution says what is left.
    const under = resolutionMessage({ ...A, customer: 'umbrella', periodLabel: 'last 48 hours' }, '2026-01-29T10:00:00.000Z', { missing: 2, total: 63, clickhouseMissing: 0 });
    expect(under.text).toBe('umbrella submitted: back under the threshold: 2 of 63 missing (3.2%), under the alert level (last 48 hours); resolved.');
    const many = Array.from({ length: 300 }, (_, i) => ({ ...A, customer: `customer-${i}` }));
    const s = summaryMessage(many, 5);
    ok(s);
    expect(s.text).toBe('300 more alerts');
    expect(JSON.stringify(s.blocks)).toMatch(/… and [\d,]+ others/);
    expect(JSON.stringify(s.blocks)).toContain('its follow-ups and its resolution come in this thread');
  });

  it('one alert per problem: several findings are one message with a list; a follow-up lists the new ones', () => {
    const findings = [
      { kind: 'change_point' as const, start: '2026-01-22', missing: 300, total: 3637, rate: 300 / 3637, sentence: 'The submitted missing rate jumped on 2026-01-22.' },
      { kind: 'batch_failure' as const, start: '2026-01-23T03:00:00.000Z', missing: 40, total: 45, rate: 40 / 45, sentence: 'The 03:00 batch lost 40 of 45.' },
    ];
    const m = alertMessage({ ...A, kind: 'change_point', missing: 300, findings }, { runId: null, reportValue: '{}' });
    ok(m);
    expect(m.text).toBe('rentokil submitted: missing rate jumped, batch job failed since 2026-01-15: 300 of 3,637 (8.2%) missing');
    const body = JSON.stringify(m.blocks);
    expect(body).toContain('• *missing rate jumped* since 2026-01-22: 300 of 3,637 (8.2%). The submitted missing rate jumped on 2026-01-22.');
    expect(body).toContain('• *batch job failed* since 2026-01-23 03:00');
    const f = followUpMessage({ ...A, findings }, { missing: 1165 }, { worse: false, fresh: [findings[1]!] });
    ok(f);
    expect(f.text).toBe('rentokil submitted: new finding: batch job failed.');
    expect(JSON.stringify(f.blocks)).toContain('The 03:00 batch lost 40 of 45.');
    const r = resolutionMessage({ ...A, kind: 'onset', findings: [...findings, { ...findings[0]!, kind: 'clickhouse_gap' }], periodLabel: 'p' }, '2026-01-29T10:00:00.000Z', {
      missing: 0,
      total: 63,
      clickhouseMissing: 0,
    });
    expect(r.text).toBe('rentokil submitted: 0 missing, 0 missing from ClickHouse since 2026-01-29 (p); resolved.');
  });

  it('sparkline scales to the maximum', () => {
    expect(sparkline([0, 1, 2, 4])).toBe('▁▃▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
  });
});

describe('App Home view', () => {
  const audit = (customer: string): AuditRecord => ({
    audit: 'hourly',
    customer,
    profile: 'us-east-1',
    finishedAt: new Date('2026-01-24T00:00:00Z'),
    durationMs: 900,
    periodLabel: 'last 48 hours',
    verdict: 'gap',
    populations: { submitted: { total: 240, missing: 30, clickhouseMissing: 0 }, unsubmitted: { total: 900, missing: 0, clickhouseMissing: null } },
    error: null,
  });
  const alert: StoredAlert = {
    id: '1', audit: 'hourly', fingerprint: 'f', customer: 'c-001', profile: 'us-east-1', population: 'submitted', kind: 'onset', start: '2026-01-22', channel: 'C1', status: 'open',
    sentence: 's', missing: 30, total: 240, level: 4, findings: [], seenCount: 2, toldMissing: 30, toldLevel: 4, toldKinds: ['onset'], threadTs: '1700000000.000100', summaryTs: null,
    openedAt: '', confirmedAt: '', announcedAt: '', lastSeenAt: '',
    ackedBy: null, ackedAt: null, snoozedBy: null, snoozedUntil: null, snoozedUntilResolved: false, escalatedAt: null,
  };

  it('one status block per customer, with counts, open alerts linked to their thread and pending backfills', () => {
    const v = homeView({ audits: [audit('c-001')], alerts: [alert], pendingBackfills: { 'c-001': 2 }, now: new Date('2026-01-24T00:05:00Z') });
    const text = JSON.stringify(v.blocks);
    expect(text).toContain('Submitted: 30 of 240 missing (12.5%), 0 not in ClickHouse');
    expect(text).toContain('<https://slack.com/archives/C1/p1700000000000100|c-001 submitted: missing from historic since 2026-01-22>');
    expect(text).toContain('Pending backfill requests: 2');
    expect(v).toMatchSnapshot();
  });

  it('pages a fleet: 40 customers a page, worst first, within 100 blocks, with Previous and Next', () => {
    const audits = Array.from({ length: 120 }, (_, i) => audit(`c-${String(i).padStart(3, '0')}`));
    // c-077 has an open alert: it leads page 1 although its name sorts later.
    const v = homeView({ audits, alerts: [{ ...alert, customer: 'c-077' }], pendingBackfills: {}, now: new Date('2026-01-24T00:05:00Z') });
    expect(v.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    // 2 head blocks, 40 customers x 2 blocks, the page line, the buttons.
    expect(v.blocks).toHaveLength(84);
    expect(JSON.stringify(v.blocks[2])).toContain('*c-077*');
    expect(JSON.stringify(v.blocks.at(-2))).toContain('Customers 1–40 of 120, worst first (page 1 of 3).');
    const buttons = (p: ReturnType<typeof homeView>) => ((p.blocks.at(-1) as { elements: { action_id: string; value: string }[] }).elements ?? []).map((e) => [e.action_id, e.value]);
    expect(buttons(v)).toEqual([[`${HOME_PAGE_ACTION_ID}_next`, '1']]);
    const last = homeView({ audits, alerts: [], pendingBackfills: {}, now: new Date('2026-01-24T00:05:00Z'), page: 2 });
    expect(JSON.stringify(last.blocks.at(-2))).toContain('Customers 81–120 of 120');
    expect(buttons(last)).toEqual([[`${HOME_PAGE_ACTION_ID}_prev`, '1']]);
    // A page past the end shows the last one.
    expect(homeView({ audits, alerts: [], pendingBackfills: {}, now: new Date('2026-01-24T00:05:00Z'), page: 99 }).blocks).toEqual(last.blocks);
  });

  it('with the viewer\'s recent runs and backfills, a 300-customer page still fits Slack\'s limits', () => {
    const audits = Array.from({ length: 300 }, (_, i) => audit(`c-${String(i).padStart(3, '0')}`));
    const created = new Date('2026-01-24T00:01:00Z');
    const runs = Array.from({ length: 10 }, (_, i) => ({
      runId: `r${i}`, customer: `customer-with-a-long-name-${i}`, periodLabel: '2025-12-01..2026-01-31', requestedBy: 'U0ALICE', channel: 'C0INCIDENT',
      rootTs: `1769212800.00000${i}`, status: i === 0 ? ('queued' as const) : ('done' as const), verdict: i === 0 ? null : 'gap', createdAt: created,
    }));
    const backfills = Array.from({ length: 10 }, (_, i) => ({
      id: `b${i}`, customer: 'c-001', label: 'Jan 2026', scorecardId: i === 1 ? '019bcaf4-4b65-7838-b07d-20640fe7628e' : null, requester: 'U0ALICE',
      decidedBy: i % 2 ? 'U0BOB' : null, channel: 'C0INCIDENT', threadTs: `1769212800.00001${i}`, status: i % 2 ? 'done' : 'pending', historicRows: i % 2 ? 1234 : null, createdAt: created,
    }));
    const v = homeView({ audits, alerts: [], pendingBackfills: {}, now: new Date('2026-01-24T00:05:00Z'), recent: { runs, backfills } });
    expect(v.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    // A message allows 50 blocks, a Home view 100 (checked above); every other limit is the same.
    expect(slackLimitViolations({ text: 'home', blocks: v.blocks }).filter((m) => !/^\d+ blocks \(max 50\)$/.test(m))).toEqual([]);
    expect(v.blocks.slice(2, 5)).toMatchSnapshot();
  });
});
