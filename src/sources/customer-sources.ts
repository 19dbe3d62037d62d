import pg from 'pg';
import type { Config, CustomerConfig } from '../config/schema.js';
import { BotError } from '../shared/errors.js';
import { ConnectionUrlResolver } from './connection-url.js';
import { createReadOnlyDb, type ReadOnlyDb } from './read-only-db.js';

export type PoolFactory = (url: string, opts: { max: number; readOnly: boolean; applicationName: string }) => pg.Pool;

export const defaultPoolFactory: PoolFactory = (url, opts) =>
  new pg.Pool({
    connectionString: url,
    max: opts.max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: opts.applicationName,
    // Session default as a further lock under BEGIN READ ONLY.
    options: opts.readOnly ? '-c default_transaction_read_only=on' : undefined,
  });

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

/** One read-only pool per customer, created on first use. Writers live elsewhere (backfill only). */
export class CustomerSources {
  private readonly pools = new Map<string, Promise<{ pool: pg.Pool; db: ReadOnlyDb }>>();

  constructor(
    private readonly config: Pick<Config, 'customers' | 'gap'>,
    private readonly resolver: ConnectionUrlResolver = new ConnectionUrlResolver(),
    private readonly createPool: PoolFactory = defaultPoolFactory,
  ) {}

  customer(name: string): CustomerConfig {
    return findCustomer(this.config, name);
  }

  get customers(): CustomerConfig[] {
    return this.config.customers;
  }

  readOnly(name: string): Promise<ReadOnlyDb> {
    const customer = this.customer(name);
    let entry = this.pools.get(customer.name);
    if (!entry) {
      entry = this.open(customer);
      this.pools.set(customer.name, entry);
      entry.catch(() => this.pools.delete(customer.name));
    }
    return entry.then((e) => e.db);
  }

  /** Drops a customer's pool (and cached credentials) after it failed to connect, so the next call starts fresh. */
  async reset(name: string): Promise<void> {
    const customer = this.customer(name);
    const entry = this.pools.get(customer.name);
    this.pools.delete(customer.name);
    this.resolver.invalidate(customer, 'read');
    if (entry) await entry.then((e) => e.pool.end()).catch(() => undefined);
  }

  private async open(customer: CustomerConfig): Promise<{ pool: pg.Pool; db: ReadOnlyDb }> {
    const url = await this.resolver.resolve(customer.postgres, customer, 'read');
    const pool = this.createPool(url, { max: this.config.gap.concurrency, readOnly: true, applicationName: 'scorecard-bot-read' });
    // An idle client that errors (server restart) must not crash the process.
    pool.on('error', () => undefined);
    const inner = createReadOnlyDb(pool, {
      statementTimeoutMs: this.config.gap.statementTimeoutMs,
      label: `${customer.name}/${customer.profile}`,
    });
    // Credentials are cached until they fail: a connection failure drops this pool and the cached URL, so the
    // next call runs the credential command again (rotated passwords, expired tokens).
    const db: ReadOnlyDb = {
      label: inner.label,
      transaction: async (fn) => {
        try {
          return await inner.transaction(fn);
        } catch (err) {
          if (err instanceof BotError && err.code === 'SOURCE_UNAVAILABLE') void this.reset(customer.name);
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
