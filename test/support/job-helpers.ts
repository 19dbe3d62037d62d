import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { Queue } from 'bullmq';
import { QUEUES } from '../../src/gap/core/gap-job-payloads.js';
import { createLogger, type Logger } from '../../src/shared/logger.js';

// Helpers for tests of the job lifecycle: captured log lines, polling, progress read from the flow, and a Redis
// server of the test's own (to flush or kill).

export interface CapturedLog {
  logger: Logger;
  lines: Record<string, unknown>[];
}

/** A real pino logger whose JSON lines are kept in memory (what an operator would read). */
export function captureLog(level = 'info'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(s: string) {
        for (const line of s.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines };
}

/** Polls an async probe until it returns a value (not null), or fails after timeoutMs. */
export async function until<T>(probe: () => Promise<T | null>, timeoutMs: number, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Windows whose results are in, read from the flow (finished windows are removed; their report keeps the count). */
export async function windowsDoneIn(redisUrl: string, prefix: string): Promise<number> {
  const q = new Queue(QUEUES.report, { connection: { url: redisUrl }, prefix });
  try {
    const jobs = await q.getJobs(['waiting-children', 'waiting', 'active']);
    const counts = await Promise.all(jobs.map(async (j) => (await j.getDependenciesCount({ processed: true })).processed ?? 0));
    return counts.reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

/** Window jobs not finished yet (waiting, delayed, active). */
export async function windowsPending(redisUrl: string, prefix: string): Promise<number> {
  const q = new Queue(QUEUES.window, { connection: { url: redisUrl }, prefix });
  try {
    const c = await q.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    return Object.values(c).reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export interface OwnRedis {
  url: string;
  port: number;
  /** Stops it (no save) and starts it again empty on the same port. */
  restartEmpty(): Promise<void>;
  stop(): void;
}

async function waitForPing(port: number): Promise<void> {
  await until(async () => {
    try {
      return execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG' ? true : null;
    } catch {
      return null;
    }
  }, 10_000, `redis on ${port}`);
}

/** A Redis server of the test's own on a free port: no persistence, so a restart comes back empty. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const start = async (): Promise<void> => {
    execFileSync('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--bind', '127.0.0.1']);
    await waitForPing(port);
  };
  const stop = (): void => {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
    } catch {
      // already gone: shutdown closes the connection before answering
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restartEmpty() {
      stop();
      await start();
    },
    stop,
  };
}
