import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import { backoffMs } from './chunking.js';
import { isTransient } from './transient.js';

// How the job's steps (a chunk's write, a ClickHouse insert, an ops-database call) survive an outage: retried with
// backoff while the budget lasts, and a failure that names the step, the attempts and the wait.

export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits between retries of an outage never exceed this: a 5 s blip is noticed within seconds. */
const MAX_WAIT_MS = 10_000;

export function errorText(err: unknown): string {
  if (err instanceof BotError) return err.userMessage;
  const e = err as { message?: string; code?: string };
  return maskSecrets(`${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`);
}

export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly attempts: number,
    readonly waitedMs: number,
    readonly original: unknown,
  ) {
    super(errorText(original));
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

