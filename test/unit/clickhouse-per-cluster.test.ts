// Issue 20, item 5: ClickHouse per cluster and per customer. A customer's ClickHouse is its own, else its cluster's,
// else the top-level one, else none; one client per distinct server and reader; config:check counts the servers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { planTarget } from '../../src/backfill/service.js';
import { periodScope } from '../../src/backfill/scope.js';
import { clickhouseCountLine, configCommand } from '../../src/cli/config-cli.js';
import { clickhouseOf } from '../../src/config/clickhouse-of.js';
import { loadConfig, parseConfig } from '../../src/config/load-config.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { createClickhouseTiers } from '../../src/sources/clickhouse-tiers.js';

const pg = (n: string): string => `postgres: { url: "postgres://ro@db/${n}" }`;

// eu has its own ClickHouse; us has none (its customers fall back to the top level); "own" overrides its cluster.
const FLEET = `
clusters:
  eu-west-1-prod:
    profile: eu-west-1
    clickhouse: { url: "http://ch-eu:8123", database: eu, table: scores, reader: { username: eu_ro, password: eu-secret }, settleMinutes: 15 }
  us-east-1-prod: { profile: us-east-1 }
clickhouse: { url: "http://ch-main:8123", reader: { username: main_ro, password: main-secret } }
customers:
  - { name: eu-a, cluster: eu-west-1-prod, ${pg('eu-a')} }
  - { name: eu-b, cluster: eu-west-1-prod, ${pg('eu-b')} }
  - { name: eu-own, cluster: eu-west-1-prod, ${pg('eu-own')}, clickhouse: { url: "http://ch-eu:8123", database: own, reader: { username: eu_ro, password: eu-secret } } }
  - { name: us-a, cluster: us-east-1-prod, ${pg('us-a')} }
  - { name: lone, profile: p1, ${pg('lone')} }
  - { name: lost, profile: p1, cluster: nowhere, ${pg('lost')} }
`;

describe('which ClickHouse a customer uses', () => {
  const config = parseConfig(FLEET, {});

  it('its own, else its cluster\'s, else the top-level one', () => {
    const of = (n: string) => {
      const ch = clickhouseOf(config, n);
      return ch && `${ch.url} ${ch.database}.${ch.table} ${ch.reader?.username ?? '-'} ${ch.settleMinutes}`;
    };
    expect(of('eu-a')).toBe('http://ch-eu:8123 eu.scores eu_ro 15');
    expect(of('eu-b')).toBe('http://ch-eu:8123 eu.scores eu_ro 15');
    // Taken whole: its own block's defaults, not its cluster's database or settleMinutes.
    expect(of('eu-own')).toBe('http://ch-eu:8123 own.scorecard_scores eu_ro 60');
    expect(of('us-a')).toBe('http://ch-main:8123 conversations.scorecard_scores main_ro 60');
    expect(of('lone')).toBe('http://ch-main:8123 conversations.scorecard_scores main_ro 60');
    expect(of('lost')).toBe('http://ch-main:8123 conversations.scorecard_scores main_ro 60');
    expect(of('nobody')).toBeNull();
  });

  it('none without a top-level one, for customers whose cluster has none', () => {
    const noTop = parseConfig(FLEET.replace(/^clickhouse: .*$/m, ''), {});
    expect(noTop.clickhouse).toBeUndefined();
    expect(clickhouseOf(noTop, 'us-a')).toBeNull();
    expect(clickhouseOf(noTop, 'lone')).toBeNull();
    expect(clickhouseOf(noTop, 'eu-a')?.url).toBe('http://ch-eu:8123');
  });

  it('one read client per server and reader; each customer gets its own table', async () => {
    const tiers = createClickhouseTiers(config)!;
    try {
      const [a, b, own, us, lone] = ['eu-a', 'eu-b', 'eu-own', 'us-a', 'lone'].map((n) => tiers.forCustomer(n)!);
      expect([a!.table, own!.table, us!.table]).toEqual(['eu.scores', 'own.scorecard_scores', 'conversations.scorecard_scores']);
      expect(a!.settleMinutes).toBe(15);
      expect(b).toBe(a); // same block: the same tier
      expect(own!.client).toBe(a!.client); // same server and reader, another table: one client
      expect(us!.client).not.toBe(a!.client);
      expect(lone!.client).toBe(us!.client);
      expect(tiers.forCustomer('nobody')).toBeNull();
    } finally {
      await tiers.close();
    }
    expect(createClickhouseTiers(parseConfig(FLEET.replace(/^clickhouse: .*$/m, '').replace(/^ {4}clickhouse: .*$/m, '').replace(/, clickhouse: \{.*\} \}$/m, ' }'), {}))).toBeNull();
  });

  it('a backfill binds the writer to the customer\'s own ClickHouse', () => {
    const period = parsePeriod('jan-2026');
    const target = (n: string) => planTarget({ config }, periodScope(config.customers.find((c) => c.name === n)!, period, true)).writerIdentity;
    const withWriter = parseConfig(FLEET.replace(/\{ name: (eu-a|us-a), (.*) \}$/gm, '{ name: $1, $2, writer: { url: "postgres://rw@db/$1" } }'), {});
    const bound = (n: string) => planTarget({ config: withWriter }, periodScope(withWriter.customers.find((c) => c.name === n)!, period, true)).writerIdentity?.clickhouse;
    expect(target('eu-a')).toBeNull(); // no writer configured
    expect(bound('eu-a')).toEqual({ url: 'http://ch-eu:8123', database: 'eu', table: 'scores' });
    expect(bound('us-a')).toEqual({ url: 'http://ch-main:8123', database: 'conversations', table: 'scorecard_scores' });
  });
});

describe('the schema of a cluster\'s and a customer\'s clickhouse', () => {
  it('is the top-level one, and its problems name their path', () => {
    const bad = `
clusters:
  eu: { profile: p, clickhouse: { url: "not a url", username: shared } }
customers:
  - { name: a, cluster: eu, ${pg('a')} }
  - { name: b, profile: p, ${pg('b')}, clickhouse: { url: "http://ch:8123", table: "x; drop", surprise: 1 } }
`;
    const text = ((): string => {
      try {
        parseConfig(bad, {}, 'bad.yml');
        return '';
      } catch (e) {
        return (e as { userMessage: string }).userMessage;
      }
    })();
    expect(text).toContain('clusters.eu.clickhouse.url: e.g. http://clickhouse:8123');
    expect(text).toContain('clusters.eu.clickhouse.username: one credential for reading and writing is not accepted');
    expect(text).toContain('customers[1].clickhouse.table: must be a plain identifier');
    expect(text).toContain('customers[1].clickhouse: unknown key(s): surprise');
    // The cluster's problem is named once, not again under each of its customers.
    expect(text).not.toContain('customers[0].clickhouse');
  });

  it('a customer file names the file a bad clickhouse came from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-chcluster-'));
    writeFileSync(join(dir, 'config.yml'), 'customersFrom: customers/*.yml\ncustomers: []\n');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'customers'));
    writeFileSync(join(dir, 'customers', 't1.yml'), `{ name: t1, profile: p, ${pg('t1')}, clickhouse: { url: "http://ch:8123", requestTimeoutMs: -1 } }\n`);
    await expect(loadConfig(join(dir, 'config.yml'), {})).rejects.toMatchObject({
      userMessage: expect.stringContaining('customers[0].clickhouse.requestTimeoutMs: ') as unknown,
    });
    await expect(loadConfig(join(dir, 'config.yml'), {})).rejects.toMatchObject({ userMessage: expect.stringContaining('(from customers/t1.yml)') as unknown });
  });
});

describe('config:check', () => {
  it('counts the ClickHouse servers, never with a secret', async () => {
    const withUrlSecret = FLEET.replace('http://ch-main:8123', 'http://main_ro:url-secret@ch-main:8123/?password=q-secret');
    const config = parseConfig(withUrlSecret, {});
    const line = clickhouseCountLine(config);
    expect(line).toBe('2 ClickHouse servers: http://ch-eu:8123 (eu.scores: 2 customers, own.scorecard_scores: 1 customer); http://ch-main:8123 (conversations.scorecard_scores: 3 customers)');
    const dir = mkdtempSync(join(tmpdir(), 'sgb-chcluster-'));
    writeFileSync(join(dir, 'config.yml'), withUrlSecret);
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    expect(await configCommand('check', ['--config', join(dir, 'config.yml')], { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: {} })).toBe(0);
    expect(err).toBe(`6 customers: 6 in the config file; no duplicate names\n${line}\n`);
    for (const secret of ['eu-secret', 'main-secret', 'url-secret', 'q-secret']) expect(out + err).not.toContain(secret);
  });

  it('says which customers have none', () => {
    const noTop = parseConfig(FLEET.replace(/^clickhouse: .*$/m, ''), {});
    expect(clickhouseCountLine(noTop)).toBe('1 ClickHouse server: http://ch-eu:8123 (eu.scores: 2 customers, own.scorecard_scores: 1 customer); 3 customers without one (only historic is compared for them)');
    expect(clickhouseCountLine(parseConfig(`customers: [{ name: a, profile: p, ${pg('a')} }]`, {}))).toBe('no ClickHouse configured: only historic is compared');
  });
});
