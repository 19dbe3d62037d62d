import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clickhouseUnavailableReason } from '../../src/gap/clickhouse-unavailable.js';
import { renderTerminalReport } from '../../src/gap/views/terminal-report.js';
import { verdictSentence } from '../../src/gap/views/finding-sentences.js';
import { headlineMessage } from '../../src/gap/views/gap-blocks.js';
import { noGapReport, rentokilReport } from './fixtures/gap-report-fixture.js';

// The reason shown when ClickHouse could not be compared: from error codes, never from a message that may hold a URL.

describe('clickhouseUnavailableReason', () => {
  const netErr = (code: string, message: string) => Object.assign(new Error(message), { code });

  it.each([
    [netErr('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:8123'), 'connection refused'],
    [netErr('ENOTFOUND', 'getaddrinfo ENOTFOUND ch.internal'), 'host not found'],
    [new Error('Timeout error.'), 'no answer within the request timeout (clickhouse.requestTimeoutMs)'],
    [new ClickHouseError({ message: 'default: Authentication failed: password is incorrect', code: '516', type: 'AUTHENTICATION_FAILED' }), 'credentials refused'],
    [new ClickHouseError({ message: 'Table db.t does not exist', code: '60', type: 'UNKNOWN_TABLE' }), 'the configured table does not exist'],
    [new ClickHouseError({ message: 'whatever', code: '999', type: 'SOMETHING_ELSE' }), 'query failed (ClickHouse error SOMETHING_ELSE)'],
    [z.array(z.number()).safeParse(['x']).error, 'unexpected answer from ClickHouse'],
  ])('%s -> %s', (err, reason) => {
    expect(clickhouseUnavailableReason(err)).toBe(reason);
  });

  it('never repeats an unknown message (it could carry a URL with its password)', () => {
    const reason = clickhouseUnavailableReason(new Error('request to http://default:hunter2@ch:8123/ failed'));
    expect(reason).toBe('unexpected error (details in the bot log)');
    expect(reason).not.toContain('hunter2');
  });
});

describe('renderers, ClickHouse unavailable', () => {
  const down = <T extends ReturnType<typeof rentokilReport>>(r: T): T => ({
    ...r,
    populations: { submitted: { ...r.populations.submitted, clickhouseMissing: null }, unsubmitted: { ...r.populations.unsubmitted, clickhouseMissing: null } },
    clickhouse: { configured: true, available: false, error: 'connection refused', days: [] },
  });

  it('terminal: the headline table, the ClickHouse line and the verdict say so', () => {
    const text = renderTerminalReport(down(rentokilReport()));
    expect(text).toContain('ClickHouse: unavailable (connection refused), so only historic was checked.');
    expect(text).toMatch(/Submitted .* unavailable/);
    expect(text).not.toContain('ClickHouse matches historic');
  });

  it('verdict: no "and ClickHouse" claim for a no-gap period', () => {
    expect(verdictSentence(down(noGapReport()))).toBe(
      'guitar-center, Jan 2026: no gap: all 579 submitted and 712,045 unsubmitted scorecards are in historic; ClickHouse: unavailable (connection refused).',
    );
  });

  it('Slack headline: the verdict and the ClickHouse field', () => {
    const msg = headlineMessage(down(rentokilReport()));
    expect(msg.text).toContain('ClickHouse: unavailable (connection refused)');
    expect(JSON.stringify(msg.blocks)).toContain('*ClickHouse*\\nunavailable (connection refused): only historic was checked');
  });
});
