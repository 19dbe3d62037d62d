// Threat: the console's local Slack listened on every interface (anyone on the network could "act as" the
// approver), and its backfill writer was the database superuser. Now every socket a console process listens on is
// a loopback one, read from the kernel's own tables (/proc/net/tcp*), and the writer is a role that may only
// INSERT into historic.scorecard_scores.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseUrl } from '../support/clickhouse-url.js';
import { PG_ADMIN, testPool } from '../support/demo-database.js';
import { consoleEnv, dropConsoleData, freePort, startConsole, type ConsoleRun } from '../browser/console-process.js';

const tag = `sec${process.pid}`;
let env: NodeJS.ProcessEnv;
let run: ConsoleRun | undefined;

/** Socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) out.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** Every listening TCP socket (local address hex, port) with its inode, IPv4 and IPv6. */
function listeners(): { address: string; port: number; inode: string }[] {
  const rows: { address: string; port: number; inode: string }[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A: LISTEN
      const [address = '', port = '0'] = (f[1] ?? '').split(':');
      rows.push({ address, port: parseInt(port, 16), inode: f[9] ?? '' });
    }
  }
  return rows;
}

// 127.0.0.1 as /proc prints it (little-endian words), alone or IPv4-mapped in IPv6; ::1.
const LOOPBACK = new Set(['0100007F', '0000000000000000FFFF00000100007F', '00000000000000000000000001000000']);

beforeAll(async () => {
  env = consoleEnv(tag, clickhouseUrl(), await freePort());
  await dropConsoleData(env);
  run = await startConsole(env, 240_000);
}, 300_000);

afterAll(async () => {
  await run?.interrupt();
  await dropConsoleData(env);
}, 60_000);

describe('npm run console on a shared network', () => {
  it('listens on loopback only, in every process it started', () => {
    const { pids } = run!.state();
    const started = [pids.localSlack, pids.bot].filter((p): p is number => typeof p === 'number');
    expect(started).toHaveLength(2);
    const all = listeners();
    for (const pid of started) {
      const inodes = socketInodes(pid);
      const mine = all.filter((l) => inodes.has(l.inode));
      expect(mine.length, `pid ${pid} listens on something`).toBeGreaterThan(0);
      for (const l of mine) expect(LOOPBACK.has(l.address), `pid ${pid} listens on ${l.address}:${l.port}`).toBe(true);
    }
    expect(run!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('repairs with a writer that may only INSERT into historic', async () => {
    const config = readFileSync(path.join(run!.dir, 'scorecard-bot.yml'), 'utf8');
    const writerUrl = /writer:\s*\n?\s*url: (\S+)/.exec(config)?.[1] ?? '';
    const role = new URL(writerUrl).username;
    expect(role).toBe('scorecard_console_writer');
    const admin = testPool(`${PG_ADMIN}/${env.CONSOLE_DATABASE}`, 1);
    try {
      const { rows } = await admin.query<Record<string, boolean>>(
        `SELECT r.rolsuper AS super, r.rolcreaterole AS createrole,
                has_table_privilege($1, 'historic.scorecard_scores', 'INSERT') AS historic_insert,
                has_table_privilege($1, 'historic.scorecard_scores', 'DELETE') AS historic_delete,
                has_table_privilege($1, 'historic.scorecard_scores', 'UPDATE') AS historic_update,
                has_table_privilege($1, 'director.scorecards', 'INSERT') AS director_insert,
                has_table_privilege($1, 'director.scores', 'UPDATE') AS director_update,
                has_table_privilege($1, 'director.scorecards', 'SELECT') AS director_select
         FROM pg_roles r WHERE r.rolname = $1`,
        [role],
      );
      expect(rows[0]).toEqual({
        super: false,
        createrole: false,
        historic_insert: true,
        historic_delete: false,
        historic_update: false,
        director_insert: false,
        director_update: false,
        director_select: true,
      });
    } finally {
      await admin.end();
    }
  });
});
