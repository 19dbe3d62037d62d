import type pg from 'pg';
import type { BudgetHolder, BudgetPurpose, ServerBudget } from './server-budget.js';

// A customer's pool under its server's budget (./server-budget.ts). Connections come from a pg.Pool, but their
// life is ours: at most `max` are open, each holding a permit of the server's budget from its opening to its end.
// A released connection goes to a caller of this pool waiting for one, else is parked (keeping its permit) for
// reuse, and is closed instead when another pool of the server waits, when it has been idle for `idleMs`, or when
// it broke. The permit goes back only when the connection has really ended, so the server never sees more than
// the budget. pg.Pool never queues a caller here (we never ask it for more than `max`).

export interface Connectable {
  connect(): Promise<pg.PoolClient>;
}

type Release = (destroy?: boolean | Error) => void;

interface Parked {
  client: pg.PoolClient;
  release: Release;
  timer: NodeJS.Timeout;
}

interface Waiter {
  resolve: (c: pg.PoolClient) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface BudgetedPoolOptions {
  purpose: BudgetPurpose;
  /** Connections this pool opens at most (the pg.Pool's own max). */
  max: number;
  /** How long a parked connection may stay idle. */
  idleMs: number;
  /** How long a caller may wait for a permit or for one of this pool's connections (then "every one is busy"). */
  acquireTimeoutMs: number;
}

export class BudgetedPool implements Connectable, BudgetHolder {
  private readonly parked: Parked[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly unregister: () => void;
  private open = 0;
  private opening = 0;
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    private readonly budget: ServerBudget,
    private readonly opts: BudgetedPoolOptions,
  ) {
    this.unregister = budget.register(this);
  }

  async connect(): Promise<pg.PoolClient> {
    if (this.closed) throw new Error('Cannot use a pool after calling end on the pool');
    const reuse = this.parked.pop();
    if (reuse) {
      clearTimeout(reuse.timer);
      return this.lend(reuse.client, reuse.release);
    }
    if (this.open + this.opening < this.opts.max) return this.create();
    return new Promise<pg.PoolClient>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error(`timeout exceeded when trying to connect (all ${this.opts.max} connections of this pool are in use)`));
        }, this.opts.acquireTimeoutMs),
      };
      waiter.timer.unref?.();
      this.waiters.push(waiter);
    });
  }

  private async create(): Promise<pg.PoolClient> {
    this.opening += 1;
    try {
      await this.budget.acquire(this.opts.purpose, this.opts.acquireTimeoutMs);
    } catch (err) {
      this.opening -= 1;
      this.pump();
      throw err;
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.opening -= 1;
      this.budget.release(); // no connection was made with this permit
      this.pump();
      throw err;
    }
    this.opening -= 1;
    this.open += 1;
    let ended = false;
    client.once('end', () => {
      if (ended) return;
      ended = true;
      this.open -= 1;
      this.budget.release();
      this.pump();
    });
    return this.lend(client, client.release.bind(client));
  }

  /** Room again (a connection ended): the next caller waiting here opens one. */
  private pump(): void {
    while (!this.closed && this.waiters.length > 0 && this.open + this.opening < this.opts.max) {
      const w = this.waiters.shift() as Waiter;
      clearTimeout(w.timer);
      this.create().then(w.resolve, w.reject);
    }
  }

  /** Hands the client out with a release() that passes it on, parks it or closes it, as the budget needs. */
  private lend(client: pg.PoolClient, release: Release): pg.PoolClient {
    let done = false;
    client.release = (destroy?: boolean | Error) => {
      if (done) return;
      done = true;
      if (destroy || this.closed) {
        release(true);
        return;
      }
      const next = this.waiters.shift();
      if (next) {
        clearTimeout(next.timer);
        next.resolve(this.lend(client, release));
        return;
      }
      if (this.budget.waiting > 0) {
        release(true);
        return;
      }
      const entry: Parked = { client, release, timer: setTimeout(() => this.close(entry), this.opts.idleMs) };
      entry.timer.unref?.();
      this.parked.push(entry);
    };
    return client;
  }

  private close(entry: Parked): void {
    const i = this.parked.indexOf(entry);
    if (i < 0) return;
    this.parked.splice(i, 1);
    clearTimeout(entry.timer);
    entry.release(true);
  }

  evictOne(): boolean {
    const entry = this.parked[0];
    if (!entry) return false;
    this.close(entry);
    return true;
  }

  async end(): Promise<void> {
    this.closed = true;
    this.unregister();
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('Cannot use a pool after calling end on the pool'));
    }
    for (const entry of [...this.parked]) this.close(entry);
    await this.pool.end();
  }
}
