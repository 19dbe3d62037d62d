import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/logger.js';

// One small HTTP server for Kubernetes and Prometheus, the same in both Slack modes (and in `worker`):
//   /metrics  Prometheus text format (behind a bearer token when observability.token is set)
//   /healthz  the process is up (200 always)
//   /readyz   every dependency answers (Redis, ops database, the Slack connection in Socket Mode): 200, else 503
//             with one line per failing check (no URLs, no secrets).

export type ReadinessCheck = () => Promise<void>;

export interface ObservabilityServerOptions {
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  /** Called before each scrape (e.g. to read queue depths). */
  beforeScrape?: () => Promise<void>;
  logger: Logger;
  /** Per-check deadline: a hung dependency is not ready. */
  checkTimeoutMs?: number;
  /** When set, /metrics requires "Authorization: Bearer <token>". */
  token?: string;
}

/** Constant-time comparison of the request's bearer token with the configured one. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m?.[1]) return false;
  const given = Buffer.from(m[1]);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export interface ObservabilityServer {
  port: number;
  close(): Promise<void>;
}

function withDeadline(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Runs the checks concurrently; the failing ones with a short reason. */
export async function readiness(checks: Record<string, ReadinessCheck>, timeoutMs = 2_000): Promise<{ ok: boolean; lines: string[] }> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withDeadline(check(), timeoutMs);
        return { name, ok: true, why: '' };
      } catch (err) {
        const why = String((err as Error)?.message ?? err).split('\n')[0]?.replace(/\w+:\/\/\S+/g, '<url>') ?? 'failed';
        return { name, ok: false, why };
      }
    }),
  );
  return { ok: results.every((r) => r.ok), lines: results.map((r) => (r.ok ? `${r.name}: ok` : `${r.name}: ${r.why.slice(0, 200)}`)) };
}

export async function startObservabilityServer(opts: ObservabilityServerOptions, listen: { port: number; host: string }): Promise<ObservabilityServer> {
  // Requests that arrive while a readiness check is under way share its answer: a flood of /readyz costs one PING
  // and one SELECT 1 at a time, never a queue on the gauges' single ops connection.
  let checking: Promise<{ ok: boolean; lines: string[] }> | null = null;
  const ready = (): Promise<{ ok: boolean; lines: string[] }> =>
    (checking ??= readiness(opts.checks, opts.checkTimeoutMs).finally(() => (checking = null)));
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
      if (path === '/healthz') return reply(200, 'ok\n');
      if (path === '/readyz') {
        const r = await ready();
        return reply(r.ok ? 200 : 503, `${r.lines.join('\n')}\n`);
      }
      if (path === '/metrics') {
        if (opts.token !== undefined && !bearerMatches(req.headers.authorization, opts.token)) {
          res.setHeader('www-authenticate', 'Bearer');
          return reply(401, 'unauthorized: /metrics needs "Authorization: Bearer <observability.token>"\n');
        }
        await opts.beforeScrape?.().catch((err: unknown) => opts.logger.warn({ err }, 'metrics: a pre-scrape read failed'));
        return reply(200, await opts.registry.metrics(), opts.registry.contentType);
      }
      return reply(404, 'not found: try /metrics, /healthz or /readyz\n');
    })().catch((err: unknown) => {
      opts.logger.error({ err }, 'observability request failed');
      if (!res.headersSent) reply(500, 'internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info({ port }, 'observability server listening (/metrics, /healthz, /readyz)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
