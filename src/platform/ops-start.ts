import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { classifyPgError, SourceError } from '../sources/read-only-db.js';

// serve and worker need the ops database from the first second. One that is not up yet (a database starting with
// the bot, a failover) is retried for a bounded time; then, or at once for a refusal that waiting cannot fix (login,
// missing database, permissions), start fails with the cause, so the process exits and its supervisor sees it.

const WAIT_FOR: ReadonlySet<string> = new Set(['refused', 'unknown_host', 'dropped', 'connect_stalled', 'query_stalled', 'pool_busy', 'capacity']);

export interface OpsStartOptions {
  /** How long to keep trying (ops.startRetrySeconds). */
  retryMs: number;
  /** Which setting names the database (ops.url or ops.migrationUrl), for the message. */
  setting: string;
  logger: Logger;
  /** Between attempts (default 2 s). */
  pauseMs?: number;
  now?: () => number;
}

export async function prepareOpsWithRetry<T>(attempt: () => Promise<T>, opts: OpsStartOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const until = now() + opts.retryMs;
  let tries = 0;
  for (;;) {
    tries++;
    try {
      return await attempt();
    } catch (cause) {
      const classified = classifyPgError(cause, 'ops');
      const wait = classified instanceof SourceError && WAIT_FOR.has(classified.failure);
      const said = userFacing(classified);
      const left = until - now();
      if (!wait || left <= 0) {
        const waited = tries > 1 ? ` after ${tries} attempts over ${Math.round(opts.retryMs / 1000)} s` : '';
        throw new BotError(wait ? 'SOURCE_UNAVAILABLE' : 'BAD_CONFIG', `Cannot prepare the ops database (${opts.setting})${waited}: ${said.message}`, {
          cause,
          hint: wait
            ? 'Check that the ops database is up and reachable from here (ops.startRetrySeconds sets how long start waits for it).'
            : (said.hint ?? 'Create it first: scorecard-bot ops:init --database-url URL --create-database'),
        });
      }
      opts.logger.warn({ attempt: tries, leftMs: left, cause: said.message }, 'ops database not ready at start; retrying');
      await new Promise((r) => setTimeout(r, Math.min(opts.pauseMs ?? 2_000, left)));
    }
  }
}
