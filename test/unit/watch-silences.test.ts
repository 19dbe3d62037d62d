import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { configProblems } from '../support/config-problems.js';
import { BotError } from '../../src/shared/errors.js';
import type { CommandRoute } from '../../src/slack/routes.js';
import { routeFor } from '../../src/slack/slack-app.js';
import { digestCron, digestMessage } from '../../src/watch/digest-blocks.js';
import { homeView } from '../../src/watch/home-view.js';
import { homeSilenceBlocks, silencedMessage, spanText, withSilenceEnded } from '../../src/watch/silence-blocks.js';
import { parseSilenceCommand } from '../../src/watch/silence-input.js';
import { activeAt, coveringSilence, fromConfig, type ActiveSilence } from '../../src/watch/silences.js';

const KNOWN = ['acme', 'umbrella'];
const NOW = new Date('2026-12-07T17:00:00Z');

function refusal(text: string): BotError {
  try {
    parseSilenceCommand(text, KNOWN);
  } catch (err) {
    if (err instanceof BotError) return err;
    throw err;
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('/scorecard-gap silence: parsing', () => {
  it('reads a silence, the list and unsilence by number or customer', () => {
    expect(parseSilenceCommand('silence acme 4h planned migration', KNOWN)).toEqual({ action: 'silence', customer: 'acme', durationMs: 4 * 3_600_000, duration: '4h', reason: 'planned migration' });
    expect(parseSilenceCommand('  SILENCE All 30m  db   upgrade ', KNOWN)).toMatchObject({ customer: 'all', durationMs: 1_800_000, reason: 'db upgrade' });
    expect(parseSilenceCommand('silence list', KNOWN)).toEqual({ action: 'list' });
    expect(parseSilenceCommand('unsilence #12', KNOWN)).toEqual({ action: 'unsilence', id: '12' });
    expect(parseSilenceCommand('unsilence umbrella', KNOWN)).toEqual({ action: 'unsilence', customer: 'umbrella' });
  });

  it.each([
    ['silence acme 4h', 'BAD_INPUT', 'needs a customer'],
    ['silence acme soon planned migration', 'BAD_INPUT', 'is not a duration such as 30m, 4h or 2d'],
    ['silence acme 0h planned migration', 'BAD_INPUT', 'duration'],
    ['silence acme 8d planned migration', 'BAD_INPUT', 'at most 7 days'],
    ['silence acme 4h ok', 'BAD_INPUT', 'reason'],
    ['silence initech 4h planned migration', 'UNKNOWN_CUSTOMER', 'initech'],
    ['unsilence', 'BAD_INPUT', 'Name one silence'],
    ['unsilence initech', 'UNKNOWN_CUSTOMER', 'initech'],
  ])('refuses "%s" (%s) with an example', (text, code, needle) => {
    const err = refusal(text);
    expect(err.code).toBe(code);
    expect(err.userMessage).toContain(needle);
    expect(err.hint).toMatch(/\/scorecard-gap (un)?silence/);
  });
});

describe('which silence covers a customer', () => {
  const s = (customer: string, fromH: number, toH: number, id: string | null = '1'): ActiveSilence => ({
    id,
    customer,
    from: new Date(NOW.getTime() + fromH * 3_600_000),
    to: new Date(NOW.getTime() + toH * 3_600_000),
    reason: 'r',
    by: null,
  });

  it('covers its customer (or every one, for all) from its start up to, not including, its end', () => {
    const list = [s('acme', -1, 1), s('all', -2, 3, '2'), s('umbrella', 1, 2, '3'), s('umbrella', -3, 0, '4')];
    expect(activeAt(list, NOW).map((x) => x.id)).toEqual(['1', '2']);
    expect(coveringSilence(list, 'acme', NOW)?.id).toBe('2'); // the one lasting longest is named
    expect(coveringSilence(list, 'umbrella', NOW)?.id).toBe('2');
    expect(coveringSilence([s('acme', -1, 1)], 'umbrella', NOW)).toBeNull();
    expect(coveringSilence([s('acme', -1, 0)], 'acme', NOW)).toBeNull();
  });

  it('reads the config file\'s silences, which have no number', () => {
    expect(fromConfig([{ customer: 'acme', from: '2026-12-07T16:00:00Z', to: '2026-12-07T18:00:00Z', reason: 'planned' }])).toEqual([
      { id: null, customer: 'acme', from: new Date('2026-12-07T16:00:00Z'), to: new Date('2026-12-07T18:00:00Z'), reason: 'planned', by: null },
    ]);
  });
});

describe('silences: and digest in the config', () => {
  const BASE = `
customers:
  - { name: acme, profile: p1, postgres: { url: postgres://ro@db/a } }
slack:
  allowedChannels: [C0ALERTS]
`;
  const problems = configProblems;

  it('parses silences and a digest time', () => {
    const c = parseConfig(`${BASE}silences:\n  - { customer: all, from: "2026-12-07T20:00:00Z", to: "2026-12-07T23:00:00Z", reason: release }\nwatch:\n  - { name: hourly, every: 1h, channel: C0ALERTS, digest: "09:00" }\n`, {});
    expect(c.silences).toEqual([{ customer: 'all', from: '2026-12-07T20:00:00Z', to: '2026-12-07T23:00:00Z', reason: 'release' }]);
    expect(c.watch[0]?.digest).toBe('09:00');
    expect(parseConfig(BASE, {}).silences).toEqual([]);
  });

  it('lists an unknown customer, an end before the start, a bad time and a bad digest with every other problem', () => {
    const msg = problems(
      `${BASE}silences:\n  - { customer: nope, from: "2026-12-07T20:00:00Z", to: "2026-12-07T19:00:00Z", reason: x }\n  - { customer: acme, from: tonight, to: "2026-12-07T19:00:00Z", reason: x }\nwatch:\n  - { name: h, every: 1h, channel: C0ALERTS, digest: "9am" }\n`,
    );
    expect(msg).toContain('silences[0].customer: unknown customer "nope"; configured: acme, or "all"');
    expect(msg).toContain('silences[0].to: a silence must end after it starts');
    expect(msg).toContain('silences[1].from');
    expect(msg).toContain('watch[0].digest: HH:MM (UTC), e.g. "09:00"');
  });

  it('refuses a customer named like a word of the command', () => {
    const msg = problems(`${BASE.replace('name: acme', 'name: silence')}`);
    expect(msg).toContain('customers[0].name: "silence" is a word of /scorecard-gap');
  });
});

describe('the silence command shares /scorecard-gap', () => {
  const route = (name: string, subcommands?: string[]): CommandRoute => ({ command: '/scorecard-gap', name, ...(subcommands ? { subcommands } : {}), handle: async () => undefined });
  const routes = [route('gap'), route('silence', ['silence', 'unsilence'])];

  it('by its first word; everything else goes to the gap run', () => {
    expect(routeFor(routes, 'silence acme 4h x')?.name).toBe('silence');
    expect(routeFor(routes, ' Unsilence 3')?.name).toBe('silence');
    expect(routeFor(routes, 'acme jan-2026')?.name).toBe('gap');
    expect(routeFor(routes, '')?.name).toBe('gap');
    expect(routeFor(routes, 'silenced jan-2026')?.name).toBe('gap');
  });
});

describe('silence and digest messages', () => {
  const silence: ActiveSilence & { id: string } = { id: '7', customer: 'acme', from: NOW, to: new Date(NOW.getTime() + 4 * 3_600_000), reason: 'planned <!channel> migration', by: 'U0ALICE' };

  it('confirms a silence with who, how long, until when, the reason (escaped) and how to end it', () => {
    const m = silencedMessage(silence);
    expect(m.text).toBe('<@U0ALICE> silenced the watchdog for acme for 4 hours, until 2026-12-07 21:00 UTC: planned &lt;!channel&gt; migration (silence #7).');
    expect(JSON.stringify(m.blocks)).toContain('/scorecard-gap unsilence 7');
    expect([spanText(30 * 60_000), spanText(86_400_000), spanText(3_600_000)]).toEqual(['30 minutes', '1 day', '1 hour']);
  });

  it('a first post after a silence says so above the alert', () => {
    const m = withSilenceEnded({ text: 'acme submitted: …', blocks: [{ type: 'divider' }] }, { customer: 'acme', silencedAt: '2026-12-07T17:00:00.000Z' });
    expect(m.text).toBe('The silence of acme has ended and this problem is still open (held since 2026-12-07 17:00 UTC). acme submitted: …');
    expect(m.blocks).toHaveLength(2);
  });

  it('the App Home shows the silences in force under its head', () => {
    expect(homeSilenceBlocks([])).toEqual([]);
    const view = homeView({ audits: [], alerts: [], pendingBackfills: {}, now: NOW, silences: [silence, { ...silence, id: null, customer: 'all', by: null, reason: 'config' }] });
    const text = JSON.stringify(view.blocks);
    expect(text).toContain(':mute: *Silenced*');
    expect(text).toContain('*acme* until 2026-12-07 21:00 UTC (#7, by <@U0ALICE>)');
    expect(text).toContain('*every customer* until 2026-12-07 21:00 UTC (from the config file)');
  });

  it('the digest lists open problems with their thread and acknowledgement, then the healthy customers on one line', () => {
    expect(digestCron('09:00')).toBe('0 9 * * *');
    expect(digestCron('23:45')).toBe('45 23 * * *');
    const m = digestMessage({
      audit: 'hourly',
      day: '2026-12-07',
      problems: [
        { customer: 'umbrella', population: 'unsubmitted', start: '2026-12-06', missing: 5, total: 63, channel: 'C0A', threadTs: null, acknowledgedBy: null, owners: '<!subteam^S0SRE>', silenced: true },
        { customer: 'acme', population: 'submitted', start: '2026-12-05', missing: 30, total: 1234, channel: 'C0A', threadTs: '1765000000.000100', acknowledgedBy: 'U0BOB', silenced: false },
      ],
      healthy: ['initech', 'globex'],
      failed: ['hooli'],
      unaudited: [],
    });
    expect(m.text).toBe('Daily digest of hourly, 2026-12-07: 2 open problems, 2 healthy customers');
    const lines = (m.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(lines).toEqual([
      '• <https://slack.com/archives/C0A/p1765000000000100|acme submitted> since 2026-12-05: 30 of 1,234 missing (2.4%) · acknowledged by <@U0BOB>',
      '• umbrella unsubmitted since 2026-12-06: 5 of 63 missing (7.9%) · not acknowledged (owners: <!subteam^S0SRE>) · :mute: silenced',
    ]);
    expect(JSON.stringify(m.blocks)).toContain('*Healthy:* initech, globex');
    expect(JSON.stringify(m.blocks)).toContain('last audit failed: hooli');
  });
});
