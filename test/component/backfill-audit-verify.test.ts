import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackfillStore } from '../../src/backfill/store.js';
import { verifyAuditChain } from '../../src/cli/audit-verify-cli.js';
import { runOpsMigrations } from '../../src/ops/migrations/run.js';
import { createEmptyDatabase, testPool } from '../support/demo-database.js';

// The audit log's hash chain (migration 0006) and `backfill audit verify`, on a database of this file's own.
// Every expected hash is computed here, in JavaScript, from the rows the test planted and the recipe the README
// states: SHA-256 hex of prev_hash + jsonb_build_array(id, request_id, at in UTC with microseconds, actor,
// action, channel, plan_hash, detail)::text, 64 zeros before the first row. Tampering is done as a superuser.

const run = promisify(execFile);
const GENESIS = '0'.repeat(64);
const MIGRATIONS = readdirSync('src/ops/migrations').filter((f) => /^\d{4}_[a-z0-9-]+\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, '')).sort();
const CHAIN_AT = MIGRATIONS.findIndex((m) => m.endsWith('_audit-chain'));

let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createEmptyDatabase('sgb_audit_verify');
  pool = testPool(db.url, 6);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** jsonb's text form, for the values planted here: ", " between items, ": " after keys, keys by length then bytes. */
function jsonbText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((v as Record<string, unknown>)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

interface StoredRow {
  id: string;
  request_id: string;
  us: string;
  actor: string;
  action: string;
  channel: string | null;
  plan_hash: string | null;
  detail: unknown;
  prev_hash: string;
  hash: string;
}

/** at, read as microseconds since the epoch, written as the recipe says: 2026-01-31T14:03:07.123456Z. */
function isoMicros(us: string): string {
  const n = BigInt(us);
  const ms = Number(n / 1000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(n % 1_000_000n).padStart(6, '0')}Z`;
}

async function storedRows(): Promise<StoredRow[]> {
  const { rows } = await pool.query<StoredRow>(
    `SELECT a.id::text AS id, a.request_id, (extract(epoch FROM a.at) * 1000000)::bigint::text AS us, a.actor, a.action, a.channel, a.plan_hash,
            a.detail, a.prev_hash, a.hash
     FROM scorecard_bot.backfill_audit a ORDER BY a.id`,
  );
  return rows;
}

/** The chain as it should be, from each row's content, in id order. */
function expectedChain(rows: StoredRow[]): { id: string; prev: string; hash: string }[] {
  let prev = GENESIS;
  return rows.map((r) => {
    const canonical = jsonbText([Number(r.id), r.request_id, isoMicros(r.us), r.actor, r.action, r.channel, r.plan_hash, r.detail]);
    const hash = createHash('sha256').update(prev + canonical, 'utf8').digest('hex');
    const out = { id: r.id, prev, hash };
    prev = hash;
    return out;
  });
}

async function verify(...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli.ts', 'backfill', 'audit', 'verify', ...extra], { cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** What a superuser can do that the runtime role cannot: lift the append-only trigger for one statement. */
async function asSuperuser(sql: string, params: unknown[]): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('ALTER TABLE scorecard_bot.backfill_audit DISABLE TRIGGER backfill_audit_no_update_delete');
    await c.query(sql, params);
    await c.query('ALTER TABLE scorecard_bot.backfill_audit ENABLE TRIGGER backfill_audit_no_update_delete');
    await c.query('COMMIT');
  } finally {
    c.release();
  }
}

describe('the hash chain', () => {
  it('the chain migration chains the rows already there in id order; until then verify says to migrate', async () => {
    expect(CHAIN_AT).toBeGreaterThan(2);
    const c = await pool.connect();
    try {
      // The schema as it was before the chain: every migration before it.
      await runner({
        dbClient: c,
        dir: 'src/ops/migrations',
        ignorePattern: '(?!\\d{4}_[a-z0-9-]+\\.(ts|js)$).*',
        direction: 'up',
        count: CHAIN_AT,
        migrationsTable: 'pgmigrations',
        migrationsSchema: 'scorecard_bot',
        createMigrationsSchema: true,
        singleTransaction: true,
        log: () => undefined,
      });
      await c.query(
        `INSERT INTO scorecard_bot.backfill_audit (request_id, actor, action, channel, plan_hash, detail) VALUES
           ('bf-old-1', 'U_REQ', 'requested', 'C1', NULL, '{"customer": "rentokil", "label": "Jan 2026"}'),
           ('bf-old-1', 'bot', 'planned', 'C1', $1, '{"scorecards": 1220, "historicRows": 5012}'),
           ('bf-old-1', 'U_A', 'approved', 'C1', $1, NULL)`,
        ['a'.repeat(64)],
      );
    } finally {
      c.release();
    }
    const unmigrated = await verify('--database-url', db.url);
    expect(unmigrated.code).toBe(2);
    expect(unmigrated.stderr).toContain('The ops database is not migrated to this version');
    expect(unmigrated.stderr).toContain('scorecard-bot ops:migrate');

    const c2 = await pool.connect();
    try {
      // The chain's migration first, then any later one in the folder.
      expect(await runOpsMigrations(c2)).toEqual(MIGRATIONS.slice(CHAIN_AT));
    } finally {
      c2.release();
    }
    const rows = await storedRows();
    expect(rows.map((r) => r.actor)).toEqual(['U_REQ', 'bot', 'U_A']);
    expect(rows.map((r) => ({ id: r.id, prev: r.prev_hash, hash: r.hash }))).toEqual(expectedChain(rows));
  });

  it('new rows chain on, whatever the inserting session\'s time zone and date style, and whatever id, time or hash it asks for', async () => {
    const store = new BackfillStore(pool);
    await store.appendAudit({ requestId: 'bf-new-1', actor: 'U_REQ', action: 'requested', channel: 'C2', detail: { customer: 'nclh', nested: { b: [1, 2], a: 'x' } } });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(`SET TimeZone = 'Asia/Kolkata'; SET DateStyle = 'SQL, DMY'`);
      await c.query(
        `INSERT INTO scorecard_bot.backfill_audit (id, at, request_id, actor, action, channel, prev_hash, hash)
         VALUES (1, '2001-01-01T00:00:00Z', 'bf-new-1', 'U_B', 'refused_click', 'C2', 'x', 'y')`,
      );
    } finally {
      await c.end();
    }
    const rows = await storedRows();
    expect(rows).toHaveLength(5);
    const last = rows[4]!;
    expect(Number(last.id)).toBeGreaterThan(Number(rows[3]!.id));
    expect(Number(BigInt(last.us) / 1000n)).toBeGreaterThan(Date.now() - 60_000); // not the 2001 it asked for
    expect(rows.map((r) => ({ id: r.id, prev: r.prev_hash, hash: r.hash }))).toEqual(expectedChain(rows));
  });

  it('concurrent inserts (and one rolled back) still form one chain in id order', async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => pool.connect()));
    try {
      await Promise.all(
        clients.map(async (c, k) => {
          for (let i = 0; i < 10; i++) {
            await c.query('BEGIN');
            await c.query(`INSERT INTO scorecard_bot.backfill_audit (request_id, actor, action, channel, detail) VALUES ($1, $2, 'started', 'C3', $3)`, [
              `bf-race-${k}`,
              `worker-${k}`,
              JSON.stringify({ i }),
            ]);
            await c.query('SELECT pg_sleep(0.005)'); // hold the chain lock a moment, so the others queue behind it
            await c.query(k === 0 && i === 5 ? 'ROLLBACK' : 'COMMIT');
          }
        }),
      );
    } finally {
      clients.forEach((c) => c.release());
    }
    const rows = await storedRows();
    expect(rows).toHaveLength(5 + 39);
    expect(rows.map((r) => ({ id: r.id, prev: r.prev_hash, hash: r.hash }))).toEqual(expectedChain(rows));
  });
});

describe('scorecard-bot backfill audit verify', () => {
  it('an untouched chain: intact, with the row count and the last hash computed here', async () => {
    const rows = await storedRows();
    const chain = expectedChain(rows);
    const lastHash = chain.at(-1)!.hash;
    const text = await verify('--database-url', db.url);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`audit trail intact: ${rows.length} rows, last hash ${lastHash.slice(0, 12)}… (row ${chain.at(-1)!.id}; full hash ${lastHash})\n`);
    const json = await verify('--database-url', db.url, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ intact: true, rows: rows.length, lastId: chain.at(-1)!.id, lastHash });
    // The same walk in pages of 7 (the CLI's are 2,000): page boundaries change nothing.
    expect(await verifyAuditChain(new BackfillStore(pool), 7)).toEqual({ intact: true, rows: rows.length, lastId: chain.at(-1)!.id, lastHash });
  });

  it('a superuser edits one row\'s actor: verify names that row, exit 1; put back, the chain is intact again', async () => {
    const rows = await storedRows();
    const target = rows[7]!; // a row of the concurrent batch, in the middle of the chain
    await asSuperuser(`UPDATE scorecard_bot.backfill_audit SET actor = 'U_MALLORY' WHERE id = $1`, [target.id]);
    const text = await verify('--database-url', db.url);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`audit trail broken: row ${target.id} (${target.request_id}, ${target.action} by U_MALLORY at `);
    expect(text.stdout).toContain('was edited after it was written');
    expect(text.stdout).toContain('the 7 rows before it chain correctly');
    const json = JSON.parse((await verify('--database-url', db.url, '--json')).stdout);
    expect(json).toMatchObject({ intact: false, kind: 'edited', rowsIntact: 7, row: { id: target.id, actor: 'U_MALLORY', requestId: target.request_id } });
    expect(await verifyAuditChain(new BackfillStore(pool), 3)).toMatchObject({ intact: false, break: { kind: 'edited', row: { id: target.id }, intactBefore: 7 } });

    await asSuperuser(`UPDATE scorecard_bot.backfill_audit SET actor = $2 WHERE id = $1`, [target.id, target.actor]);
    expect((await verify('--database-url', db.url)).code).toBe(0);
  });

  it('a superuser deletes a row: verify names where the chain breaks, exit 1', async () => {
    const rows = await storedRows();
    const [before, gone, after] = [rows[19]!, rows[20]!, rows[21]!];
    await asSuperuser(`DELETE FROM scorecard_bot.backfill_audit WHERE id = $1`, [gone.id]);
    const text = await verify('--database-url', db.url);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`audit trail broken before row ${after.id} (${after.request_id}, ${after.action} by ${after.actor} at `);
    expect(text.stdout).toContain(`its prev_hash is not the hash of row ${before.id}, the row before it, so one or more rows after row ${before.id} were removed`);
    expect(text.stdout).toContain('the 20 rows before it chain correctly');
    const json = JSON.parse((await verify('--database-url', db.url, '--json')).stdout);
    expect(json).toMatchObject({ intact: false, kind: 'removed', afterId: before.id, rowsIntact: 20, row: { id: after.id } });
    // A page boundary right at the gap: the walk carries the previous row's hash across it.
    expect(await verifyAuditChain(new BackfillStore(pool), 20)).toMatchObject({ intact: false, break: { kind: 'removed', row: { id: after.id }, after: { id: before.id } } });
  });

  it('the first row deleted: the chain no longer starts from the genesis value', async () => {
    const rows = await storedRows();
    await asSuperuser(`DELETE FROM scorecard_bot.backfill_audit WHERE id = $1`, [rows[0]!.id]);
    const text = await verify('--database-url', db.url);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`audit trail broken before row ${rows[1]!.id} (bf-old-1, planned by bot at `);
    expect(text.stdout).toContain('its prev_hash is not the genesis value');
  });

  it('refuses bad input with exit 2 and an example', async () => {
    const noSub = await run('npx', ['tsx', 'src/cli.ts', 'backfill', 'audit']).catch((e: { code: number; stderr: string }) => e);
    expect(noSub).toMatchObject({ code: 2, stderr: expect.stringContaining('backfill audit needs a command: verify.') });
    expect((noSub as { stderr: string }).stderr).toContain('Example: scorecard-bot backfill audit verify --config bot.yml');
    const both = await verify('--database-url', db.url, '--config', 'x.yml');
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('Give --config or --database-url, not both.') });
  });
});
