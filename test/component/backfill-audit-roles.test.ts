import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackfillPlan, PlanItem } from '../../src/backfill/plan.js';
import { BackfillStore } from '../../src/backfill/store.js';
import { parseConfig } from '../../src/config/load-config.js';
import { createPlatform } from '../../src/platform/platform.js';
import { adminQuery, createEmptyDatabase, REDIS_URL, deleteRedisKeys, testPool } from '../support/demo-database.js';
import { writeConfigFile } from './backfill-support.js';

// The two ops roles of README "The ops database roles", set up with the README's own SQL blocks (role and
// database names swapped for this file's): the owner migrates (through ops:migrate --config and through the
// platform serve and worker build), the runtime role runs a request to its approval and beyond, and every way it
// could rewrite the audit log is refused by PostgreSQL's privileges, not by our code.

const run = promisify(execFile);
const MIGRATIONS = readdirSync('src/ops/migrations').filter((f) => /^\d{4}_[a-z0-9-]+\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, '')).sort();
const suffix = randomUUID().replaceAll('-', '').slice(0, 8);
const OWNER = `sgb_owner_${suffix}`;
const APP = `sgb_app_${suffix}`;
const redisPrefix = `sgb-test-roles-${suffix}`;

type Db = Awaited<ReturnType<typeof createEmptyDatabase>>;
let dbA: Db;
let dbB: Db;
let appPool: pg.Pool;
let ownerPool: pg.Pool;
let superPool: pg.Pool;

/** The ```sql blocks of the README's roles section, in order: [as a superuser, as the owner after migrating]. */
function readmeRoleBlocks(dbName: string): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('\n## The ops database roles');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 5);
  const section = readme.slice(start, end);
  const blocks = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(2);
  return blocks.map((b) => b.replaceAll('scorecard_bot_owner', OWNER).replaceAll('scorecard_bot_app', APP).replaceAll('scorecard_ops', dbName));
}

function as(db: Db, role: string): string {
  const u = new URL(db.url);
  u.username = role;
  return u.toString();
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

function configFile(db: Db, ops: Record<string, string>): string {
  return writeConfigFile({
    customers: [{ name: 'acme', profile: 'p', cluster: 'c', postgres: { url: 'postgres://nobody@127.0.0.1:1/none' } }],
    ops,
    logLevel: 'silent',
  });
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli.ts', ...args], { cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function owners(url: string): Promise<Record<string, string>> {
  const { rows } = await query(
    url,
    `SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'scorecard_bot' AND c.relkind IN ('r', 'S')
     UNION ALL
     SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'scorecard_bot'`,
  );
  return Object.fromEntries(rows.map((r) => [r.name as string, r.owner as string]));
}

beforeAll(async () => {
  dbA = await createEmptyDatabase('sgb_roles');
  dbB = await createEmptyDatabase('sgb_roles_b');
  // The superuser block: the roles once (cluster-wide), then per database its CONNECT grant and owned schema.
  const [superuserA] = readmeRoleBlocks(dbA.name);
  await query(dbA.url, superuserA!);
  const [superuserB] = readmeRoleBlocks(dbB.name);
  await query(dbB.url, superuserB!.split('\n').filter((l) => !l.startsWith('CREATE ROLE')).join('\n'));
  superPool = testPool(dbA.url, 2);
});

afterAll(async () => {
  await appPool?.end();
  await ownerPool?.end();
  await superPool?.end();
  await dbA?.drop();
  await dbB?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${APP}`);
  await adminQuery(`DROP ROLE IF EXISTS ${OWNER}`);
  await deleteRedisKeys(`${redisPrefix}*`);
});

describe('migrating with two roles', () => {
  it('ops:migrate --config: the runtime role alone may not migrate; with ops.migrationUrl the owner does, and owns everything', async () => {
    const runtimeOnly = await cli(['ops:migrate', '--config', configFile(dbA, { url: as(dbA, APP) })]);
    expect(runtimeOnly.code).toBe(1);
    expect(runtimeOnly.stderr).toContain('This role may not change the ops database\'s schema (permission denied for database');
    expect(runtimeOnly.stderr).toContain('ops.migrationUrl');
    expect((await query(dbA.url, `SELECT to_regclass('scorecard_bot.pgmigrations') AS t`)).rows[0].t).toBeNull();

    const both = await cli(['ops:migrate', '--config', configFile(dbA, { url: as(dbA, APP), migrationUrl: as(dbA, OWNER) })]);
    expect(both).toMatchObject({ code: 0, stdout: `applied ${MIGRATIONS.join(', ')}\n` });
    const owned = await owners(dbA.url);
    for (const name of ['pgmigrations', 'gap_runs', 'backfill_requests', 'backfill_audit', 'backfill_audit_id_seq', 'backfill_audit_hash', 'backfill_audit_chain']) {
      expect(owned[name], name).toBe(OWNER);
    }
    expect(new Set(Object.values(owned))).toEqual(new Set([OWNER]));
  });

  it('serve and worker (createPlatform) migrate as ops.migrationUrl and run as ops.url', async () => {
    const config = parseConfig(
      JSON.stringify({
        customers: [{ name: 'acme', profile: 'p', cluster: 'c', postgres: { url: 'postgres://nobody@127.0.0.1:1/none' } }],
        redis: { url: REDIS_URL, prefix: redisPrefix },
        ops: { url: as(dbB, APP), migrationUrl: as(dbB, OWNER) },
        slack: { mode: 'socket', botToken: 'xoxb-test', appToken: 'xapp-test', allowedChannels: ['C1'] },
        logLevel: 'silent',
      }),
      {},
    );
    const p = await createPlatform(config, { listen: false });
    try {
      expect((await p.opsPool.query('SELECT current_user AS u')).rows[0].u).toBe(APP);
    } finally {
      await p.close();
    }
    const { rows } = await query(dbB.url, `SELECT name FROM scorecard_bot.pgmigrations ORDER BY id`);
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS);
    expect(new Set(Object.values(await owners(dbB.url)))).toEqual(new Set([OWNER]));
  });
});

describe('the runtime role, granted as the README says', () => {
  const id = `bf-roles-${suffix}`;
  const hash = 'c'.repeat(64);
  let approvalRow: Record<string, unknown>;

  beforeAll(async () => {
    const [, grants] = readmeRoleBlocks(dbA.name);
    await query(as(dbA, OWNER), grants!);
    appPool = testPool(as(dbA, APP), 2);
    ownerPool = testPool(as(dbA, OWNER), 1);
  });

  it('runs a request through BackfillStore: requested, planned, approved, started, a checkpoint, done', async () => {
    const store = new BackfillStore(appPool);
    const scope = { customer: 'acme', profile: 'p', from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', label: 'Jan 2026', clickhouse: false };
    await store.create({ id, scope, requester: 'U_REQ', channel: 'C1', threadTs: null, expiresAt: new Date(Date.now() + 3_600_000) });
    // `as`: main's PlanItem also carries the digest the approval binds (backfill integrity); this one works with both.
    await store.addItems(id, [{ scorecardId: 's1', reason: 'missing', seq: 0, submitted: true, scores: 3, createdAt: '2026-01-05T00:00:00.000Z', digest: 'd1' } as PlanItem]);
    const plan: BackfillPlan = {
      scope,
      hash,
      target: 'postgres://writer@db/acme',
      writerConfigured: true,
      toWrite: { scorecards: 1, byReason: { missing: 1, partial: 0, clickhouse_only: 0 }, historicRows: 3, clickhouseRows: 0 },
      leftAlone: { calibration: 0, non_original: 0, no_scores: 0, conversation_missing: 0, present: 0 },
      before: { historic: { submitted: 1, unsubmitted: 0 }, clickhouse: { submitted: 0, unsubmitted: 0 } },
      samples: {},
      scanned: 1,
    };
    expect(await store.planned(id, plan)).toMatchObject({ status: 'pending' });
    expect(await store.approve(id, 'U_REQ', hash)).toBeNull(); // the two-person rule holds for this role too
    expect(await store.approve(id, 'U_A', hash)).toMatchObject({ status: 'approved', decidedBy: 'U_A' });
    expect(await store.start(id, 'worker-1', 500)).toMatchObject({ status: 'running' });
    await store.checkpoint(id, { chunk: 0, scorecards: 1, historicRows: 3, clickhouseRows: 0, alreadyPresent: 0 });
    expect(await store.finish(id, 'done', { status: 'done' })).toMatchObject({ status: 'done' });

    const { rows } = await superPool.query(`SELECT actor, action, request_id FROM scorecard_bot.backfill_audit ORDER BY id`);
    expect(rows).toEqual(
      [
        ['U_REQ', 'requested'],
        ['bot', 'planned'],
        ['U_A', 'approved'],
        ['worker-1', 'started'],
        ['bot', 'done'],
      ].map(([actor, action]) => ({ actor, action, request_id: id })),
    );
    approvalRow = (await superPool.query(`SELECT * FROM scorecard_bot.backfill_audit WHERE action = 'approved'`)).rows[0];
  });

  it('cannot UPDATE, DELETE, TRUNCATE, ALTER, disable or drop the triggers of, or replace the hash of, the audit log', async () => {
    const refused: [string, RegExp][] = [
      [`UPDATE scorecard_bot.backfill_audit SET actor = 'U_EVIL' WHERE action = 'approved'`, /permission denied for table backfill_audit/],
      [`DELETE FROM scorecard_bot.backfill_audit WHERE action = 'approved'`, /permission denied for table backfill_audit/],
      [`TRUNCATE scorecard_bot.backfill_audit`, /permission denied for table backfill_audit/],
      [
        `INSERT INTO scorecard_bot.backfill_audit (id, request_id, actor, action) SELECT id, request_id, 'U_EVIL', action FROM scorecard_bot.backfill_audit WHERE action = 'approved'
         ON CONFLICT (id) DO UPDATE SET actor = excluded.actor`,
        /permission denied for table backfill_audit/,
      ],
      [`ALTER TABLE scorecard_bot.backfill_audit DISABLE TRIGGER backfill_audit_no_update_delete`, /must be owner of table backfill_audit/],
      [`ALTER TABLE scorecard_bot.backfill_audit DISABLE TRIGGER ALL`, /must be owner of table backfill_audit/],
      [`ALTER TABLE scorecard_bot.backfill_audit ADD COLUMN note text`, /must be owner of table backfill_audit/],
      [`DROP TRIGGER backfill_audit_no_update_delete ON scorecard_bot.backfill_audit`, /must be owner of (table|relation) backfill_audit/],
      [`DROP TRIGGER backfill_audit_chain ON scorecard_bot.backfill_audit`, /must be owner of (table|relation) backfill_audit/],
      [`DROP TABLE scorecard_bot.backfill_audit`, /must be owner of table backfill_audit/],
      [
        `CREATE OR REPLACE FUNCTION scorecard_bot.backfill_audit_hash(prev text, row_id bigint, request text, at_time timestamptz, who text, what text, chan text, plan text, info jsonb)
         RETURNS text LANGUAGE sql AS $$ SELECT 'forged' $$`,
        /permission denied for schema scorecard_bot|must be owner of function/,
      ],
      [`SET session_replication_role = replica`, /permission denied to set parameter "session_replication_role"/],
    ];
    for (const [sql, message] of refused) {
      const err = await appPool.query(sql).then(
        () => null,
        (e: { code?: string; message: string }) => e,
      );
      expect(err, sql).not.toBeNull();
      expect(err!.message, sql).toMatch(message);
      expect(err!.code, sql).toBe('42501');
    }
    // The append-only triggers are still there, for the owner too.
    await expect(ownerPool.query(`UPDATE scorecard_bot.backfill_audit SET actor = 'U_EVIL' WHERE action = 'approved'`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(ownerPool.query(`DELETE FROM scorecard_bot.backfill_audit WHERE action = 'approved'`)).rejects.toThrow(/append-only: DELETE refused/);
    expect((await superPool.query(`SELECT * FROM scorecard_bot.backfill_audit WHERE action = 'approved'`)).rows).toEqual([approvalRow]);
  });

  it('an approval cannot be rewritten: a forged one is appended at the end, with its own id, time and hash, and the first stands', async () => {
    const before = Date.now();
    const { rows: last } = await superPool.query(`SELECT id, hash FROM scorecard_bot.backfill_audit ORDER BY id DESC LIMIT 1`);
    const { rows } = await appPool.query(
      `INSERT INTO scorecard_bot.backfill_audit (id, at, request_id, actor, action, channel, plan_hash, prev_hash, hash)
       VALUES ($1, '2020-01-01T00:00:00Z', $2, 'U_EVIL', 'approved', 'C1', $3, $4, $4) RETURNING id, at, prev_hash, hash`,
      [approvalRow.id, id, hash, 'f'.repeat(64)],
    );
    const forged = rows[0];
    expect(Number(forged.id)).toBe(Number(last[0].id) + 1);
    expect((forged.at as Date).getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(forged.prev_hash).toBe(last[0].hash);
    expect(forged.hash).not.toBe('f'.repeat(64));
    const approvals = (await superPool.query(`SELECT * FROM scorecard_bot.backfill_audit WHERE action = 'approved' ORDER BY id`)).rows;
    expect(approvals[0]).toEqual(approvalRow);
    expect(approvals.map((a) => a.actor)).toEqual(['U_A', 'U_EVIL']);

    // The chain is intact (nothing was edited or removed), and the runtime role can check that itself.
    const n = (await superPool.query(`SELECT count(*)::int AS n FROM scorecard_bot.backfill_audit`)).rows[0].n as number;
    expect(n).toBe(6);
    const verify = await cli(['backfill', 'audit', 'verify', '--database-url', as(dbA, APP)]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`^audit trail intact: ${n} rows, last hash ${forged.hash.slice(0, 12)}…`));
  });
});
