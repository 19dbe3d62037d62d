import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { configJsonSchema, reportJsonSchemas } from '../../src/cli/config-cli.js';
import { BotError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { maskDeep, maskSecrets } from '../../src/shared/mask.js';

const GOOD = `
customers:
  - name: rentokil
    profile: us-east-1
    cluster: us-east-1-prod
    postgres:
      url: \${RENTOKIL_PG_URL}
    writer:
      url: \${RENTOKIL_PG_WRITER_URL}
  - name: spirit
    profile: us-east-1
    postgres: { command: "cresta-cli connstring -i --read-only {cluster} {cluster} {name}-{profile}" }
clickhouse:
  url: \${CLICKHOUSE_URL}
`;

describe('config', () => {
  it('expands ${VAR} references and applies defaults', () => {
    const c = parseConfig(GOOD, {
      RENTOKIL_PG_URL: 'postgres://ro:s3cret@db/rentokil',
      RENTOKIL_PG_WRITER_URL: 'postgres://rw:w@db/rentokil',
      CLICKHOUSE_URL: 'http://ch:8123',
    });
    expect(c.customers[0]?.postgres).toEqual({ url: 'postgres://ro:s3cret@db/rentokil' });
    expect(c.customers[1]?.postgres).toMatchObject({ cacheSeconds: 3600 });
    expect(c.clickhouse).toMatchObject({ database: 'conversations', table: 'scorecard_scores' });
    expect(c.gap).toEqual({ statementTimeoutMs: 60000, concurrency: 4, historyMonths: 6, lookbackMonths: 24, windowAttempts: 5, retryBackoffMs: 5000 });
  });

  it('lists every problem at once, with paths and examples', () => {
    const bad = `
customers:
  - name: Rentokil
    profile: ""
    postgres: { host: x }
  - name: spirit
    profile: us-east-1
    postgres: { url: "\${MISSING_VAR}" }
clickhouse: { url: "not a url", table: "x; drop" }
gap: { concurrency: 0 }
surprise: 1
`;
    let err: BotError | undefined;
    try {
      parseConfig(bad, {}, 'bad.yml');
    } catch (e) {
      err = e as BotError;
    }
    expect(err?.code).toBe('BAD_CONFIG');
    const text = err?.userMessage ?? '';
    expect(text).toMatch(/^bad.yml has \d+ problem/);
    for (const needle of [
      'customers[0].name',
      'customers[0].profile',
      'customers[0].postgres',
      'MISSING_VAR is not set',
      'clickhouse.url',
      'clickhouse.table',
      'gap.concurrency',
      'unknown key(s): surprise',
      'cresta-cli connstring',
    ]) {
      expect(text).toContain(needle);
    }
  });

  it('rejects invalid YAML with a message, not a stack', () => {
    expect(() => parseConfig('customers: [\n  - {', {}, 'x.yml')).toThrow(/x.yml is not valid YAML/);
  });

  it('refuses "all" and duplicate customer names', () => {
    const text = `customers:\n  - { name: all, profile: p, postgres: { url: x } }\n  - { name: a, profile: p, postgres: { url: x } }\n  - { name: a, profile: p, postgres: { url: x } }\n`;
    expect(() => parseConfig(text, {})).toThrow(/"all" is reserved/);
    expect(() => parseConfig(text, {})).toThrow(/customers: duplicate name "a" \(the config file, 2 times\)/);
  });

  it('takes Slack secrets from the environment', () => {
    const c = parseConfig(GOOD, {
      RENTOKIL_PG_URL: 'u',
      RENTOKIL_PG_WRITER_URL: 'u',
      CLICKHOUSE_URL: 'http://ch:8123',
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_MODE: 'http',
      PORT: '3999',
    });
    expect(c.slack).toMatchObject({ botToken: 'xoxb-1-2-abc', mode: 'http', port: 3999 });
  });

  it('the demo config is valid and the published JSON Schema is current', () => {
    const demo = parseConfig(readFileSync('config/demo.yml', 'utf8'), {});
    expect(demo.customers.map((c) => c.name)).toEqual(['rentokil', 'spirit', 'guitar-center', 'nclh']);
    const published = JSON.parse(readFileSync('config/config.schema.json', 'utf8')) as unknown;
    expect(published).toEqual(configJsonSchema());
    // The JSON contracts of `gap --json` and `check --json` are published too (regenerate: config:schema --out docs).
    const { gapReport, checkResult } = reportJsonSchemas();
    expect(JSON.parse(readFileSync('docs/gap-report.schema.json', 'utf8'))).toEqual(gapReport);
    expect(JSON.parse(readFileSync('docs/check-result.schema.json', 'utf8'))).toEqual(checkResult);
  });
});

describe('secrets', () => {
  it('masks URL passwords, tokens and password parameters', () => {
    expect(maskSecrets('postgres://ro:s3cret@db:5432/x and xoxb-123-456-abcdef, http://h/?password=p1&x=1')).toBe(
      'postgres://ro:***@db:5432/x and xoxb-***, http://h/?password=***&x=1',
    );
    expect(maskDeep({ slack: { botToken: 'xoxb-1-2', signingSecret: 'abc' }, url: 'postgres://u:p@h/d' })).toEqual({
      slack: { botToken: '***', signingSecret: '***' },
      url: 'postgres://u:***@h/d',
    });
  });

  it('never lets a secret reach the log', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ destination: sink as never, level: 'info' });
    log.info({ config: { url: 'postgres://ro:hunter2@db/x', botToken: 'xoxb-9-9-zzz' }, token: 'xapp-1-abc' }, 'connecting to postgres://ro:hunter2@db/x');
    log.error({ err: new Error('connect failed for postgresql://rw:pw123@db/x') }, 'boom');
    const all = lines.join('');
    expect(all).toContain('postgres://ro:***@db/x');
    for (const secret of ['hunter2', 'xoxb-9-9-zzz', 'xapp-1-abc', 'pw123']) expect(all).not.toContain(secret);
  });
});
