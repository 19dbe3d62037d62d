import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCH_QUEUE } from '../../src/watch/schedules.js';
import { adminQuery, createDemoDatabase, PG_ADMIN, type DemoDatabase } from '../support/demo-database.js';
import { freePort, startOwnRedis, until, type OwnRedis } from '../support/job-helpers.js';
import { parsePrometheusText } from '../support/prom-text.js';
import { requireBinaries } from '../support/redis-cluster.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';

// The watchdog's watchdog and its failure notices, with a real `worker` process (src/cli.ts via tsx), a Redis of
// the test's own and the Slack emulator:
//   - the customer's database refuses the login: one "Audit of rentokil failed" message however many audits run,
//     then one "works again" once the login works;
//   - Redis killed: /readyz names it in plain words and names the stale audit, scorecard_bot_watch_stale is 1,
//     /metrics still answers at once, the channel gets one message, and the log says it once a minute, not every 2 s;
//   - Redis back on the same port, empty (its schedules lost): the schedule is restored, the audit runs again,
//     one "running again" message, the gauge is 0 and /readyz is 200 again.

const CHANNEL = 'C0STALE';
const AUDIT = 'every-2s';

let demo: DemoDatabase;
let redis: OwnRedis;
let slack: SlackEmulator;
let child: ChildProcess;
let stderr = '';
let base: string;
const role = `sgb_stale_${Math.random().toString(36).slice(2, 8)}`;

const lines = (msg: string): Record<string, unknown>[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg || String(l.msg).startsWith(`${msg} (and`));
const texts = (): string[] => slack.messages(CHANNEL).map((m) => m.text ?? '');
const count = (re: RegExp): number => texts().filter((t) => re.test(t)).length;

async function scrape(): Promise<{ ms: number; stale: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const ms = performance.now() - t0;
  return { ms, stale: parsePrometheusText(text.replace(/ Nan$/gm, ' NaN')).value('scorecard_bot_watch_stale', { audit: AUDIT }) };
}

async function ready(): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  requireBinaries('redis-server', 'redis-cli');
  demo = await createDemoDatabase({ scale: 0.002, seed: 17, customers: ['rentokil'], from: '2025-11-01', to: '2025-12-15', clickhouse: false });
  redis = await startOwnRedis();
  slack = await startSlackEmulator();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // The customer's database knows no such role yet: its login is refused until the test creates it.
  const refusedUrl = `${PG_ADMIN.replace('postgres@', `${role}@`)}/${demo.name}`;
  const config = demo.config({
    customers: [{ name: 'rentokil', profile: demo.truth.profileId, cluster: 'us-east-1-prod', postgres: { url: refusedUrl } }],
    redis: { url: redis.url, prefix: 'sgb-stale' },
    gap: { statementTimeoutMs: 10_000, concurrency: 2, historyMonths: 1, windowAttempts: 1, retryBackoffMs: 50 },
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'stale-secret', port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL] },
    watch: [{ name: AUDIT, every: '2s', lookback: 'last-48h', customers: ['rentokil'], channel: CHANNEL }],
    observability: { port, host: '127.0.0.1' },
    logLevel: 'info',
  });
  const dir = mkdtempSync(join(tmpdir(), 'sgb-stale-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker', '--config', join(dir, 'config.json')], {
    env: { ...process.env, LOG_LEVEL: 'info', SCORECARD_BOT_LOCK_MS: '5000', SCORECARD_BOT_STALLED_MS: '2000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
}, 240_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  redis?.stop();
  await slack?.close();
  await demo?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
});

describe('a worker whose audits fail, then whose Redis dies and comes back empty', () => {
  it('a customer whose audit fails: one message, quiet while it keeps failing, one line when it works again', async () => {
    await slack.waitFor(() => count(/^Audit of rentokil failed/) >= 1, 90_000);
    expect(texts().find((t) => t.startsWith('Audit of rentokil failed'))).toMatch(/^Audit of rentokil failed \(audit every-2s\): rentokil's database \(us-east-1\) refused the login of user "sgb_stale_\w+"\./);
    // Several more audits, all failing for rentokil: still one message.
    const done = lines('watch: audit done').length;
    await until(async () => (lines('watch: audit done').length >= done + 3 ? true : null), 60_000, 'three more audits');
    expect(count(/^Audit of rentokil failed/)).toBe(1);
    // The login works: the next audit says so, once.
    await adminQuery(`CREATE ROLE ${role} LOGIN IN ROLE scorecard_bot_ro`);
    await slack.waitFor(() => count(/^Audit of rentokil works again \(audit every-2s\)\.$/) === 1, 60_000);
    const after = lines('watch: audit done').length;
    await until(async () => (lines('watch: audit done').length >= after + 2 ? true : null), 60_000, 'two more audits');
    expect(count(/^Audit of rentokil failed/)).toBe(1);
    expect(count(/^Audit of rentokil works again/)).toBe(1);
    expect((await scrape()).stale).toBe(0);
    expect(await ready()).toEqual({ status: 200, body: 'redis: ok\nops_database: ok\nwatch: ok\n' });
  }, 180_000);

  it('Redis killed: readyz names it and the stale audit, the gauge is 1, /metrics answers at once, one message', async () => {
    const killedAt = Date.now();
    redis.stop();
    const stale = await until(async () => {
      const r = await ready();
      return r.status === 503 && r.body.includes('watch: audit') ? r : null;
    }, 30_000, 'readyz names the stale audit');
    expect(stale.body).toContain(`redis: not reachable at 127.0.0.1:${redis.port} (connection refused)\n`);
    expect(stale.body).toContain('ops_database: ok\n');
    expect(stale.body).toMatch(new RegExp(`watch: audit ${AUDIT} has not completed since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(over twice its interval\\)`));
    const scraped = await until(async () => {
      const s = await scrape();
      return s.stale === 1 ? s : null;
    }, 20_000, 'the stale gauge');
    expect(scraped.ms).toBeLessThan(3_000);
    await slack.waitFor(() => count(/has stopped running/) === 1, 20_000);
    expect(texts().find((t) => t.includes('has stopped running'))).toMatch(new RegExp(`^The audit ${AUDIT} \\(every 2s\\) has stopped running: it last completed `));
    // Down for a while longer: every scrape within its deadline, still one message, and the log not flooded.
    for (let i = 0; i < 5; i++) {
      expect((await scrape()).ms).toBeLessThan(3_000);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(Date.now() - killedAt).toBeGreaterThan(8_000);
    expect(count(/has stopped running/)).toBe(1);
    const redisWarnings = lines('redis (command path) error');
    expect(redisWarnings.length).toBeGreaterThan(0);
    // One line per cause per minute (the issue saw one every 2 s).
    expect(redisWarnings.length).toBeLessThanOrEqual(2);
    expect(lines('watch: worker error').length).toBeLessThanOrEqual(3);
  }, 120_000);

  it('Redis back on the same port, empty: the schedule is restored, the audit runs again, one "running again"', async () => {
    await redis.restartEmpty();
    await slack.waitFor(() => count(/is running again/) === 1, 60_000);
    expect(texts().find((t) => t.includes('is running again'))).toMatch(new RegExp(`^The audit ${AUDIT} is running again \\(completed \\d{4}-`));
    const queue = new Queue(WATCH_QUEUE, { connection: { url: redis.url }, prefix: 'sgb-stale' });
    try {
      expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([`watch:${AUDIT}`]);
      await until(async () => ((await queue.getJobs(['completed'])).length >= 2 ? true : null), 30_000, 'audits completed on the new Redis');
    } finally {
      await queue.close();
    }
    expect(lines('watch: restored audit schedules (lost, or their audit stopped running)').length).toBeGreaterThan(0);
    await until(async () => ((await scrape()).stale === 0 ? true : null), 20_000, 'the stale gauge back to 0');
    await until(async () => ((await ready()).status === 200 ? true : null), 20_000, 'readyz 200');
    expect(count(/has stopped running/)).toBe(1);
    expect(count(/is running again/)).toBe(1);
  }, 120_000);
});
