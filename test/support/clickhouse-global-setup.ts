// Vitest globalSetup: makes a ClickHouse HTTP server available to every test file.
//
// - CLICKHOUSE_URL set: that server is used as is (nothing is started or stopped).
// - otherwise: scripts/clickhouse/start.sh starts a throw-away server (ClickHouse 26.x engine from
//   @chdb/lib-linux-x64-gnu, see scripts/clickhouse/launcher.c) on CLICKHOUSE_PORT, or on the first free
//   port from 18123 (locked with .cache/clickhouse/vitest-<port>.lock, so parallel vitest runs each get their
//   own), with a fresh data directory, pid file and log under .cache/clickhouse/vitest-<port>/.
//   Teardown stops it, if this setup started it.
//
// Test files read the URL with clickhouseUrl() from test/support/clickhouse-url.ts (inject('clickhouseUrl'),
// falling back to process.env.CLICKHOUSE_URL, which this setup also sets for the worker processes).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouseUrl: string;
  }
}

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = path.join(repoRoot, '.cache/clickhouse');
const startScript = path.join(repoRoot, 'scripts/clickhouse/start.sh');
const stopScript = path.join(repoRoot, 'scripts/clickhouse/stop.sh');

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function pidIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return 0;
  }
}

/** Takes .cache/clickhouse/vitest-<port>.lock for this vitest process, so that concurrent runs never share a port. */
function tryLock(lockFile: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch {
      if (pidIsAlive(readPid(lockFile))) return false;
      rmSync(lockFile, { force: true }); // left by a run that died
    }
  }
  return false;
}

async function reserveFreePort(from: number): Promise<{ port: number; lockFile: string }> {
  mkdirSync(cacheDir, { recursive: true });
  for (let port = from; port < from + 200; port++) {
    const lockFile = path.join(cacheDir, `vitest-${port}.lock`);
    if (!tryLock(lockFile)) continue;
    if (await portIsFree(port)) return { port, lockFile };
    // Holding the lock, a live server of ours on this port was left by a run that died: stop it.
    const pidFile = path.join(cacheDir, `vitest-${port}`, 'server.pid');
    if (pidIsAlive(readPid(pidFile))) {
      await execFileAsync('bash', [stopScript], { env: { ...process.env, CLICKHOUSE_PID_FILE: pidFile }, timeout: 30_000 });
      if (await portIsFree(port)) return { port, lockFile };
    }
    rmSync(lockFile, { force: true });
  }
  throw new Error(`no free port in ${from}..${from + 199} for the test ClickHouse server`);
}

/** The run fails here, loudly, when the server does not answer: no test may find ClickHouse missing and skip. */
async function assertAnswers(url: string): Promise<void> {
  let answer = '';
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(10_000) });
    answer = (await res.text()).trim();
  } catch (error) {
    answer = (error as Error).message;
  }
  if (answer !== 'Ok.') throw new Error(`ClickHouse at ${url} does not answer /ping (${answer || 'empty reply'}): the tests need it`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.CLICKHOUSE_URL;
  if (given) {
    await assertAnswers(given);
    project.provide('clickhouseUrl', given);
    return async () => {};
  }

  // CLICKHOUSE_PORT: that port (a server already started there from the same pid file is reused and left
  // running); otherwise the first free port from 18123, locked for this run.
  const fixedPort = process.env.CLICKHOUSE_PORT ? Number(process.env.CLICKHOUSE_PORT) : undefined;
  const { port, lockFile } = fixedPort ? { port: fixedPort, lockFile: undefined } : await reserveFreePort(18123);
  const stateDir = path.join(cacheDir, `vitest-${port}`);
  const env = {
    ...process.env,
    CLICKHOUSE_PORT: String(port),
    CLICKHOUSE_DATA_DIR: path.join(stateDir, 'data'),
    CLICKHOUSE_PID_FILE: path.join(stateDir, 'server.pid'),
    CLICKHOUSE_LOG_FILE: path.join(stateDir, 'server.log'),
  };
  const reused = pidIsAlive(readPid(env.CLICKHOUSE_PID_FILE));
  // A fresh data directory for each run that starts its own server.
  if (!reused) rmSync(env.CLICKHOUSE_DATA_DIR, { recursive: true, force: true });
  const releaseLock = () => {
    if (lockFile) rmSync(lockFile, { force: true });
  };

  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('bash', [startScript], { env, timeout: 120_000, cwd: repoRoot }));
  } catch (error) {
    releaseLock();
    const e = error as { stderr?: string; message: string };
    throw new Error(`scripts/clickhouse/start.sh failed: ${e.stderr?.trim() || e.message}`);
  }
  const url = stdout.trim().split('\n').pop() ?? '';
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`start.sh printed no URL (stdout: ${stdout})`);
  try {
    await assertAnswers(url);
  } catch (error) {
    if (!reused) await execFileAsync('bash', [stopScript], { env, timeout: 30_000, cwd: repoRoot }).catch(() => undefined);
    releaseLock();
    throw error;
  }

  process.env.CLICKHOUSE_URL = url;
  project.provide('clickhouseUrl', url);

  return async () => {
    try {
      if (!reused) await execFileAsync('bash', [stopScript], { env, timeout: 30_000, cwd: repoRoot });
    } finally {
      releaseLock();
      if (process.env.CLICKHOUSE_URL === url) delete process.env.CLICKHOUSE_URL;
    }
  };
}
