import pg from 'pg';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseContractDdl, POSTGRES_CONTRACT_DDL } from './contract-ddl.js';

export interface DbInitOptions {
  /** A role that may only read the contract tables: what the gap and check paths connect as. */
  readOnlyRole?: string;
  /** A role that may read the contract and INSERT into historic.scorecard_scores, nothing else: the backfill
   *  writer of the console and the demo (never the database superuser). */
  writerRole?: string;
  clickhouse?: { client: ClickHouseClient; database: string; table: string };
}

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

/** A login role (created once, cluster-wide) that may connect to this database and SELECT the contract, no more. */
async function contractReaderRole(client: pg.ClientBase, role: string, what: string): Promise<string> {
  if (!ROLE.test(role)) throw new Error(`${what} role name "${role}" is not a plain identifier`);
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.rowCount === 0) await client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  const db = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? '';
  await client.query(`GRANT CONNECT ON DATABASE "${db.replaceAll('"', '""')}" TO ${role}`);
  for (const schema of ['director', 'historic', 'app']) {
    await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
    await client.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA ${schema} FROM ${role}`);
  }
  return role;
}

/**
 * Creates the production contract for dev, demo and tests only. Production tables belong to another service:
 * this is never run against a customer database by the bot itself.
 */
export async function dbInit(client: pg.ClientBase, opts: DbInitOptions = {}): Promise<string[]> {
  const done: string[] = [];
  await client.query(POSTGRES_CONTRACT_DDL);
  done.push('postgres: director, historic and app schemas and tables');
  if (opts.readOnlyRole) {
    const role = await contractReaderRole(client, opts.readOnlyRole, 'read-only');
    await client.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
    done.push(`postgres: read-only role ${role} (SELECT only)`);
  }
  if (opts.writerRole) {
    const role = await contractReaderRole(client, opts.writerRole, 'writer');
    await client.query(`GRANT INSERT ON historic.scorecard_scores TO ${role}`);
    done.push(`postgres: writer role ${role} (SELECT, and INSERT on historic.scorecard_scores only)`);
  }
  if (opts.clickhouse) {
    for (const ddl of clickhouseContractDdl(opts.clickhouse.database, opts.clickhouse.table)) {
      await opts.clickhouse.client.command({ query: ddl });
    }
    done.push(`clickhouse: ${opts.clickhouse.database}.${opts.clickhouse.table}`);
  }
  return done;
}
