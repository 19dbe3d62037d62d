import { parse } from 'pg-connection-string';
import type { ClickhouseConfig, CustomerConfig } from '../config/schema.js';
import { maskSecrets } from '../shared/mask.js';

// Who a backfill writes to, without any secret: an approval binds it, and the job compares it with what is
// configured before it writes anything. A password change alone (credential rotation) changes nothing here.

export type PostgresIdentity = { kind: 'url'; host: string; port: number; database: string; user: string } | { kind: 'command'; command: string };

export interface WriterIdentity {
  postgres: PostgresIdentity;
  /** Null when the backfill does not write ClickHouse. */
  clickhouse: { url: string; database: string; table: string } | null;
}

/** host, port, database and user of a connection URL (the password is never read into the identity). */
export function postgresIdentityOfUrl(url: string): PostgresIdentity {
  const p = parse(url);
  return { kind: 'url', host: p.host || 'localhost', port: Number(p.port || 5432), database: p.database ?? '', user: p.user ?? '' };
}

/** The configured writer of a customer (with its own ClickHouse, config/clickhouse-of.ts), as an identity; null without a writer. */
export function configuredWriterIdentity(customer: CustomerConfig, clickhouse: ClickhouseConfig | null | undefined, writesClickhouse: boolean): WriterIdentity | null {
  const w = customer.writer;
  if (!w) return null;
  const postgres: PostgresIdentity = 'url' in w ? postgresIdentityOfUrl(w.url) : { kind: 'command', command: maskSecrets(w.command) };
  const ch = writesClickhouse && clickhouse ? { url: clickhouseUrlIdentity(clickhouse.url), database: clickhouse.database, table: clickhouse.table } : null;
  return { postgres, clickhouse: ch };
}

/** The server's URL without credentials, query or trailing slash. */
function clickhouseUrlIdentity(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

export function describePostgres(p: PostgresIdentity): string {
  return p.kind === 'url' ? `${p.host}:${p.port}/${p.database}${p.user ? ` as ${p.user}` : ''}` : `the URL of \`${p.command}\``;
}

export function describeIdentity(id: WriterIdentity): string {
  return `${describePostgres(id.postgres)}${id.clickhouse ? `; ClickHouse ${id.clickhouse.url} ${id.clickhouse.database}.${id.clickhouse.table}` : ''}`;
}

/** A canonical string (sorted keys) for hashing and comparing. */
export function canonicalIdentity(id: WriterIdentity | null): string {
  if (!id) return 'none';
  const pg = id.postgres.kind === 'url' ? ['url', id.postgres.host.toLowerCase(), id.postgres.port, id.postgres.database, id.postgres.user] : ['command', id.postgres.command];
  return JSON.stringify({ postgres: pg, clickhouse: id.clickhouse ? [id.clickhouse.url.toLowerCase(), id.clickhouse.database, id.clickhouse.table] : null });
}

/** Whether two PostgreSQL identities name the same writer (jsonb from the ops database reorders keys). */
export function samePostgres(a: PostgresIdentity, b: PostgresIdentity): boolean {
  return canonicalIdentity({ postgres: a, clickhouse: null }) === canonicalIdentity({ postgres: b, clickhouse: null });
}

/** Null when the configured writer is the approved one; otherwise the sentence the thread and the log get. */
export function targetChange(approved: WriterIdentity | null, configured: WriterIdentity | null): string | null {
  if (canonicalIdentity(approved) === canonicalIdentity(configured)) return null;
  const what = (id: WriterIdentity | null) => (id ? describeIdentity(id) : 'no writer');
  return `target changed since approval: approved ${what(approved)}, configured ${what(configured)}; request again`;
}
