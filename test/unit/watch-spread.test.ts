import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { configProblems } from '../support/config-problems.js';
import { cronIntervalMs } from '../../src/config/watch-schema.js';
import { SPREAD_AUTO_MIN_CUSTOMERS, auditIntervalMs, spreadOffsets, spreadWindowMs } from '../../src/watch/spread.js';

const BASE = `
customers:
  - { name: rentokil, profile: us-east-1, postgres: { url: postgres://ro@db/r } }
slack:
  allowedChannels: [C0ALERTS]
`;

const problems = configProblems;

describe('spreading an audit over its schedule', () => {
  it('reads the interval of every and of cron schedules', () => {
    expect(auditIntervalMs({ every: '15m' })).toBe(900_000);
    expect(auditIntervalMs({ cron: '0 * * * *' })).toBe(3_600_000);
    expect(cronIntervalMs('*/10 * * * *')).toBe(600_000);
    // Weekday mornings: the shortest gap is a day, not the weekend's three.
    expect(cronIntervalMs('0 9 * * 1-5')).toBe(86_400_000);
  });

  it('auto spreads only large audits, over half the interval; off and small audits start back to back', () => {
    expect(spreadWindowMs({ every: '1h', spread: 'auto' }, SPREAD_AUTO_MIN_CUSTOMERS - 1)).toBe(0);
    expect(spreadWindowMs({ every: '1h', spread: 'auto' }, 300)).toBe(1_800_000);
    expect(spreadWindowMs({ cron: '*/30 * * * *', spread: 'auto' }, 300)).toBe(900_000);
    expect(spreadWindowMs({ every: '1h', spread: 'off' }, 300)).toBe(0);
    expect(spreadWindowMs({ every: '1h', spread: '10m' }, 4)).toBe(600_000);
    expect(spreadWindowMs({ every: '1h', spread: '10m' }, 1)).toBe(0);
  });

  it('spaces the starts evenly, the first at once', () => {
    expect(spreadOffsets(1_800_000, 300).slice(0, 3)).toEqual([0, 6_000, 12_000]);
    expect(spreadOffsets(1_800_000, 300).at(-1)).toBe(1_794_000);
    expect(spreadOffsets(0, 3)).toEqual([0, 0, 0]);
    expect(spreadOffsets(1_000, 0)).toEqual([]);
  });

  it('defaults to auto and refuses a spread as long as the interval, naming the audit', () => {
    const c = parseConfig(`${BASE}watch:\n  - { name: hourly, every: 1h, channel: C0ALERTS }\n`, {});
    expect(c.watch[0]!.spread).toBe('auto');
    expect(problems(`${BASE}watch:\n  - { name: hourly, every: 1h, spread: 1h, channel: C0ALERTS }\n`)).toMatch(
      /watch\[0\]\.spread.*spread 1h is not shorter than the audit's interval \(60 min\)/,
    );
    expect(problems(`${BASE}watch:\n  - { name: q, cron: "*/15 * * * *", spread: 20m, channel: C0ALERTS }\n`)).toMatch(/spread 20m is not shorter than the audit's interval \(15 min\)/);
    expect(problems(`${BASE}watch:\n  - { name: q, every: 1h, spread: soon, channel: C0ALERTS }\n`)).toMatch(/watch\[0\]\.spread.*auto, off, or a duration/);
  });
});
