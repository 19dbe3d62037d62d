import { describe, expect, it } from 'vitest';
import { auditRunningAgainMessage, customerAuditFailedMessage, customerAuditWorksAgainMessage, staleAuditMessage } from '../../src/watch/health-messages.js';

describe('the watchdog\'s messages about itself', () => {
  it('a stale audit says what stopped, since when, and what /readyz does', () => {
    const m = staleAuditMessage({ name: 'hourly', every: '1h' }, new Date('2026-01-05T10:00:30Z'));
    expect(m.text).toBe(
      'The audit hourly (every 1h) has stopped running: it last completed 2026-01-05 10:00 UTC. Its schedule is being restored; check the workers and Redis. /readyz fails until it runs again.',
    );
    expect(staleAuditMessage({ name: 'weekday', cron: '0 9 * * 1-5' }, null).text).toMatch(/^The audit weekday \(cron "0 9 \* \* 1-5"\) has stopped running: it has not completed yet\./);
    expect(auditRunningAgainMessage({ name: 'hourly' }, new Date('2026-01-05T12:14:00Z')).text).toBe('The audit hourly is running again (completed 2026-01-05 12:14 UTC).');
  });
  it('a failing customer: the reason once, then the recovery; mrkdwn escaped in the blocks', () => {
    const m = customerAuditFailedMessage('hourly', 'acme', 'The database of acme refused the login (role "<bot>" does not exist).');
    expect(m.text).toBe('Audit of acme failed (audit hourly): The database of acme refused the login (role "<bot>" does not exist). Nothing more is said about it until it works again.');
    expect(JSON.stringify(m.blocks)).toContain('&lt;bot&gt;');
    expect(customerAuditWorksAgainMessage('hourly', 'acme').text).toBe('Audit of acme works again (audit hourly).');
  });
});
