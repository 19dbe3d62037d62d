import { BotError } from '../shared/errors.js';
import { clickhouseUnavailableReason } from '../gap/clickhouse-unavailable.js';
import { classifyPgError } from '../sources/read-only-db.js';
import { backoffMs } from './chunking.js';
import { isTransient } from './transient.js';

// How the job's steps (a chunk's write, a ClickHouse insert, an ops-database call) survive an outage: retried with
// backoff while the budget lasts, and a failure that names the step, the attempts and the wait.

export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits between retries of an outage never exceed this: a 5 s blip is noticed within seconds. */
const MAX_WAIT_MS = 10_000;

const OWN_DATABASE = "'s database";

/**
 * What a person reads about a failed step: the shared user-message table's sentence for its cause (never the
 * driver's own text, which goes to the log with the StepFailed's `original`). `step` names the store: "acme's
 * database", "the ops database" or "ClickHouse".
 */
export function errorText(err: unknown, step = ''): string {
  if (err instanceof BotError) return err.userMessage;
  if (step === 'ClickHouse') return `ClickHouse failed (${clickhouseUnavailableReason(err)})`;
  const label = step === 'the ops database' ? 'ops' : step.endsWith(OWN_DATABASE) ? step.slice(0, -OWN_DATABASE.length) : 'the writer';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' || /timeout|terminat|ECONN|socket/i.test(String((err as { message?: unknown } | null)?.message ?? ''))) {
    const known = classifyPgError(err, label);
    // A database-side error with no cause class of its own (a trigger's RAISE, disk full, a constraint): the
    // database refused, not a bug of ours; its SQLSTATE says which, its message is in the log.
    if (known.code === 'INTERNAL' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      const who = label === 'ops' ? 'the ops database' : label === 'the writer' ? 'the writer database' : `${label}'s database`;
      return `${who} refused the write (SQLSTATE ${code}; its message is in the bot log)`;
    }
    return known.userMessage;
  }
  return 'an unexpected error (the bot log has the details)';
}

export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly attempts: number,
    readonly waitedMs: number,
    readonly original: unknown,
  ) {
    super(errorText(original, step));
  }
}

export interface RetryPolicy {
  budgetMs: number;
  attempts: number;
  baseMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  onWait: (what: string, retry: number) => void;
}

/**
 * Runs one step (a chunk's write, a ClickHouse insert, an ops-database call). An outage is retried with backoff
 * while the next wait still fits in the budget; any other error gets `attempts` tries in all.
 */
export async function step<T>(what: string, policy: RetryPolicy, fn: () => Promise<T>): Promise<T> {
  const first = policy.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const waited = policy.now() - first;
      const transient = isTransient(err);
      // An outage is waited out until the budget is spent (the last wait shortened to fit); other errors get tries.
      const remaining = policy.budgetMs - waited;
      const retry = transient ? remaining > 0 : attempt < policy.attempts;
      if (!retry) throw new StepFailed(what, attempt, waited, err);
      const wait = Math.min(MAX_WAIT_MS, backoffMs(attempt, policy.baseMs), transient ? remaining : Infinity);
      policy.onWait(what, attempt);
      await policy.sleep(wait);
    }
  }
}

