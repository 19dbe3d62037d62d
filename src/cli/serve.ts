import { parseCliArgs } from './args.js';
import { configFrom } from './config-source.js';
import { createServeContext } from '../main.js';
import { warnIfWritable } from '../sources/privilege-probe.js';

/** `serve` (Slack listener + workers) and `worker` (workers only). SIGTERM drains: running jobs finish first. */
export async function serveCommand(kind: 'serve' | 'worker', argv: string[], io: { stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  const { values } = parseCliArgs(argv, { config: { type: 'string' } }, `scorecard-bot ${kind} [--config FILE]`);
  const config = await configFrom(values.config, io.env);
  const env = io.env;
  const ctx = await createServeContext(config, {
    listen: kind === 'serve',
    lockDurationMs: env.SCORECARD_BOT_LOCK_MS ? Number(env.SCORECARD_BOT_LOCK_MS) : undefined,
    stalledIntervalMs: env.SCORECARD_BOT_STALLED_MS ? Number(env.SCORECARD_BOT_STALLED_MS) : undefined,
  });
  const port = await ctx.start();
  // In the background: a slow or unreachable customer must not delay start; the result is a log warning.
  void warnIfWritable(ctx.sources, ctx.logger).catch(() => undefined);
  ctx.logger.info({ kind, mode: config.slack?.mode, port }, kind === 'serve' ? 'scorecard-bot is listening' : 'scorecard-bot worker started');
  if (port !== null) io.stderr.write(`listening on port ${port}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      ctx.logger.info({ signal }, 'draining: finishing running jobs before exit');
      void ctx.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
