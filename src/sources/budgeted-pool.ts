import type pg from 'pg';
import type { BudgetHolder, BudgetPurpose, ServerBudget } from './server-budget.js';

// A customer's pool under its server's budget (./server-budget.ts). Connections come from a pg.Pool, but their
// idle life is ours: a released connection is parked here (keeping its permit) for reuse by the same customer, and
// closed instead when another pool of the server waits, when it has been idle for `idleMs`, or when it broke. The
// permit goes back only when the connection has really ended, so the server never sees more than the budget.

export interface Connectable {
  connect(): Promise<pg.PoolClient>;
}

interface Parked {
  client: pg.PoolClient;
  release: (destroy?: boolean | Error) => void;
  timer: NodeJS.Timeout;
}

export interface BudgetedPoolOptions {
  purpose: BudgetPurpose;
  /** How long a parked connection may stay idle. */
  idleMs: number;
  /** How long to wait for a permit (then "every one is busy"). */
  acquireTimeoutMs: number;
}

export class BudgetedPool implements Connectable, BudgetHolder {
  private readonly parked: Parked[] = [];
  private readonly unregister: () => void;
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
    await this.budget.acquire(this.opts.purpose, this.opts.acquireTimeoutMs);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.budget.release(); // no connection was made with this permit
      throw err;
    }
    let freed = false;
    client.once('end', () => {
      if (freed) return;
      freed = true;
      this.budget.release();
    });
    return this.lend(client, client.release.bind(client));
  }

  /** Hands the client out with a release() that parks or closes it, as the budget needs. */
  private lend(client: pg.PoolClient, release: Parked['release']): pg.PoolClient {
    let done = false;
    client.release = (destroy?: boolean | Error) => {
      if (done) return;
      done = true;
      if (destroy || this.closed || this.budget.waiting > 0) {
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
    for (const entry of [...this.parked]) this.close(entry);
    await this.pool.end();
  }
}
