import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configCommand } from '../../src/cli/config-cli.js';
import { applyClusterDefaults } from '../../src/config/fleet-customers.js';
import { parseActionBody } from '../../src/slack/action-body.js';
import { assertWithinSlackLimits } from '../../src/slack/limits.js';
import { alertMessage, escalationMessage, summaryMessage, type AlertView } from '../../src/watch/alert-blocks.js';
import type { StoredAlert } from '../../src/watch/alert-store.js';
import { homeView } from '../../src/watch/home-view.js';
import { escalationDue, oncallLine, parseAckValue, parseMenuValue, parseSnoozeValue, withOncallStatus, type OncallState } from '../../src/watch/oncall-blocks.js';
import { mentionsOf, ownersOf, unownedCustomers, unownedLine } from '../../src/watch/owners.js';
import { blockKitViolations } from '../support/slack-limits.js';

const A: AlertView = {
  customer: 'rentokil',
  population: 'submitted',
  kind: 'onset',
  start: '2026-01-15',
  missing: 65,
  total: 1234,
  sentence: 'The daily missing rate first passed 1% on 2026-01-15.',
  audit: 'hourly',
  periodLabel: 'last 48 hours',
};
const none = { users: [], userGroups: [] };
const bob = { users: ['U0BOB'], userGroups: [] };
const sre = { users: [], userGroups: ['S0SRE'] };

const ok = (m: { text: string; blocks: unknown[] }): void => {
  assertWithinSlackLimits(m as never);
  expect(blockKitViolations(m)).toEqual([]);
};

describe('owners', () => {
  it("a customer's own owners, else the audit's default, else nobody", () => {
    expect(ownersOf({ owners: bob }, { owners: sre })).toBe(bob);
    expect(ownersOf({ owners: none }, { owners: sre })).toBe(sre);
    expect(ownersOf({}, { owners: sre })).toBe(sre);
    expect(ownersOf(undefined, {})).toEqual(none);
    expect(mentionsOf({ users: ['U0BOB', 'U0ALICE'], userGroups: ['S0SRE'] })).toBe('<@U0BOB> <@U0ALICE> <!subteam^S0SRE>');
    expect(mentionsOf(none)).toBe('');
  });

  it("a cluster's owners fill in for its customers that name none", () => {
    const filled = applyClusterDefaults([{ name: 'a', cluster: 'eu' }, { name: 'b', cluster: 'eu', owners: bob }, { name: 'c' }], { eu: { owners: sre } });
    expect(filled.map((c) => (c as { owners?: unknown }).owners)).toEqual([sre, bob, undefined]);
  });

  it('config:check names the watched customers an alert would mention nobody for', () => {
    const customers = [{ name: 'acme' }, { name: 'bolt', owners: none }, { name: 'corp', owners: bob }, { name: 'dyn' }];
    // dyn is only watched by an audit with default owners; acme and bolt also by one without.
    const watch = [{ customers: ['acme', 'bolt', 'corp'] }, { customers: ['acme', 'dyn'], owners: sre }];
    expect(unownedCustomers({ customers, watch })).toEqual(['acme', 'bolt']);
    expect(unownedLine(['acme', 'bolt'])).toBe('2 customers have no owner: acme, bolt (alerts about them mention nobody)');
    expect(unownedLine(['acme'])).toBe('1 customer has no owner: acme (alerts about them mention nobody)');
    expect(unownedLine([])).toBeNull();
    // No audit: no alerts, nobody to name.
    expect(unownedCustomers({ customers, watch: [] })).toEqual([]);
    // An audit of every customer (customers: []) with a default covers the rest.
    expect(unownedCustomers({ customers, watch: [{ customers: [], owners: sre }] })).toEqual([]);
  });
});

describe('config:check', () => {
  it('says which watched customers have no owner (a cluster default and an audit default count)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'owners-'));
    const pg = (db: string) => `{ url: "postgres://ro@127.0.0.1:5432/${db}" }`;
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'clusters: { eu: { owners: { userGroups: [S0EU] } } }',
        'customers:',
        `  - { name: acme, profile: p, postgres: ${pg('a')} }`,
        `  - { name: bolt, profile: p, postgres: ${pg('b')}, owners: { users: [] } }`,
        `  - { name: corp, profile: p, cluster: eu, postgres: ${pg('c')} }`,
        `  - { name: dyn, profile: p, postgres: ${pg('d')} }`,
        'slack: { allowedChannels: [C0A, C0B] }',
        'watch:',
        '  - { name: hourly, every: 1h, channel: C0A, customers: [acme, bolt, corp] }',
        '  - { name: daily, every: 1d, channel: C0B, customers: [dyn], owners: { users: [U0DYN] } }',
      ].join('\n'),
    );
    let err = '';
    const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    expect(await configCommand('check', ['--config', join(dir, 'config.yml')], { stdout: sink(() => undefined), stderr: sink((x) => (err += x)), env: {} })).toBe(0);
    expect(err.trim().split('\n').at(-1)).toBe('2 customers have no owner: acme, bolt (alerts about them mention nobody)');
  });
});

describe('the alert with owners, Acknowledge and Snooze', () => {
  it('its first post mentions the owners and carries Acknowledge and a Snooze menu naming the alert', () => {
    const m = alertMessage(A, { runId: 'watch-7', reportValue: '{}', alertId: '42' }, undefined, '<@U0BOB> <!subteam^S0SRE>');
    ok(m);
    expect(m.text).toBe('rentokil submitted: missing from historic since 2026-01-15: 65 of 1,234 (5.3%) missing · <@U0BOB> <!subteam^S0SRE>');
    const oncall = m.blocks.find((b) => b.block_id === 'watch_oncall') as { elements: { action_id: string; value?: string; options?: { value: string }[] }[] };
    expect(oncall.elements.map((e) => e.action_id)).toEqual(['watch_ack', 'watch_snooze']);
    expect(oncall.elements[0]!.value).toBe('42');
    expect(oncall.elements[1]!.options!.map((o) => o.value)).toEqual(['42 1h', '42 4h', '42 24h', '42 resolved']);
    expect(m).toMatchSnapshot();
  });

  it('without owners it mentions nobody; the summary of alerts over the allowance mentions theirs', () => {
    const m = alertMessage(A, { runId: null, reportValue: '{}', alertId: '42' });
    expect(JSON.stringify(m)).not.toMatch(/<@|subteam|Owners/);
    const s = summaryMessage([A], 2, '<@U0BOB>');
    ok(s);
    expect(s.text).toBe('1 more alert · <@U0BOB>');
  });

  it('a summary has one menu per summarised alert (Acknowledge, the snoozes), at most 25; a status line each', () => {
    const s = summaryMessage([{ ...A, alertId: '7' }, { ...A, population: 'unsubmitted', alertId: '8' }], 2);
    ok(s);
    const menus = (s.blocks.find((b) => b.block_id === 'watch_oncall') as { elements: { action_id: string; placeholder: { text: string }; options: { value: string }[] }[] }).elements;
    expect(menus.map((m) => [m.action_id, m.placeholder.text])).toEqual([['watch_oncall_menu_7', 'rentokil submitted'], ['watch_oncall_menu_8', 'rentokil unsubmitted']]);
    expect(menus[0]!.options.map((o) => o.value)).toEqual(['7 ack', '7 1h', '7 4h', '7 24h', '7 resolved']);
    const many = summaryMessage(Array.from({ length: 300 }, (_, i) => ({ ...A, customer: `c-${i}`, alertId: String(i + 1) })), 5);
    ok(many);
    expect((many.blocks.find((b) => b.block_id === 'watch_oncall') as { elements: unknown[] }).elements).toHaveLength(25);
    const once = withOncallStatus(s, 'Acknowledged by <@U0BOB> 10:42 UTC', { alertId: '8', subject: 'rentokil unsubmitted' });
    const twice = withOncallStatus(once, 'Snoozed until resolved by <@U0BOB>', { alertId: '7', subject: 'rentokil submitted' });
    ok(twice as never);
    const lines = JSON.stringify(twice.blocks);
    expect(lines).toContain('rentokil unsubmitted: acknowledged by <@U0BOB> 10:42 UTC');
    expect(lines).toContain('rentokil submitted: snoozed until resolved by <@U0BOB>');
    expect(twice.blocks).toHaveLength(s.blocks.length + 2);
    expect(parseMenuValue('7 ack')).toEqual({ alertId: '7', choice: 'ack' });
    expect(parseMenuValue('7 snooze')).toBeNull();
  });

  it('control values are parsed strictly', () => {
    expect(parseSnoozeValue('42 4h')).toEqual({ alertId: '42', choice: '4h' });
    expect(parseSnoozeValue('42 resolved')).toEqual({ alertId: '42', choice: 'resolved' });
    for (const bad of ['42 5h', '42', 'x 1h', '42 1h extra', '0 1h']) expect(parseSnoozeValue(bad), bad).toBeNull();
    expect(parseAckValue('42')).toBe('42');
    expect(parseAckValue('42; DROP')).toBeNull();
  });

  it("a menu click's chosen option is the click's value", () => {
    const click = parseActionBody({
      user: { id: 'U0BOB' },
      channel: { id: 'C1' },
      container: { type: 'message', message_ts: '1.1', channel_id: 'C1' },
      actions: [{ action_id: 'watch_snooze', type: 'static_select', selected_option: { value: '42 1h', text: { type: 'plain_text', text: '1 hour' } } }],
    });
    expect([click.actionId, click.value, click.messageTs]).toEqual(['watch_snooze', '42 1h', '1.1']);
  });
});

const state = (o: Partial<OncallState> = {}): OncallState => ({ ackedBy: null, ackedAt: null, snoozedBy: null, snoozedUntil: null, snoozedUntilResolved: false, ...o });
const NOW = new Date('2025-12-10T10:42:00Z');

describe('the status line an acknowledgement or a snooze puts on the alert', () => {
  it('names who and when', () => {
    expect(oncallLine(state(), NOW)).toBeNull();
    expect(oncallLine(state({ ackedBy: 'U0BOB', ackedAt: '2025-12-10T10:42:10.000Z' }), NOW)).toBe('Acknowledged by <@U0BOB> 10:42 UTC');
    expect(oncallLine(state({ snoozedBy: 'U0AL', snoozedUntil: '2025-12-10T14:42:00.000Z' }), NOW)).toBe('Snoozed until 2025-12-10 14:42 UTC by <@U0AL>');
    expect(oncallLine(state({ ackedBy: 'U0BOB', ackedAt: '2025-12-10T10:40:00.000Z', snoozedBy: 'U0BOB', snoozedUntilResolved: true }), NOW)).toBe(
      'Acknowledged by <@U0BOB> 10:40 UTC · snoozed until resolved by <@U0BOB>',
    );
    // A snooze that ended is not shown.
    expect(oncallLine(state({ snoozedBy: 'U0AL', snoozedUntil: '2025-12-10T09:00:00.000Z' }), NOW)).toBeNull();
  });

  it('is put before the buttons, replaced on the next change, and leaves the rest as posted', () => {
    const posted = alertMessage(A, { runId: 'watch-7', reportValue: '{}', alertId: '42' });
    const acked = withOncallStatus(posted, 'Acknowledged by <@U0BOB> 10:42 UTC');
    ok(acked as never);
    const types = (acked.blocks ?? []).map((b) => (b as { block_id?: string; type: string }).block_id ?? b.type);
    expect(types).toEqual(['section', 'section', 'watch_oncall_status', 'watch_alert', 'watch_oncall', 'context']);
    const snoozed = withOncallStatus(acked, 'Acknowledged by <@U0BOB> 10:42 UTC · snoozed until resolved by <@U0BOB>');
    expect(snoozed.blocks).toHaveLength(acked.blocks!.length);
    expect(JSON.stringify(snoozed.blocks)).toContain('snoozed until resolved');
    expect(snoozed.text).toBe(posted.text);
    expect(withOncallStatus(snoozed, null).blocks).toEqual(posted.blocks);
  });
});

describe('escalation', () => {
  const HOUR = 3_600_000;
  const open = (o: Partial<Parameters<typeof escalationDue>[0]> = {}) => ({
    ...state(),
    status: 'open',
    announcedAt: '2025-12-10T00:00:00.000Z',
    threadTs: '1.1',
    escalatedAt: null,
    ...o,
  });
  const at = (h: number): Date => new Date(Date.parse('2025-12-10T00:00:00Z') + h * HOUR);
  const rule = { afterMs: 2 * HOUR };

  it('is due once escalateAfter has passed since the post, for an open alert nobody acknowledged', () => {
    expect(escalationDue(open(), at(1.99), rule)).toBe(false);
    expect(escalationDue(open(), at(2), rule)).toBe(true);
    expect(escalationDue(open({ escalatedAt: at(2).toISOString() }), at(3), rule)).toBe(false);
    expect(escalationDue(open({ ackedBy: 'U0BOB', ackedAt: at(0.5).toISOString() }), at(3), rule)).toBe(false);
    expect(escalationDue(open({ status: 'resolved' }), at(3), rule)).toBe(false);
    expect(escalationDue(open({ announcedAt: null }), at(3), rule)).toBe(false);
  });

  it('waits for a snooze: never while it runs, and at its end when that is later', () => {
    expect(escalationDue(open({ snoozedUntilResolved: true }), at(48), rule)).toBe(false);
    const fourHours = open({ snoozedBy: 'U0BOB', snoozedUntil: at(4.5).toISOString() });
    expect(escalationDue(fourHours, at(3), rule)).toBe(false);
    expect(escalationDue(fourHours, at(4.5), rule)).toBe(true);
    // A one-hour snooze that ended before the delay: the delay still counts from the post.
    const oneHour = open({ snoozedBy: 'U0BOB', snoozedUntil: at(1).toISOString() });
    expect(escalationDue(oneHour, at(1.5), rule)).toBe(false);
    expect(escalationDue(oneHour, at(2), rule)).toBe(true);
  });

  it('mentions the owners again, in the thread or with a link in the escalation channel', () => {
    const inThread = escalationMessage(A, '<@U0BOB>', 2 * HOUR, null);
    ok(inThread);
    expect(inThread.text).toBe('<@U0BOB> rentokil submitted: missing from historic is still open after 2 h and nobody has acknowledged it: 65 of 1,234 (5.3%).');
    const elsewhere = escalationMessage(A, '<!subteam^S0SRE>', 90 * 60_000, 'https://slack.com/archives/C1/p11');
    ok(elsewhere);
    expect(elsewhere.text).toContain('after 90 min');
    expect(JSON.stringify(elsewhere.blocks)).toContain('<https://slack.com/archives/C1/p11|Open the alert>');
    const nobody = escalationMessage(A, '', 2 * HOUR, null);
    expect(nobody.text.startsWith('rentokil submitted')).toBe(true);
    expect(JSON.stringify(nobody.blocks)).toContain('Nobody owns this customer');
    expect(inThread).toMatchSnapshot();
  });
});

describe('App Home', () => {
  it('an open alert shows who acknowledged it and until when it is snoozed', () => {
    const alert = {
      id: '1', audit: 'hourly', fingerprint: 'f', customer: 'acme', profile: 'p', population: 'submitted', kind: 'onset', start: '2025-12-08', channel: 'C1', status: 'open',
      sentence: 's', missing: 30, total: 240, level: 4, findings: [], seenCount: 2, toldMissing: 30, toldLevel: 4, toldKinds: ['onset'], threadTs: '1700000000.000100', summaryTs: null,
      openedAt: '', confirmedAt: '', announcedAt: '', lastSeenAt: '',
      ackedBy: 'U0BOB', ackedAt: '2025-12-10T10:40:00.000Z', snoozedBy: 'U0BOB', snoozedUntil: '2025-12-10T14:40:00.000Z', snoozedUntilResolved: false, escalatedAt: null,
    } satisfies StoredAlert;
    const text = JSON.stringify(homeView({ audits: [], alerts: [alert], pendingBackfills: {}, now: NOW }).blocks);
    expect(text).toContain('acme submitted: missing from historic since 2025-12-08> (acknowledged by <@U0BOB> 10:40 UTC · snoozed until 2025-12-10 14:40 UTC by <@U0BOB>)');
  });
});
