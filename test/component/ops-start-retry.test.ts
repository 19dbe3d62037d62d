import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDIS_URL } from '../support/demo-database.js';
import { freePort } from '../support/job-helpers.js';

// serve and worker as real processes (src/cli.ts via tsx) whose ops database is not there: they retry for
// ops.startRetrySeconds, then exit non-zero with the cause on stderr (before, serve printed "Cannot prepare the ops
// database" and stayed alive doing nothing). A refusal that waiting cannot fix (an unknown role) ends at once.

async function run(kind: 'serve' | 'worker', opsUrl: string, retrySeconds: number): Promise<{ code: number | null; ms: number; stderr: string }> {
  const dead = await freePort(); // nothing listens there
  const dir = mkdtempSync(join(tmpdir(), 'sgb-ops-start-'));
  const config = {
    customers: [{ name: 'acme', profile: 'std', cluster: 'us-east-1-prod', postgres: { url: `postgres://reader@127.0.0.1:${dead}/acme` } }],
    redis: { url: REDIS_URL, prefix: 'sgb-ops-start' },
    ops: { url: opsUrl.replace('DEAD', String(dead)), startRetrySeconds: retrySeconds },
    slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'ops-start-secret', port: 0, apiUrl: 'http://127.0.0.1:9/api/', allowedChannels: ['C0OPS'] },
    logLevel: 'info',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', kind, '--config', join(dir, 'config.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 60_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, ms: performance.now() - t0, stderr };
}

describe('serve and worker without their ops database', () => {
  it.each(['serve', 'worker'] as const)('%s retries for ops.startRetrySeconds, then exits non-zero with the cause', async (kind) => {
    const r = await run(kind, 'postgres://postgres@127.0.0.1:DEAD/ops', 4);
    expect(r.code).not.toBeNull();
    expect(r.code).not.toBe(0);
    // 4 s of retries, plus the process's own start (tsx) on a busy machine: well under a minute.
    expect(r.ms).toBeGreaterThan(4_000);
    expect(r.ms).toBeLessThan(40_000);
    expect(r.stderr).toMatch(/ops database not ready at start; retrying/);
    expect(r.stderr).toMatch(/error: Cannot prepare the ops database \(ops\.url\) after \d+ attempts over 4 s: Cannot reach the bot's ops database: nothing is listening at 127\.0\.0\.1:\d+ \(connection refused\)\./);
  }, 90_000);

  it('a login the database refuses is not waited for: exit at once with the cause', async () => {
    const r = await run('worker', 'postgres://sgb_no_such_role_ops@127.0.0.1:5432/postgres', 60);
    expect(r.code).not.toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.ms).toBeLessThan(30_000);
    expect(r.stderr).toMatch(/error: Cannot prepare the ops database \(ops\.url\): The bot's ops database refused the login( of user "sgb_no_such_role_ops")?\./);
  }, 90_000);
});
