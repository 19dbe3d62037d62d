import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { configProblems } from '../support/config-problems.js';

const BASE = `
customers:
  - { name: rentokil, profile: us-east-1, postgres: { url: postgres://ro@db/r } }
  - { name: spirit, profile: us-east-1, postgres: { url: postgres://ro@db/s } }
slack:
  allowedChannels: [C0ALERTS]
`;

const problems = configProblems;

describe('watch: config', () => {
  it('parses audits with their defaults', () => {
    const c = parseConfig(`${BASE}watch:\n  - { name: hourly, every: 1h, channel: C0ALERTS }\n  - { name: daily, cron: "0 6 * * *", lookback: last-30d, customers: [spirit], channel: C0ALERTS, thresholds: { submitted: 0.02 } }\n`, {});
    expect(c.watch).toHaveLength(2);
    expect(c.watch[0]).toMatchObject({ name: 'hourly', every: '1h', lookback: 'last-48h', customers: [], maxAlertsPerHour: 5, thresholds: { submitted: 0.01, unsubmitted: 0.05, clickhouse: 0 } });
    expect(c.watch[1]?.thresholds).toEqual({ submitted: 0.02, unsubmitted: 0.05, clickhouse: 0 });
    expect(parseConfig(BASE, {}).watch).toEqual([]);
  });

  it('lists a bad cron, an unknown customer and a channel not allowed with every other problem', () => {
    const text = `${BASE}gap: { concurrency: 0 }\nwatch:\n  - { name: a, cron: "61 * * * *", customers: [rentokil, nope], channel: C0ELSEWHERE }\n  - { name: b, every: 1h, cron: "* * * * *", channel: C0ALERTS, lookback: yesterday }\n`;
    const msg = problems(text);
    expect(msg).toMatch(/has 6 problem\(s\)/);
    expect(msg).toContain('gap.concurrency');
    expect(msg).toMatch(/watch\[0\]\.cron: not a valid cron expression/);
    expect(msg).toContain('watch[0].customers[1]: unknown customer "nope"; configured: rentokil, spirit');
    expect(msg).toContain('watch[0].channel: channel C0ELSEWHERE is not in slack.allowedChannels');
    expect(msg).toContain('watch[1]: give exactly one of cron');
    expect(msg).toMatch(/watch\[1\]\.lookback: last-<n>h or last-<n>d/);
  });

  it('allowAllChannels admits any channel', () => {
    const c = parseConfig(`${BASE.replace('allowedChannels: [C0ALERTS]', 'allowAllChannels: true')}watch:\n  - { name: a, every: 15m, channel: C0ANY }\n`, {});
    expect(c.watch[0]?.channel).toBe('C0ANY');
  });
});
