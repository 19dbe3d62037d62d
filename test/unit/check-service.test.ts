import { describe, expect, it } from 'vitest';
import { clickhouseCriteriaQuery, scorecardFactsQuery } from '../../src/check/check-queries.js';
import { checkScorecard, withDeadline } from '../../src/check/check-service.js';
import type { CustomerConfig } from '../../src/config/schema.js';
import type { CustomerSources } from '../../src/sources/customer-sources.js';
import { findCustomer } from '../../src/sources/customer-sources.js';
import { classifyPgError, type ReadOnlyDb } from '../../src/sources/read-only-db.js';
import { BotError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';

const ID = '019bcaf4-4b65-7838-b07d-20640fe7628e';
const logger = createLogger({ level: 'silent' });

describe('check queries', () => {
  it('Postgres: one statement, every input a bind parameter', () => {
    const t = new Date('2026-01-17T07:56:06.373Z');
    const q = scorecardFactsQuery("o'brien", 'us-east-1', ID, t);
    expect(q.values).toEqual(["o'brien", 'us-east-1', ID, t]);
    expect(q.text).not.toContain(ID);
    expect(q.text).not.toContain('brien');
    expect(q.text.trim().split(';').length).toBe(1);
    expect(q.text).toMatch(/WHERE s\.customer = \$1 AND s\.profile = \$2 AND s\.resource_id = \$3/);
  });

  it('ClickHouse: typed query parameters, with or without the ±1 day window', () => {
    const narrowed = clickhouseCriteriaQuery('conversations.scorecard_scores', 'rentokil', 'us-east-1', ID, new Date('2026-01-17T07:56:06.373Z'));
    expect(narrowed.query).not.toContain(ID);
    expect(narrowed.query).toContain('uniqExact(criterion_id)');
    expect(narrowed.query_params).toEqual({
      customer: 'rentokil',
      profile: 'us-east-1',
      id: ID,
      from: '2026-01-16 07:56:06.373',
      to: '2026-01-18 07:56:06.373',
    });
    const full = clickhouseCriteriaQuery('conversations.scorecard_scores', 'rentokil', 'us-east-1', ID, null);
    expect(full.query).not.toContain('scorecard_created_at');
    expect(Object.keys(full.query_params)).toEqual(['customer', 'profile', 'id']);
  });
});

/** A CustomerSources stand-in whose databases answer "no such scorecard", fail, or never answer. */
function fakeSources(behaviour: Record<string, 'empty' | 'hang' | 'down' | 'full'>): CustomerSources {
  const customers: CustomerConfig[] = Object.keys(behaviour).map((name) => ({ name, profile: 'us-east-1', postgres: { url: 'postgres://x@h/db' } }));
  const db = (name: string): ReadOnlyDb => ({
    label: name,
    transaction: () => {
      const b = behaviour[name];
      if (b === 'hang') return new Promise(() => undefined);
      if (b === 'down') return Promise.reject(new BotError('SOURCE_UNAVAILABLE', `Cannot reach the database of ${name}/us-east-1.`));
      // The driver's own error for a server at max_connections, through the real classifier.
      if (b === 'full') return Promise.reject(classifyPgError(Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), `${name}/us-east-1`));
      return Promise.resolve([] as never);
    },
    query: () => Promise.resolve([]),
  });
  return {
    customers,
    customer: (name: string) => findCustomer({ customers }, name),
    readOnly: async (name: string) => db(findCustomer({ customers }, name).name),
    reset: async () => undefined,
  } as unknown as CustomerSources;
}

describe('checkScorecard fan-out', () => {
  it('gives each customer its own deadline and names the ones that did not answer', async () => {
    const sources = fakeSources({ rentokil: 'empty', spirit: 'hang', nclh: 'down' });
    const started = Date.now();
    const r = await checkScorecard({ sources, clickhouse: null, timeoutMs: 200, logger }, { id: ID.toUpperCase() });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.verdict).toBe('not_found');
    expect(r.id).toBe(ID);
    expect(r.searched).toEqual(['rentokil', 'spirit', 'nclh']);
    expect(r.unreachable).toEqual([
      { customer: 'spirit', message: "spirit's database stopped answering: no reply within 0.2 s." },
      { customer: 'nclh', message: 'Cannot reach the database of nclh/us-east-1.' },
    ]);
    expect(r.summary).toBe('Not in rentokil, the one customer that answered; could not reach spirit, nclh.');
  });

  it('a named customer that cannot answer is an error, not "not found"', async () => {
    const sources = fakeSources({ rentokil: 'down', spirit: 'empty' });
    await expect(checkScorecard({ sources, clickhouse: null, timeoutMs: 200, logger }, { id: ID, customer: 'rentokil' })).rejects.toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
    });
  });

  it('no customer reachable at all is an error', async () => {
    const sources = fakeSources({ rentokil: 'down', spirit: 'hang' });
    await expect(checkScorecard({ sources, clickhouse: null, timeoutMs: 100, logger }, { id: ID })).rejects.toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
      kind: 'unreachable',
      userMessage: 'All 2 customer databases failed: 1 unreachable, 1 stopped answering.',
    });
  });

  it('every customer out of connections: the shared cause is named, the driver text is not', async () => {
    const sources = fakeSources({ rentokil: 'full', spirit: 'full', nclh: 'full', acme: 'full' });
    const err = (await checkScorecard({ sources, clickhouse: null, timeoutMs: 500, logger }, { id: ID }).catch((e: unknown) => e)) as BotError;
    expect(err).toBeInstanceOf(BotError);
    expect(err.kind).toBe('capacity');
    expect(err.userMessage).toBe('None of the 4 customer databases has a free connection right now (too many clients).');
    expect(err.hint).toContain("rentokil: rentokil's database (us-east-1) has no free connections right now (too many clients).");
    expect(err.hint).toContain('max_connections');
    expect(`${err.userMessage} ${err.hint}`).not.toContain('sorry');
  });

  it('refuses a bad ID and an unknown customer before touching any database', async () => {
    const sources = fakeSources({ rentokil: 'hang' });
    await expect(checkScorecard({ sources, clickhouse: null, timeoutMs: 100, logger }, { id: `{${ID}}` })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(checkScorecard({ sources, clickhouse: null, timeoutMs: 100, logger }, { id: ID, customer: 'acme' })).rejects.toMatchObject({
      code: 'UNKNOWN_CUSTOMER',
    });
  });
});

describe('withDeadline', () => {
  it('aborts the signal and rejects with QUERY_TIMEOUT', async () => {
    let signal: AbortSignal | undefined;
    await expect(
      withDeadline(50, { store: 'clickhouse' }, (s) => {
        signal = s;
        return new Promise((_, reject) => s.addEventListener('abort', () => reject(new Error('aborted'))));
      }),
    ).rejects.toMatchObject({ code: 'QUERY_TIMEOUT', kind: 'stopped_answering', userMessage: 'ClickHouse stopped answering: no reply within 0.1 s.' });
    expect(signal?.aborted).toBe(true);
  });

  it('passes results and errors through', async () => {
    await expect(withDeadline(1000, {}, async () => 42)).resolves.toBe(42);
    await expect(withDeadline(1000, {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
