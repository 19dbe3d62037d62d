import { describe, expect, it } from 'vitest';
import { cliFailure } from '../../src/cli/cli-errors.js';
import { BotError, userFacing } from '../../src/shared/errors.js';
import { CAUSES, describeCause, describeMany, retryWindowMs, spokenDuration } from '../../src/shared/user-messages.js';
import { errorReply } from '../../src/slack/error-reply.js';
import { classifyPgError } from '../../src/sources/read-only-db.js';

// The one table of user messages: every cause renders for Slack, the CLI and JSON alike, says what to do, and
// never carries a driver's own text.

const pgError = (code: string, message: string): Error => Object.assign(new Error(message), { code });
const RAW = 'sorry, too many clients already';

describe('the table of user messages', () => {
  it.each(CAUSES)('%s renders a sentence and something to do', (cause) => {
    const m = describeCause(cause, { store: 'customer', customer: 'acme', profile: 'eu-west-1', retry: { attempts: 5, backoffMs: 5_000 }, text: 'Bad input.', hint: 'Do this.' });
    expect(m.cause).toBe(cause);
    expect(m.message).toMatch(/^[A-Za-z].*\.$/);
    expect(m.hint ?? '').not.toBe('');
  });

  it('says how long the run retries, from the budget passed in', () => {
    expect(retryWindowMs({ attempts: 5, backoffMs: 5_000 })).toBe(75_000);
    expect(describeCause('capacity', { customer: 'acme', retry: { attempts: 5, backoffMs: 5_000 } }).message).toBe(
      "acme's database has no free connections right now (too many clients); the run retries for up to 1 min 15 s.",
    );
    expect(describeCause('capacity', { customer: 'acme', retry: { attempts: 5, backoffMs: 8_000 } }).message).toContain('retries for up to 2 min.');
    expect(describeCause('capacity', { customer: 'acme', retry: { attempts: 5, backoffMs: 5_000 }, attemptsMade: 5 }).message).toContain('the run tried 5 times over 1 min 15 s.');
    expect(describeCause('capacity', { customer: 'acme' }).hint).toMatch(/^Run the command again in a minute\./);
  });

  it('names the deadline that expired and where it is set', () => {
    expect(describeCause('timeout', { customer: 'acme', timeoutMs: 60_000, timeoutSetting: 'gap.statementTimeoutMs' }).message).toBe(
      "A query on acme's database timed out after 60 s (gap.statementTimeoutMs).",
    );
    expect(spokenDuration(200)).toBe('0.2 s');
    expect(spokenDuration(150_000)).toBe('2 min 30 s');
  });

  it('names each store as the subject', () => {
    expect(describeCause('unreachable', { store: 'clickhouse' }).message).toBe('Cannot reach ClickHouse.');
    expect(describeCause('auth_refused', { store: 'ops' }).message).toBe("The bot's ops database refused the login.");
    expect(describeCause('unreachable', { store: 'redis' }).message).toBe('Cannot reach the job queue (Redis).');
  });

  it('many failures: the shared cause once, else a count by cause', () => {
    const four = ['a', 'b', 'c', 'd'].map((customer) => ({ customer, cause: 'capacity' as const }));
    expect(describeMany(four).message).toBe('None of the 4 customer databases has a free connection right now (too many clients).');
    expect(describeMany([...four, { customer: 'e', cause: 'auth_refused' }]).message).toBe('All 5 customer databases failed: 4 out of connections, 1 refused the login.');
  });
});

describe('one rendering for Slack, CLI and JSON', () => {
  const cases: [string, Error, RegExp][] = [
    ['capacity', pgError('53300', RAW), /^acme's database \(eu-west-1\) has no free connections right now \(too many clients\); the run retries for up to 1 min 15 s\.$/],
    ['capacity', pgError('57P03', 'the database system is starting up'), /not taking|has no free connections right now \(it is starting up, shutting down or recovering\)/],
    ['timeout', pgError('57014', 'canceling statement due to statement timeout'), /^A query on acme's database \(eu-west-1\) timed out after 60 s \(gap\.statementTimeoutMs\)/],
    ['auth_refused', pgError('28P01', 'password authentication failed for user "reader"'), /^acme's database \(eu-west-1\) refused the login of user "reader"\.$/],
    ['stopped_answering', pgError('57P01', 'terminating connection due to administrator command'), /^acme's database \(eu-west-1\) stopped answering \(the connection was cut\)/],
    ['stopped_answering', new Error('Query read timeout'), /stopped answering: no reply within 1 min 6 s/],
    ['unreachable', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED', address: '10.0.0.1', port: 5432 }), /nothing is listening at 10\.0\.0\.1:5432/],
    ['database_missing', pgError('3D000', 'database "gone" does not exist'), /does not exist \(the URL names "scores"\)\.$/],
    ['permission_denied', pgError('42501', 'permission denied for database scores'), /read-only user "reader" has no permission on acme's database/],
    ['read_only_violation', pgError('25006', 'cannot execute INSERT in a read-only transaction'), /read-only path, and was refused\.$/],
    ['internal', pgError('42P01', 'relation "director.scorecards" does not exist'), /^Something went wrong inside the bot while querying acme's database/],
  ];

  it.each(cases)('%s: %s', (cause, driverError, expected) => {
    const err = classifyPgError(driverError, 'acme/eu-west-1', {
      user: 'reader',
      database: 'scores',
      statementTimeoutMs: 60_000,
      queryTimeoutMs: 66_000,
      retry: { attempts: 5, backoffMs: 5_000 },
    });
    const shown = userFacing(err);
    expect(shown.cause).toBe(cause);
    expect(shown.message).toMatch(expected);
    // Slack, CLI and JSON carry the same sentence; none carries the driver's text.
    const slack = JSON.stringify(errorReply(err));
    const cli = cliFailure(err);
    expect(slack).toContain(JSON.stringify(shown.message).slice(1, -1));
    expect(cli).toMatchObject({ cause, message: shown.message });
    for (const text of [slack, JSON.stringify(cli)]) expect(text).not.toContain(driverError.message);
    // ...which still reaches the log.
    expect(err.message).toContain(driverError.message);
  });

  it('a bug (not a BotError) says what to do and gives an id to quote; its text stays in the log', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'rows')");
    const cli = cliFailure(bug);
    expect(cli.cause).toBe('internal');
    expect(cli.message).toBe('Something went wrong inside the bot (a bug, not a problem with your data or a database).');
    expect(cli.hint).toMatch(/^Run the command again; if it fails the same way, report it and quote error id [0-9a-f]{8}/);
    const slack = JSON.stringify(errorReply(bug, 'abcd1234'));
    expect(slack).toContain('error id abcd1234');
    expect(slack).not.toContain('rows');
  });

  it('a refusal keeps its own sentence', () => {
    const refusal = new BotError('NOT_ALLOWED', 'This command is not allowed in this channel.', { hint: 'Use <#C01>.' });
    expect(userFacing(refusal)).toEqual({ cause: 'not_allowed', message: 'This command is not allowed in this channel.', hint: 'Use <#C01>.' });
  });
});
