import { describe, expect, it } from 'vitest';
import { hostPortOf, plainCause } from '../../src/observability/plain-cause.js';
import { createLogLimiter } from '../../src/shared/log-limiter.js';
import { captureLog } from '../support/job-helpers.js';

describe('plainCause: what /readyz says about a dependency that does not answer', () => {
  const target = '127.0.0.1:6390';
  it('a refused connection, with its address', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
    expect(plainCause(err, target)).toBe('not reachable at 127.0.0.1:6390 (connection refused)');
  });
  it('ioredis without a connection, in words', () => {
    expect(plainCause(new Error("Stream isn't writeable and enableOfflineQueue options is false"), target)).toBe('not reachable at 127.0.0.1:6390 (not connected)');
  });
  it('a refused IPv4 and IPv6 pair (AggregateError) and a deadline', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expect(plainCause(new AggregateError([inner], ''), '[::1]:5432')).toBe('not reachable at [::1]:5432 (connection refused)');
    expect(plainCause(new Error('no answer within 1500 ms'), target)).toBe('not answering at 127.0.0.1:6390 (1500 ms)');
  });
  it('anything else keeps its first line, URLs masked', () => {
    expect(plainCause(new Error('NOAUTH for redis://u:secret@h:1\nmore'), target)).toBe('failing at 127.0.0.1:6390: NOAUTH for <url>');
  });
  it('hostPortOf reads host and port only', () => {
    expect(hostPortOf('postgres://bot:pw@db.internal/ops', 5432)).toBe('db.internal:5432');
    expect(hostPortOf('redis://:pw@127.0.0.1:6390/0', 6379)).toBe('127.0.0.1:6390');
    expect(hostPortOf('not a url', 1)).toBe('');
  });
});

describe('createLogLimiter: one line per cause per minute, with the count left out', () => {
  it('suppresses repeats within the window and reports them on the next line', () => {
    let t = 0;
    const log = captureLog('info');
    const limited = createLogLimiter(log.logger, { now: () => t });
    for (let i = 0; i <= 30; i++) {
      limited.warn('redis:ECONNREFUSED', { err: 'refused' }, 'redis (command path) error');
      t += 2_000; // every 2 s, as ioredis reconnects
    }
    limited.warn('ops:timeout', {}, 'ops database connection error');
    const lines = log.lines.filter((l) => String(l.msg).startsWith('redis'));
    // 60 s of warnings every 2 s: t = 0 and t = 60 s, the second saying 29 were left out.
    expect(lines.map((l) => l.suppressed ?? 0)).toEqual([0, 29]);
    expect(String(lines[1]!.msg)).toBe('redis (command path) error (and 29 more like it in the last minute)');
    expect(log.lines.filter((l) => l.msg === 'ops database connection error')).toHaveLength(1);
  });
});
