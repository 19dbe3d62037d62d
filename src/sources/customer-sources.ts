import type pg from 'pg';
import { parse } from 'pg-connection-string';
import type { Config, CustomerConfig } from '../config/schema.js';
import { BotError } from '../shared/errors.js';
import { ConnectionUrlResolver } from './connection-url.js';
import { createReadOnlyDb, SourceError, type ReadOnlyDb } from './read-only-db.js';
import { clientDeadlineMs, createSafePool } from './safe-pool.js';
import { BudgetedPool } from './budgeted-pool.js';
import { ServerBudgets, type ServerBudget } from './server-budget.js';

export interface PoolOptions {
  max: number;
  readOnly: boolean;
  applicationName: string;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

export type PoolFactory = (url: string, opts: PoolOptions) => pg.Pool;

export const defaultPoolFactory: PoolFactory = (url, opts) => createSafePool({ url, ...opts });

/** Deadline for opening a connection to a customer database (and for waiting for a free one). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Checks get a small pool of their own so a gap scan holding every gap connection cannot starve them. */
export const CHECK_POOL_SIZE = 2;
/** A check answers in seconds; its statements are capped lower than a gap window's. */
export const CHECK_STATEMENT_TIMEOUT_MS = 20_000;

/** Which pool: 'gap' (sized gap.concurrency, the scans) or 'check' (small, reserved for /scorecard-check). */
export type PoolPurpose = 'gap' | 'check';

/** A parked connection of a customer pool closes after this long without use. */
export const PARKED_IDLE_MS = 10_000;
/** Defaults of `postgres:` (see config/schema.ts). */
export const DEFAULT_MAX_CONNECTIONS_PER_SERVER = 10;
export const DEFAULT_CHECK_RESERVE = 2;

/** The server a connection URL points at (host:port, or the socket directory): the unit of the connection budget. */
export function serverOf(url: string): string {
  try {
    const p = parse(url);
    return `${(p.host || 'localhost').toLowerCase()}:${p.port || 5432}`;
  } catch {
    return 'unparsed';
  }
}

/** Customer lookup with the "unknown customer" message people need: the list of known ones. */
export function findCustomer(config: Pick<Config, 'customers'>, name: string): CustomerConfig {
  const c = config.customers.find((x) => x.name === name.toLowerCase());
  if (!c) {
    const known = config.customers.map((x) => x.name).join(', ');
    throw new BotError('UNKNOWN_CUSTOMER', `I don't know a customer called "${name.slice(0, 40)}".`, {
      hint: `Known customers: ${known}, or "all".`,
    });
  }
  return c;
}

/**
 * One read-only pool per customer, created on first use, under its server's connection budget: every customer on
 * one server shares postgres.maxConnectionsPerServer connections, checks keep postgres.checkReserve of them.
 * Writers live elsewhere (backfill only).
 */
export class CustomerSources {
  private readonly pools = new Map<string, Promise<{ pool: BudgetedPool; db: ReadOnlyDb }>>();
  readonly budgets: ServerBudgets;

  constructor(
    private readonly config: Pick<Config, 'customers' | 'gap'> & Partial<Pick<Config, 'postgres'>>,
    private readonly resolver: ConnectionUrlResolver = new ConnectionUrlResolver(),
    private readonly createPool: PoolFactory = defaultPoolFactory,
  ) {
    const pgSettings = config.postgres;
    this.budgets = new ServerBudgets(pgSettings?.maxConnectionsPerServer ?? DEFAULT_MAX_CONNECTIONS_PER_SERVER, pgSettings?.checkReserve ?? DEFAULT_CHECK_RESERVE);
  }

  /** The budget of the server a customer's read URL points at (resolved on first use). */
  budgetOf(url: string): ServerBudget {
    return this.budgets.of(serverOf(url));
  }

  customer(name: string): CustomerConfig {
    return findCustomer(this.config, name);
  }

  get customers(): CustomerConfig[] {
    return this.config.customers;
  }

  readOnly(name: string, purpose: PoolPurpose = 'gap'): Promise<ReadOnlyDb> {
    const customer = this.customer(name);
    const key = `${customer.name}\u0000${purpose}`;
    let entry = this.pools.get(key);
    if (!entry) {
      const opened = this.open(customer, purpose);
      entry = opened;
      this.pools.set(key, opened);
      opened.catch(() => {
        if (this.pools.get(key) === opened) this.pools.delete(key);
      });
    }
    return entry.then((e) => e.db);
  }

  /** Drops a customer's pool (and cached credentials) after it failed to connect, so the next call starts fresh. */
  async reset(name: string): Promise<void> {
    const customer = this.customer(name);
    const entries = (['gap', 'check'] as const).flatMap((purpose) => {
      const key = `${customer.name}\u0000${purpose}`;
      const entry = this.pools.get(key);
      this.pools.delete(key);
      return entry ? [entry] : [];
    });
    this.resolver.invalidate(customer, 'read');
    await Promise.all(entries.map((entry) => entry.then((e) => e.pool.end()).catch(() => undefined)));
  }

  private async open(customer: CustomerConfig, purpose: PoolPurpose): Promise<{ pool: BudgetedPool; db: ReadOnlyDb }> {
    const url = await this.resolver.resolve(customer.postgres, customer, 'read');
    const statementTimeoutMs =
      purpose === 'check' ? Math.min(this.config.gap.statementTimeoutMs, CHECK_STATEMENT_TIMEOUT_MS) : this.config.gap.statementTimeoutMs;
    const deadlines = { connectTimeoutMs: CONNECT_TIMEOUT_MS, queryTimeoutMs: clientDeadlineMs(statementTimeoutMs) };
    const max = purpose === 'check' ? CHECK_POOL_SIZE : this.config.gap.concurrency;
    const raw = this.createPool(url, {
      max,
      readOnly: true,
      applicationName: 'scorecard-bot-read',
      ...deadlines,
    });
    // pg.Pool emits 'error' for idle clients; a factory that forgot a listener must not crash the process.
    if (raw.listenerCount('error') === 0) raw.on('error', () => undefined);
    // Waiting for a permit is queueing behind other customers' queries, not a stall: it may last one query.
    const pool = new BudgetedPool(raw, this.budgetOf(url), { purpose, max, idleMs: PARKED_IDLE_MS, acquireTimeoutMs: deadlines.queryTimeoutMs });
    // The check answers at once and is not retried; a gap window is retried by the run (gap.windowAttempts).
    const retry = purpose === 'gap' ? { attempts: this.config.gap.windowAttempts, backoffMs: this.config.gap.retryBackoffMs } : undefined;
    const inner = createReadOnlyDb(pool, {
      statementTimeoutMs,
      label: `${customer.name}/${customer.profile}`,
      ...deadlines,
      ...loginNames(url),
      ...(retry ? { retry } : {}),
    });
    // Credentials are cached until they fail: a connection failure drops this pool and the cached URL, so the
    // next call runs the credential command again (rotated passwords, expired tokens).
    const db: ReadOnlyDb = {
      label: inner.label,
      transaction: async (fn) => {
        try {
          return await inner.transaction(fn);
        } catch (err) {
          if (err instanceof SourceError && err.refreshCredentials) void this.reset(customer.name);
          throw err;
        }
      },
      query: (sql, params) => db.transaction((q) => q(sql, params)),
    };
    return { pool, db };
  }

  async close(): Promise<void> {
    const entries = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(entries.map((e) => e.then((x) => x.pool.end()).catch(() => undefined)));
  }
}

/** The user and database the bot logs in with, from its own URL, for messages such as "refused the login of user x". */
function loginNames(url: string): { user?: string; database?: string } {
  try {
    const u = new URL(url);
    const user = decodeURIComponent(u.username);
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    return { ...(user ? { user } : {}), ...(database ? { database } : {}) };
  } catch {
    return {};
  }
}
