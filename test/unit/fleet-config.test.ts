// Issue 20: a fleet-sized config. 300 customers: 4 in the file, the rest from customersFrom files and a command,
// each filled in from its cluster's defaults; problems name the file they came from; config:check counts them.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configCommand } from '../../src/cli/config-cli.js';
import { loadConfig, loadConfigWithOrigins, parseConfig } from '../../src/config/load-config.js';

const TEMPLATE = 'cresta-cli connstring -i --read-only {cluster} {cluster} {customer}-{profile}';
const tenant = (i: number): string => `tenant${String(i).padStart(3, '0')}`;

function fleet(opts: { extraFile?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sgb-fleet-'));
  mkdirSync(join(dir, 'customers', 'eu'), { recursive: true });
  writeFileSync(
    join(dir, 'config.yml'),
    `clusters:
  eu-west-1-prod: { profile: eu-west-1, postgres: { command: "${TEMPLATE}" } }
  us-east-1-prod: { profile: us-east-1, postgres: { command: "${TEMPLATE}" }, writer: { command: "cresta-cli connstring {cluster} {customer}-{profile}" } }
customersFrom:
  - customers/**/*.yml
  - { command: "${join(dir, 'list-customers')}" }
customers:
${['rentokil', 'spirit', 'guitar-center', 'nclh'].map((n) => `  - { name: ${n}, profile: us-east-1, postgres: { url: "postgres://ro@db/${n}" } }`).join('\n')}
`,
  );
  // 200 in one list file per 50, under two folders; 96 from the command.
  for (let f = 0; f < 4; f++) {
    const list = Array.from({ length: 50 }, (_, k) => `- { name: ${tenant(f * 50 + k)}, cluster: eu-west-1-prod }`).join('\n');
    writeFileSync(join(dir, 'customers', f < 2 ? '' : 'eu', `part${f}.yml`), `${list}\n`);
  }
  if (opts.extraFile) writeFileSync(join(dir, 'customers', 'extra.yml'), opts.extraFile);
  const lines = Array.from({ length: 96 }, (_, k) => `${tenant(200 + k)} us-east-1 us-east-1-prod`).join('\n');
  writeFileSync(join(dir, 'list-customers'), `#!/bin/sh\ncat <<'EOF'\n# name profile cluster\n${lines}\nEOF\n`);
  chmodSync(join(dir, 'list-customers'), 0o755);
  return join(dir, 'config.yml');
}

describe('a fleet of 300 customers', () => {
  it('loads 4 from the file, 200 from files and 96 from a command, filled from their clusters', async () => {
    const path = fleet();
    const { config, origins } = await loadConfigWithOrigins(path, { PATH: process.env.PATH });
    expect(config.customers).toHaveLength(300);
    expect(origins.filter((o) => o === 'the config file')).toHaveLength(4);
    expect(origins.filter((o) => o.startsWith('customers/'))).toHaveLength(200);
    expect(origins.filter((o) => o.startsWith('the customers command'))).toHaveLength(96);
    const t47 = config.customers.find((c) => c.name === 'tenant047')!;
    expect(t47).toMatchObject({ profile: 'eu-west-1', cluster: 'eu-west-1-prod', postgres: { command: TEMPLATE } });
    expect(t47.writer).toBeUndefined();
    const t250 = config.customers.find((c) => c.name === 'tenant250')!;
    expect(t250).toMatchObject({ profile: 'us-east-1', cluster: 'us-east-1-prod', writer: { command: 'cresta-cli connstring {cluster} {customer}-{profile}' } });
    expect(config.customers.find((c) => c.name === 'rentokil')).toMatchObject({ postgres: { url: 'postgres://ro@db/rentokil' } });
  });

  it('config:check prints the config and, beside it, the count', async () => {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    const code = await configCommand('check', ['--config', fleet()], { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: { PATH: process.env.PATH } });
    expect(code).toBe(0);
    expect(JSON.parse(out).customers).toHaveLength(300);
    expect(err).toBe('300 customers: 4 in the config file, 200 from 4 files, 96 from the customers command (list-customers); no duplicate names\nno ClickHouse configured: only historic is compared\n');
  });

  it('names every place a duplicate comes from, and the file of a bad customer', async () => {
    const path = fleet({ extraFile: '- { name: tenant010, cluster: eu-west-1-prod }\n- { name: spirit, cluster: eu-west-1-prod }\n- { name: Bad_Name, cluster: eu-west-1-prod }\n' });
    const err = await loadConfig(path, { PATH: process.env.PATH }).catch((e: unknown) => e as Error);
    const message = (err as { userMessage?: string }).userMessage ?? String(err);
    expect(message).toContain('customers: duplicate name "tenant010" (customers/extra.yml; customers/part0.yml)');
    expect(message).toContain('customers: duplicate name "spirit" (the config file; customers/extra.yml)');
    expect(message).toMatch(/customers\[\d+\]\.name: lowercase letters, digits and dashes, e\.g\. "guitar-center" \(from customers\/extra\.yml\)/);
  });

  it('a customer without a cluster default still needs its own profile and postgres', () => {
    expect(() => parseConfig('customers: [{ name: lonely, cluster: nowhere }]', {})).toThrow(/customers\[0\]\.profile/);
    expect(() => parseConfig('customersFrom: customers/*.yml\ncustomers: []', {})).toThrow(/only when the config is a file/);
  });
});
