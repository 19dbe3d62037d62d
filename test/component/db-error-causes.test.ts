import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, createEmptyDatabase } from '../support/demo-database.js';
import { runGapCli, type GapCliRun } from '../support/gap-cli-run.js';
import { createServeContext, type ServeContext } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDemoDatabase, REDIS_URL, type DemoDatabase } from '../support/demo-database.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

// Each way a customer database can be out of reach, with a real failing connection, through the CLI as a person
// runs it: the message names the cause, and the causes that cannot heal fail on the first attempt.
//
// Bad credentials on this PostgreSQL: 127.0.0.1 uses trust auth, so a wrong password is accepted. A real refusal
// comes from a role created NOLOGIN (28000 "role ... is not permitted to log in"), and a permission refusal from
// a database whose CONNECT privilege is revoked from PUBLIC (42501 "permission denied for database").

const suffix = randomUUID().replaceAll('-', '').slice(0, 8);
const NOLOGIN_ROLE = `sgb_nologin_${suffix}`;
const NOCONNECT_ROLE = `sgb_noconnect_${suffix}`;
// CONNECTION LIMIT 0: PostgreSQL refuses every login of this role with 53300 (too many connections), the same
// SQLSTATE as a server at max_connections ("sorry, too many clients already"), without exhausting the shared server.
const FULL_ROLE = `sgb_full_${suffix}`;
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
  await adminQuery(`CREATE ROLE ${FULL_ROLE} LOGIN CONNECTION LIMIT 0 PASSWORD '${PASSWORD}'`);
  locked = await createEmptyDatabase('sgb_locked');
  await adminQuery(`REVOKE CONNECT ON DATABASE ${locked.name} FROM PUBLIC`);
});

afterAll(async () => {
  await locked?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${NOLOGIN_ROLE}`);
  await adminQuery(`DROP ROLE IF EXISTS ${NOCONNECT_ROLE}`);
  await adminQuery(`DROP ROLE IF EXISTS ${FULL_ROLE}`);
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
    expect(r.stderr).toContain(`Cannot reach acme's database (eu-west-1): nothing is listening at 127.0.0.1:${closedPort} (connection refused)`);
    // 3 tries from 300 ms wait 0.3 + 0.6 s.
    expect(r.stderr).toContain('the run tried 3 times over 0.9 s.');
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
    expect(r.stderr).toContain(`acme's database (eu-west-1) does not exist (the URL names "no_such_db_${suffix}"); not retried, as waiting cannot fix it.`);
    expect(r.stderr).not.toMatch(/tried \d+ times/);
    // 5 attempts with backoff would take 0.5 + 1 + 2 + 4 s.
    expect(r.ms).toBeLessThan(5_000);
  });

  it('login refused (a NOLOGIN role): "refused the login", failed at once without retries', async () => {
    const config = writeConfig([{ name: 'acme', url: url(NOLOGIN_ROLE, '127.0.0.1', 5432, 'postgres') }], 5);
    const r = await cli(['acme', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`acme's database (eu-west-1) refused the login of user "${NOLOGIN_ROLE}"; not retried, as waiting cannot fix it.`);
    // PostgreSQL's own sentence goes to the log only.
    expect(r.stderr).not.toContain('is not permitted to log in');
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.ms).toBeLessThan(5_000);
  });

  it('permission denied (no CONNECT on the database): "no permission", failed at once without retries', async () => {
    const config = writeConfig([{ name: 'acme', url: url(NOCONNECT_ROLE, '127.0.0.1', 5432, locked.name) }], 5);
    const r = await cli(['acme', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The bot's read-only user "${NOCONNECT_ROLE}" has no permission on acme's database (eu-west-1); not retried, as waiting cannot fix it.`);
    expect(r.stderr).not.toContain('permission denied for database');
    expect(r.ms).toBeLessThan(5_000);
  });

  it('gap --json prints a JSON error object when it fails', async () => {
    const config = writeConfig([{ name: 'acme', url: url('postgres', '127.0.0.1', 5432, `no_such_db_${suffix}`) }], 1);
    const r = await cli(['acme', 'jan-2026', '--json', '--config', config]);
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.stdout) as { error: { code: string; cause: string; message: string; hint: string } };
    expect(parsed.error.code).toBe('DATABASE_MISSING');
    expect(parsed.error.cause).toBe('database_missing');
    // The same sentence and hint as stderr: one table renders both.
    expect(r.stderr).toBe(`error: ${parsed.error.message}\n${parsed.error.hint}\n`);
    expect(parsed.error.message).toContain(`acme's database (eu-west-1) does not exist (the URL names "no_such_db_${suffix}")`);
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
    expect(r.stderr).toContain('error: All 2 customer databases failed: 1 missing database, 1 refused the login. No report.');
    expect(r.stderr).not.toMatch(/acme: acme:|globex: globex:/);
    expect(r.stderr).toMatch(/acme: .*acme's database \(eu-west-1\) does not exist/);
    expect(r.stderr).toMatch(/globex: .*globex's database \(eu-west-1\) refused the login/);
  });

  it('no free connections (53300): named with how long the run retries, the driver text never shown', async () => {
    const config = writeConfig([{ name: 'acme', url: url(FULL_ROLE, '127.0.0.1', 5432, 'postgres') }], 3);
    const r = await cli(['acme', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("acme's database (eu-west-1) has no free connections right now (too many clients); the run tried 3 times over 0.9 s.");
    expect(r.stderr).toContain('max_connections');
    expect(r.stderr).not.toMatch(/too many connections for role|sorry/);
    const json = await cli(['acme', 'jan-2026', '--json', '--config', config]);
    const parsed = JSON.parse(json.stdout) as { error: { code: string; cause: string; message: string } };
    expect(parsed.error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', cause: 'capacity' });
    expect(parsed.error.message).toContain("acme's database (eu-west-1) has no free connections right now (too many clients)");
  });

  it('gap all with every customer out of connections names the shared cause once', async () => {
    const config = writeConfig(
      ['acme', 'globex', 'initech', 'umbrella'].map((name) => ({ name, url: url(FULL_ROLE, '127.0.0.1', 5432, 'postgres') })),
      1,
    );
    const r = await cli(['all', 'jan-2026', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: None of the 4 customer databases has a free connection right now (too many clients). No report.');
    expect(r.stderr).toMatch(/umbrella: .*umbrella's database \(eu-west-1\) has no free connections right now/);
    const json = await cli(['all', 'jan-2026', '--json', '--config', config]);
    const parsed = JSON.parse(json.stdout) as { failures: { customer: string; error: { cause: string; message: string } }[] };
    expect(parsed.failures.map((f) => f.error.cause)).toEqual(['capacity', 'capacity', 'capacity', 'capacity']);
    expect(JSON.stringify(parsed)).not.toContain('too many connections for role');
  });
});

describe('the same causes in Slack', () => {
  const SECRET = 'causes-secret';
  const CHANNEL = 'C0CAUSES';
  let demo: DemoDatabase;
  let slack: SlackEmulator;
  let ctx: ServeContext;
  let endpoint: string;

  beforeAll(async () => {
    demo = await createDemoDatabase({ scale: 0.01, seed: 5, customers: ['rentokil'], from: '2025-12-01', to: '2026-02-01', clickhouse: false });
    slack = await startSlackEmulator();
    const base = demo.config();
    const config = demo.config({
      customers: ['acme', 'globex'].map((name) => ({ name, profile: 'eu-west-1', postgres: { url: url(FULL_ROLE, '127.0.0.1', 5432, 'postgres') } })),
      slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, allowedChannels: [CHANNEL], allowedUsers: [] },
      redis: { url: REDIS_URL, prefix: `${base.redis!.prefix}-causes` },
    });
    ctx = await createServeContext(config, { listen: true, workers: false, logger: createLogger({ level: 'silent' }) });
    endpoint = `http://127.0.0.1:${await ctx.start()}/slack/events`;
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    await slack?.close();
    await demo?.drop();
  });

  const check = async (text: string): Promise<string> => {
    const id = `causes-${Math.random().toString(36).slice(2, 8)}`;
    await postSigned(endpoint, SECRET, slashCommandBody({ command: '/scorecard-check', text, channel_id: CHANNEL, response_url: slack.responseUrl(id) }));
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === id), 15_000);
    expect(reply.body).toMatchObject({ response_type: 'ephemeral' });
    return JSON.stringify(reply.body);
  };

  it('/scorecard-check with every database out of connections says so, and what to do', async () => {
    const body = await check('019bcaf4-4b65-7838-b07d-20640fe7628e');
    expect(body).toContain('None of the 2 customer databases has a free connection right now (too many clients).');
    expect(body).toContain('max_connections');
    expect(body).not.toMatch(/too many connections for role|sorry|Something went wrong/);
  });

  it('/scorecard-check of one customer names that customer\'s database', async () => {
    const body = await check('019bcaf4-4b65-7838-b07d-20640fe7628e acme');
    expect(body).toContain("acme's database (eu-west-1) has no free connections right now (too many clients).");
    expect(body).toContain('Run the command again in a minute.');
  });
});
