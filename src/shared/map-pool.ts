import { isPermanent } from './errors.js';

export interface MapPoolOptions {
  concurrency: number;
  /** Tries per item, counting the first; permanent errors (bad input, forbidden) are never retried. */
  attempts: number;
  backoffMs?: number;
  onItemDone?: (done: number, total: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

export class ItemFailedError extends Error {
  constructor(
    readonly index: number,
    readonly attemptsMade: number,
    override readonly cause: unknown,
  ) {
    super(`item ${index} failed after ${attemptsMade} attempt(s)`, { cause });
    this.name = 'ItemFailedError';
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs fn over items with bounded concurrency and per-item retries with exponential backoff; keeps order. */
export async function mapPool<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, opts: MapPoolOptions): Promise<R[]> {
  const results = new Array<R>(items.length);
  const sleep = opts.sleep ?? realSleep;
  let next = 0;
  let done = 0;
  let failure: unknown = null;

  const runOne = async (i: number): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        results[i] = await fn(items[i] as T, i);
        return;
      } catch (err) {
        if (isPermanent(err) || attempt >= opts.attempts) throw new ItemFailedError(i, attempt, err);
        await sleep((opts.backoffMs ?? 500) * 2 ** (attempt - 1));
      }
    }
  };

  const lane = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        await runOne(i);
      } catch (err) {
        failure ??= err;
        return;
      }
      done++;
      opts.onItemDone?.(done, items.length);
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, items.length)) }, lane));
  if (failure !== null) throw failure;
  return results;
}
