import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { deleteRedisKeys, PG_ADMIN, testPool } from '../support/demo-database.js';

// `npm run console` as a person starts it (scripts/console.sh), with its own names and ports so it never meets a
// console someone else runs, nor other test files.

export interface ConsoleRun {
  url: string;
  dir: string;
  child: ChildProcess;
  output: () => string;
  /** Ctrl-C: SIGINT to the console; resolves with its exit code. */
  interrupt: () => Promise<number | null>;
  state: () => { pids: Record<string, number> };
  botToken: () => string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export function consoleEnv(tag: string, clickhouseUrl: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONSOLE_PORT: String(port),
    DEMO_ADMIN_URL: PG_ADMIN,
    CLICKHOUSE_URL: clickhouseUrl,
    CONSOLE_CLICKHOUSE_DATABASE: `console_${tag}`,
    CONSOLE_DATABASE: `scorecard_console_${tag}`,
    CONSOLE_OPS_DATABASE: `scorecard_console_${tag}_ops`,
    CONSOLE_REDIS_PREFIX: `console-${tag}`,
    CONSOLE_CUSTOMERS: 'rentokil',
    CONSOLE_RESET: '1',
    CONSOLE_DIR: `.cache/console-${tag}`,
  };
}

export async function startConsole(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ConsoleRun> {
  const child = spawn('bash', ['scripts/console.sh'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const dir = path.resolve(env.CONSOLE_DIR ?? '.cache/console');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the console did not print its URL within ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    const check = (): void => {
      const m = /Open (http:\/\/(?:localhost|127\.0\.0\.1):\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the console exited (${code}) before printing its URL:\n${out}`));
    });
  });
  return {
    url,
    dir,
    child,
    output: () => out,
    interrupt: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
    state: () => JSON.parse(readFileSync(path.join(dir, 'console.json'), 'utf8')) as { pids: Record<string, number> },
    botToken: () => /botToken: (\S+)/.exec(readFileSync(path.join(dir, 'workspace.yml'), 'utf8'))?.[1] ?? '',
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Drops what a test console created (its databases and Redis keys). */
export async function dropConsoleData(env: NodeJS.ProcessEnv): Promise<void> {
  const admin = testPool(`${PG_ADMIN}/postgres`, 1);
  try {
    for (const db of [env.CONSOLE_DATABASE, env.CONSOLE_OPS_DATABASE]) {
      if (db) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  if (env.CONSOLE_CLICKHOUSE_DATABASE && env.CLICKHOUSE_URL) {
    await fetch(`${env.CLICKHOUSE_URL}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${env.CONSOLE_CLICKHOUSE_DATABASE}`)}`, { method: 'POST' }).catch(() => undefined);
  }
  if (env.CONSOLE_REDIS_PREFIX) await deleteRedisKeys(`${env.CONSOLE_REDIS_PREFIX}*`);
}
