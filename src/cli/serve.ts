import { parseCliArgs } from './args.js';
import { configFrom } from './config-source.js';
import { createServeContext } from '../main.js';
import { warnIfWritable } from '../sources/privilege-probe.js';
import type { CliIo } from './cli-io.js';

/**
 * `serve` (Slack listener + workers) and `worker` (workers only). SIGTERM drains: running jobs get
 * shutdownTimeoutMs to finish, then the process exits (code 0 when drained, 1 when the timeout cut it short).
 */
export async function serveCommand(kind: 'serve' | 'worker', argv: string[], io: Pick<CliIo, 'stderr' | 'env'>): Promise<number> {
  const { values } = parseCliArgs(argv, { config: { type: 'string' } }, `scorecard-bot ${kind} [--config FILE]`);
  const config = await configFrom(values.config, io.env);
  const env = io.env;
  // A refused start (the ops database still unreachable after ops.startRetrySeconds) must end the process: the
  // caller reports the cause and sets the exit code, and this timer exits even if a client library still holds a
  // socket open (before, serve stayed alive doing nothing).
  const ctx = await createServeContext(config, {
    listen: kind === 'serve',
    lockDurationMs: env.SCORECARD_BOT_LOCK_MS ? Number(env.SCORECARD_BOT_LOCK_MS) : undefined,
    stalledIntervalMs: env.SCORECARD_BOT_STALLED_MS ? Number(env.SCORECARD_BOT_STALLED_MS) : undefined,
    // Test hooks, like the two above: a fast reconciler so a lost run is noticed within seconds.
    reconciler: env.SCORECARD_BOT_RECONCILE_MS ? { intervalMs: Number(env.SCORECARD_BOT_RECONCILE_MS), graceMs: Number(env.SCORECARD_BOT_RECONCILE_MS) } : undefined,
    backfillReconciler: env.SCORECARD_BOT_RECONCILE_MS
      ? { intervalMs: Number(env.SCORECARD_BOT_RECONCILE_MS), graceMs: Number(env.SCORECARD_BOT_RECONCILE_MS), planStaleMs: Number(env.SCORECARD_BOT_PLAN_STALE_MS ?? 120_000) }
      : undefined,
  }).catch((err: unknown) => {
    setTimeout(() => process.exit(process.exitCode || 1), 1_000).unref();
    throw err;
  });
  // A long-running bot must outlive a promise some library leaves unhandled while Redis or a database is away
  // (Node 20 would exit on it): log it, loudly, and keep serving.
  process.on('unhandledRejection', (reason: unknown) => {
    ctx.logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled promise rejection (kept running)');
  });
  const port = await ctx.start();
  // In the background: a slow or unreachable customer must not delay start; the result is a log warning.
  void warnIfWritable(ctx.sources, ctx.logger).catch(() => undefined);
  ctx.logger.info({ kind, mode: config.slack?.mode, port }, kind === 'serve' ? 'scorecard-bot is listening' : 'scorecard-bot worker started');
  if (port !== null) io.stderr.write(`listening on port ${port}\n`);
  const timeoutMs = config.shutdownTimeoutMs;
  const code = await new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      ctx.logger.info({ signal, timeoutMs }, 'draining: finishing running jobs before exit');
      // Whatever Slack, Redis or a database are doing, the process is gone after timeoutMs: a job still running
      // then is picked up again by another worker once its lock expires.
      const timer = setTimeout(() => {
        ctx.logger.warn({ timeoutMs }, 'shutdown timeout: exiting with jobs still running; another worker will pick them up');
        resolve(1);
      }, timeoutMs);
      void ctx.close().then(
        () => resolve(0),
        (err: unknown) => {
          ctx.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'error while draining');
          resolve(1);
        },
      ).finally(() => clearTimeout(timer));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // A request still retrying against an unreachable Slack would keep the event loop alive: leave regardless.
  setTimeout(() => process.exit(process.exitCode ?? code), code === 0 ? 2_000 : 0).unref();
  if (code === 0) ctx.logger.info('drained; exiting');
  return code;
}
