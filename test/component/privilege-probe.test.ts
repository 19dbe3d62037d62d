import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configCommand } from '../../src/cli/config-cli.js';
import { createLogger } from '../../src/shared/logger.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { warnIfWritable } from '../../src/sources/privilege-probe.js';
import { createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';

// The read-only check on real PostgreSQL: the demo's read-only role passes; the superuser, and a role granted
// UPDATE on one contract table, are reported by customer name; an unreachable customer is a warning, not a crash.

let demo: DemoDatabase;
const writerRole = `sgb_probe_rw_${randomUUID().slice(0, 8)}`;
let writerUrl: string;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: demo.adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.001, seed: 3, customers: ['rentokil'], clickhouse: false, from: '2026-01-01', to: '2026-02-01' });
  await admin(`CREATE ROLE ${writerRole} LOGIN; GRANT USAGE ON SCHEMA historic TO ${writerRole}; GRANT SELECT, UPDATE ON historic.scorecard_scores TO ${writerRole}`);
  const u = new URL(demo.adminUrl);
  u.username = writerRole;
  writerUrl = u.toString();
});

afterAll(async () => {
  await admin(`DROP OWNED BY ${writerRole}`).catch(() => undefined);
  await demo?.drop();
  const c = new pg.Client({ connectionString: demo.adminUrl.replace(/\/[^/]+$/, '/postgres') });
  await c.connect();
  await c.query(`DROP ROLE IF EXISTS ${writerRole}`).catch(() => undefined);
  await c.end();
});

function configFor() {
  return demo.config({
    customers: [
      { name: 'rentokil', profile: 'us-east-1', postgres: { url: demo.readOnlyUrl } },
      { name: 'spirit', profile: 'us-east-1', postgres: { url: demo.adminUrl } },
      { name: 'nclh', profile: 'us-east-1', postgres: { url: writerUrl } },
      { name: 'guitar-center', profile: 'us-east-1', postgres: { url: 'postgres://nobody@127.0.0.1:1/nowhere' } },
    ],
  });
}

describe('read-only check at start', () => {
  it('warns by customer name when read credentials can write, and only then', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const sources = new CustomerSources(configFor());
    try {
      const results = await warnIfWritable(sources, createLogger({ level: 'info', destination: sink as never }), 10_000);
      expect(Object.fromEntries(results.map((r) => [r.customer, r.status]))).toEqual({ rentokil: 'read-only', spirit: 'can-write', nclh: 'can-write', 'guitar-center': 'unreachable' });
      const warnings = lines.filter((l) => l.level === 40);
      expect(warnings.filter((w) => /READ-ONLY CHECK FAILED/.test(String(w.msg))).map((w) => w.customer).sort()).toEqual(['nclh', 'spirit']);
      const spirit = warnings.find((w) => w.customer === 'spirit')!;
      expect(String(spirit.msg)).toMatch(/spirit: DANGER.*\(superuser\).*director\.scorecards \(INSERT, UPDATE, DELETE, TRUNCATE\)/);
      const nclh = warnings.find((w) => w.customer === 'nclh')!;
      expect(nclh.writable).toEqual([{ table: 'historic.scorecard_scores', privileges: ['UPDATE'] }]);
      expect(warnings.some((w) => w.customer === 'guitar-center' && /could not run/.test(String(w.msg)))).toBe(true);
      expect(warnings.some((w) => w.customer === 'rentokil')).toBe(false);
    } finally {
      await sources.close();
    }
  });
});

describe('worker start', () => {
  it('logs the warning naming the customer, and keeps running', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sgb-probe-')), 'config.json');
    const all = configFor();
    // A worker needs the slack section (it posts reports), not a listener.
    const slackSection = { mode: 'socket', botToken: 'xoxb-test', appToken: 'xapp-test', allowAllChannels: true };
    writeFileSync(file, JSON.stringify({ ...all, customers: all.customers.filter((c) => c.name !== 'nclh'), slack: slackSection, logLevel: 'info' }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker', '--config', file], { env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!(/READ-ONLY CHECK FAILED/.test(log) && /guitar-center/.test(log)) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const lines = log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const failed = lines.filter((l) => /READ-ONLY CHECK FAILED/.test(String(l.msg)));
      expect(failed.map((l) => l.customer)).toEqual(['spirit']);
      expect(lines.some((l) => l.customer === 'guitar-center' && l.level === 40)).toBe(true);
      expect(lines.some((l) => l.msg === 'scorecard-bot worker started')).toBe(true);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('config:check --probe', () => {
  async function run(config: unknown): Promise<{ code: number; out: string }> {
    const file = join(mkdtempSync(join(tmpdir(), 'sgb-probe-')), 'config.json');
    writeFileSync(file, JSON.stringify(config));
    let out = '';
    const stdout = new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const code = await configCommand('check', ['--config', file, '--probe'], { stdout, env: {} });
    return { code, out };
  }

  it('prints the result per customer and exits non-zero when read credentials can write', async () => {
    const all = configFor();
    const bad = await run(all);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('rentokil: ok');
    expect(bad.out).toMatch(/spirit: DANGER/);
    expect(bad.out).toMatch(/nclh: DANGER.*historic\.scorecard_scores \(UPDATE\)/);
    expect(bad.out).toMatch(/guitar-center: not checked/);
    const good = await run({ ...all, customers: all.customers.filter((c) => c.name === 'rentokil') });
    expect(good.code).toBe(0);
    expect(good.out).toContain('rentokil: ok');
  });
});
