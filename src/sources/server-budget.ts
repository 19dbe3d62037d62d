// A connection budget per database server (host:port). Customers live one database each, often hundreds on one
// server: a pool per customer, each allowed gap.concurrency connections, would open hundreds of connections and
// hit the server's max_connections ("sorry, too many clients already"). Every pool of one server therefore takes a
// permit per physical connection from the server's budget (postgres.maxConnectionsPerServer), and a share of the
// budget is kept for /scorecard-check so a scan of 300 customers never makes a check wait.
//
// A permit belongs to a physical connection for its whole life, parked (idle) or in use; the pool that parks it
// gives it up when another pool of the same server is waiting (evict), so connections move to where the work is
// without ever exceeding the budget.

export type BudgetPurpose = 'gap' | 'check';

export interface BudgetHolder {
  /** Closes one parked connection (its permit returns when it has ended); false when there is none. */
  evictOne(): boolean;
}

interface Waiter {
  purpose: BudgetPurpose;
  grant: () => void;
}

export class ServerBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  private readonly holders = new Set<BudgetHolder>();
  /** Most connections in use at once so far (what the fleet bench compares with pg_stat_activity). */
  peak = 0;

  constructor(
    readonly server: string,
    readonly size: number,
    /** Permits only a check may take: gap scans stop at size - reserved. */
    readonly reserved: number,
  ) {}

  private limit(purpose: BudgetPurpose): number {
    return purpose === 'check' ? this.size : Math.max(1, this.size - this.reserved);
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get inUse(): number {
    return this.used;
  }

  register(holder: BudgetHolder): () => void {
    this.holders.add(holder);
    return () => this.holders.delete(holder);
  }

  /**
   * Resolves when a permit is granted; the caller opens one connection with it and calls release() once that
   * connection has ended. Rejects after `timeoutMs` with pg-pool's own wording, so it reads as "every one is busy".
   */
  acquire(purpose: BudgetPurpose, timeoutMs: number): Promise<void> {
    // Nobody ahead in the queue: a check is only behind other checks (scans cannot take the reserve it may use).
    const ahead = purpose === 'check' ? this.waiters.some((w) => w.purpose === 'check') : this.waiters.length > 0;
    if (!ahead && this.used < this.limit(purpose)) {
      this.take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        purpose,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`timeout exceeded when trying to connect (the budget of ${this.size} connections to ${this.server} is in use)`));
      }, timeoutMs);
      timer.unref?.();
      this.waiters.push(waiter);
      // Someone is waiting: a parked connection elsewhere on this server should make room.
      this.evictParked();
    });
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
    this.grantWaiting();
  }

  private take(): void {
    this.used += 1;
    this.peak = Math.max(this.peak, this.used);
  }

  private grantWaiting(): void {
    // Checks first (they are what a person waits on at the keyboard), then in arrival order.
    for (;;) {
      const i = this.waiters.findIndex((w) => w.purpose === 'check' && this.used < this.limit('check'));
      const j = i >= 0 ? i : this.waiters.findIndex((w) => this.used < this.limit(w.purpose));
      if (j < 0) break;
      const [w] = this.waiters.splice(j, 1);
      this.take();
      w?.grant();
    }
    if (this.waiters.length > 0) this.evictParked();
  }

  private evictParked(): void {
    let needed = this.waiters.length;
    for (const h of this.holders) {
      while (needed > 0 && h.evictOne()) needed -= 1;
      if (needed === 0) break;
    }
  }
}

/** One budget per server, shared by every customer pool of this process. */
export class ServerBudgets {
  private readonly budgets = new Map<string, ServerBudget>();

  constructor(
    private readonly size: number,
    private readonly reserved: number,
  ) {}

  of(server: string): ServerBudget {
    let b = this.budgets.get(server);
    if (!b) {
      b = new ServerBudget(server, this.size, Math.min(this.reserved, Math.max(0, this.size - 1)));
      this.budgets.set(server, b);
    }
    return b;
  }

  all(): ServerBudget[] {
    return [...this.budgets.values()];
  }
}
