import type { Logger } from '../shared/logger.js';
import { maskError } from '../shared/mask.js';
import type { CustomerSources } from './customer-sources.js';

// Read-only is the contract of a customer's `postgres` credentials. BEGIN READ ONLY already stops our own writes;
// this checks the credentials themselves, at start and in `config:check --probe`, so a config that hands the bot a
// writer (or a superuser) is noticed, loudly and by customer name, before anything runs on it.

export const CONTRACT_TABLES = ['director.scorecards', 'director.scores', 'historic.scorecard_scores', 'app.chats'] as const;
const WRITE_PRIVILEGES = ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] as const;

/** One row per (table, role the login can act as): its own role and every role it is a member of (SET ROLE). */
export interface PrivilegeRow {
  table: string;
  role: string;
  is_self: boolean;
  superuser: boolean;
  insert: boolean;
  update: boolean;
  delete: boolean;
  truncate: boolean;
}

export interface WritableTable {
  table: string;
  privileges: string[];
  /** Set when the write comes from another role the login can SET ROLE to. */
  via?: string;
}

export type ProbeResult =
  | { customer: string; status: 'read-only' }
  | { customer: string; status: 'can-write'; superuser: boolean; writable: WritableTable[] }
  | { customer: string; status: 'unreachable'; error: string };

export const PRIVILEGE_SQL = `
WITH t AS (SELECT n.nspname || '.' || c.relname AS name, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname || '.' || c.relname = ANY($1::text[])),
     r AS (SELECT oid, rolname, rolsuper FROM pg_roles WHERE pg_has_role(current_user, oid, 'MEMBER'))
-- By OID: a name would need USAGE on the schema, which a narrow writer grant may lack.
SELECT t.name AS table, r.rolname AS role, r.rolname = current_user AS is_self, r.rolsuper AS superuser,
       has_table_privilege(r.oid, t.oid, 'INSERT') AS insert,
       has_table_privilege(r.oid, t.oid, 'UPDATE') AS update,
       has_table_privilege(r.oid, t.oid, 'DELETE') AS delete,
       has_table_privilege(r.oid, t.oid, 'TRUNCATE') AS truncate
FROM t CROSS JOIN r
ORDER BY t.name, is_self DESC, r.rolname`;

/** Pure: the verdict from the privilege rows. */
export function assessPrivileges(customer: string, rows: PrivilegeRow[]): ProbeResult {
  const writable: WritableTable[] = [];
  for (const row of rows) {
    const privileges = WRITE_PRIVILEGES.filter((p) => row[p.toLowerCase() as 'insert' | 'update' | 'delete' | 'truncate']);
    if (privileges.length === 0) continue;
    // The login's own privileges are enough to report a table; another role's only when the login has none.
    if (writable.some((w) => w.table === row.table)) continue;
    writable.push(row.is_self ? { table: row.table, privileges } : { table: row.table, privileges, via: row.role });
  }
  if (writable.length === 0) return { customer, status: 'read-only' };
  return { customer, status: 'can-write', superuser: rows.some((r) => r.superuser), writable };
}

export function describeProbe(r: ProbeResult): string {
  switch (r.status) {
    case 'read-only':
      return `${r.customer}: ok, the read credentials cannot write the contract tables`;
    case 'unreachable':
      return `${r.customer}: not checked, the check could not run (${r.error})`;
    case 'can-write': {
      const tables = r.writable.map((w) => `${w.table} (${w.privileges.join(', ')}${w.via ? ` as role ${w.via}` : ''})`).join('; ');
      return `${r.customer}: DANGER, the read credentials can write${r.superuser ? ' (superuser)' : ''}: ${tables}. Give this customer a read-only role in postgres (README, The read-only role, lists the grants).`;
    }
  }
}

export async function probeCustomer(sources: CustomerSources, customer: string, timeoutMs = 15_000): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const db = await Promise.race([sources.readOnly(customer), timeout]);
    const rows = await Promise.race([db.query<PrivilegeRow>(PRIVILEGE_SQL, [CONTRACT_TABLES]), timeout]);
    return assessPrivileges(customer, rows);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return { customer, status: 'unreachable', error: maskError(cause ?? err, 200) };
  } finally {
    clearTimeout(timer);
  }
}

export async function probeAll(sources: CustomerSources, timeoutMs?: number): Promise<ProbeResult[]> {
  return Promise.all(sources.customers.map((c) => probeCustomer(sources, c.name, timeoutMs)));
}

/** At start (serve, worker): never fails, only warns. A customer that cannot be reached is a warning too. */
export async function warnIfWritable(sources: CustomerSources, logger: Logger, timeoutMs?: number): Promise<ProbeResult[]> {
  const results = await probeAll(sources, timeoutMs);
  for (const r of results) {
    if (r.status === 'can-write') {
      logger.warn({ customer: r.customer, superuser: r.superuser, writable: r.writable }, `READ-ONLY CHECK FAILED: ${describeProbe(r)}`);
    } else if (r.status === 'unreachable') {
      logger.warn({ customer: r.customer, error: r.error }, `read-only check: ${describeProbe(r)}`);
    } else {
      logger.info({ customer: r.customer }, 'read-only check passed');
    }
  }
  return results;
}
