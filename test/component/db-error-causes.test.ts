import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, createEmptyDatabase } from '../support/demo-database.js';
import { runGapCli, type GapCliRun } from '../support/gap-cli-run.js';

// Each way a customer database can be out of reach, with a real failing connection, through the CLI as a person
// runs it: the message names the cause, and the causes that cannot heal fail on the first attempt.
//
// Bad credentials on this PostgreSQL: 127.0.0.1 uses trust auth, so a wrong password is accepted. A real refusal
// comes from a role created NOLOGIN (28000 "role ... is not permitted to log in"), and a permission refusal from
// a database whose CONNECT privilege is revoked from PUBLIC (42501 "permission denied for database").

const suffix = randomUUID().replaceAll('-', '').slice(0, 8);
const NOLOGIN_ROLE = `sgb_nologin_${suffix}`;
const NOCONNECT_ROLE = `sgb_noconnect_${suffix}`;
const PASSWORD = 's3cret-pw-never-shown';
let closedPort: number;
let locked: { name: string; drop(): Promise<void> };
const dir = mkdtempSync(join(tmpdir(), 'sgb-causes-'));

beforeAll(async () => {
  // A port that was free a moment ago: nothing listens there.
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closedPort = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  await adminQuery(`CREATE ROLE ${NOLOGIN_ROLE} NOLOGIN PASSWORD '${PASSWORD}'`);
  await adminQuery(`CREATE ROLE ${NOCONNECT_ROLE} LOGIN PASSWORD '${PASSWORD}'`);
  locked = await createEmptyDatabase('sgb_locked');
  await adminQuery(`REVOKE CONNECT ON DATABASE ${locked.name} FROM PUBLIC`);
});

afterAll(async () => {
  await locked?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${NOLOGIN_ROLE}`);
  await adminQuery(`DROP ROLE IF EXISTS ${NOCONNECT_ROLE}`);
});

function writeConfig(customers: { name: string; url: string }[], windowAttempts = 3): string {
  const path = join(dir, `config-${randomUUID().slice(0, 8)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      customers: customers.map((c) => ({ name: c.name, profile: 'eu-west-1', postgres: { url: c.url } })),
      gap: { statementTimeoutMs: 10_000, concurrency: 2, historyMonths: 1, windowAttempts, retryBackoffMs: 300 },
      logLevel: 'silent',
    }),
  );
  return path;
}

/** Runs `scorecard-bot gap ...` as src/cli.ts does: the command, and its errors through the CLI's one reporter. */
const cli = (args: string[]): Promise<GapCliRun> => runGapCli(args);

const url = (user: string, host: string, port: number, db: string): string => `postgres://${user}:${PASSWORD}@${host}:${port}/${db}`;

describe('13.3 the cause of a failed connection is named', () => {
  it('closed port: "nothing is listening", retried (transient)', async () => {
    const config = writeConfig([{ name: 'acme', url: url('postgres', '127.0.0.1', closedPort, 'postgres') }]);
    const r = await cli(['acme', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`nothing is listening at 127.0.0.1:${closedPort}`);
    expect(r.stderr).toContain('acme/eu-west-1');
    expect(r.stderr).toMatch(/after 3 attempt/);
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it('unknown host: "the host ... is unknown"', async () => {
    const config = writeConfig([{ name: 'acme', url: url('postgres', 'no-such-host.invalid', 5432, 'postgres') }], 1);
    const r = await cli(['acme', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the host "no-such-host.invalid" is unknown');
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it('missing database: "does not exist", failed at once without retries', async () => {
    const config = writeConfig([{ name: 'acme', url: url('postgres', '127.0.0.1', 5432, `no_such_db_${suffix}`) }], 5);
    const r = await cli(['acme', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`database "no_such_db_${suffix}" does not exist`);
    expect(r.stderr).toMatch(/after 1 attempt\(s\)/);
    // 5 attempts with backoff would take 0.5 + 1 + 2 + 4 s.
    expect(r.ms).toBeLessThan(5_000);
  });

  it('login refused (a NOLOGIN role): "refused the login", failed at once without retries', async () => {
    const config = writeConfig([{ name: 'acme', url: url(NOLOGIN_ROLE, '127.0.0.1', 5432, 'postgres') }], 5);
    const r = await cli(['acme', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused the login');
    expect(r.stderr).toContain(`role "${NOLOGIN_ROLE}" is not permitted to log in`);
    expect(r.stderr).toMatch(/after 1 attempt\(s\)/);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.ms).toBeLessThan(5_000);
  });

  it('permission denied (no CONNECT on the database): "no permission", failed at once without retries', async () => {
    const config = writeConfig([{ name: 'acme', url: url(NOCONNECT_ROLE, '127.0.0.1', 5432, locked.name) }], 5);
    const r = await cli(['acme', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no permission');
    expect(r.stderr).toMatch(new RegExp(`permission denied for database "?${locked.name}"?`));
    expect(r.stderr).toMatch(/after 1 attempt\(s\)/);
    expect(r.ms).toBeLessThan(5_000);
  });

  it('gap --json prints a JSON error object when it fails', async () => {
    const config = writeConfig([{ name: 'acme', url: url('postgres', '127.0.0.1', 5432, `no_such_db_${suffix}`) }], 1);
    const r = await cli(['acme', 'jan-2026', '--json', '--config', config]);
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(parsed.error.code).toBe('DATABASE_MISSING');
    expect(parsed.error.message).toContain('does not exist');
  });

  it('gap --json prints a JSON error object for bad input too', async () => {
    const config = writeConfig([{ name: 'acme', url: url('postgres', '127.0.0.1', 5432, 'postgres') }], 1);
    const r = await cli(['acme', 'jan-20x6', '--json', '--config', config]);
    expect(r.code).toBe(2);
    const parsed = JSON.parse(r.stdout) as { error: { code: string; message: string; hint?: string } };
    expect(parsed.error.code).toBe('BAD_INPUT');
    expect(parsed.error.hint).toContain('jan-2026');
  });

  it('gap all with every customer failing says so plainly: no empty impact table, no doubled prefix', async () => {
    const config = writeConfig(
      [
        { name: 'acme', url: url('postgres', '127.0.0.1', 5432, `no_such_db_${suffix}`) },
        { name: 'globex', url: url(NOLOGIN_ROLE, '127.0.0.1', 5432, 'postgres') },
      ],
      1,
    );
    const r = await cli(['all', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/Total|Scale of impact/);
    expect(r.stderr).toContain('all 2 customers failed');
    expect(r.stderr).not.toMatch(/acme: acme:|globex: globex:/);
    expect(r.stderr).toMatch(/acme: .*does not exist/);
    expect(r.stderr).toMatch(/globex: .*refused the login/);
  });
});
