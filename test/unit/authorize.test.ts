import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { BotError } from '../../src/shared/errors.js';
import { assertChannelPolicy, authorize, authorizeApproval } from '../../src/slack/authorize.js';
import { ephemeralNotice } from '../../src/slack/ephemeral.js';
import { ephemeralUsage } from '../../src/gap/views/usage-message.js';

// The authorisation rules: closed by default, the same for both commands and every button, approvals never by the
// requester.

function slackSettings(slack: Record<string, unknown>) {
  const c = parseConfig(JSON.stringify({ customers: [{ name: 'acme', profile: 'eu-1', postgres: { url: 'postgres://x@h/d' } }], slack }), {});
  return c.slack!;
}

function refusal(fn: () => void): BotError {
  try {
    fn();
  } catch (err) {
    return err as BotError;
  }
  throw new Error('expected a refusal');
}

describe('authorize', () => {
  it('refuses every channel when no channel is listed and allowAllChannels is not set', () => {
    const s = slackSettings({});
    expect(refusal(() => authorize(s, 'C0ANY', 'U1')).code).toBe('NOT_ALLOWED');
  });

  it('allows listed channels only', () => {
    const s = slackSettings({ allowedChannels: ['C01INC'] });
    expect(() => authorize(s, 'C01INC', 'U1')).not.toThrow();
    const e = refusal(() => authorize(s, 'C0RANDOM', 'U1'));
    expect(e.userMessage).toContain('not enabled in this channel');
    expect(e.hint).toContain('<#C01INC>');
  });

  it('refuses direct messages, also with allowAllChannels', () => {
    expect(refusal(() => authorize(slackSettings({ allowAllChannels: true }), 'D0DM1234', 'U1')).userMessage).toMatch(/direct message/i);
    expect(refusal(() => authorize(slackSettings({ allowedChannels: ['C01INC'] }), 'D0DM1234', 'U1')).hint).toContain('<#C01INC>');
    expect(() => authorize(slackSettings({ allowAllChannels: true }), 'C0ANY', 'U1')).not.toThrow();
  });

  it('applies the user allowlist in allowed channels', () => {
    const s = slackSettings({ allowedChannels: ['C01INC'], allowedUsers: ['U0ALICE'] });
    expect(() => authorize(s, 'C01INC', 'U0ALICE')).not.toThrow();
    expect(refusal(() => authorize(s, 'C01INC', 'U0MALLORY')).code).toBe('NOT_ALLOWED');
  });
});

describe('channel policy at start', () => {
  it('refuses to start with no channels and no allowAllChannels, naming both keys', () => {
    const e = refusal(() => assertChannelPolicy(slackSettings({})));
    expect(e.code).toBe('BAD_CONFIG');
    expect(`${e.userMessage} ${e.hint}`).toContain('slack.allowedChannels');
    expect(`${e.userMessage} ${e.hint}`).toContain('slack.allowAllChannels');
    expect(() => assertChannelPolicy(slackSettings({ allowAllChannels: true }))).not.toThrow();
    expect(() => assertChannelPolicy(slackSettings({ allowedChannels: ['C01INC'] }))).not.toThrow();
  });

  it('defaults maxRunsPerUser to 2', () => {
    expect(slackSettings({}).maxRunsPerUser).toBe(2);
  });
});

describe('authorizeApproval', () => {
  const s = slackSettings({ allowedChannels: ['C01INC'], approvers: { users: ['U0APPROVER', 'U0ALICE'], userGroups: ['S0DBAS'] } });

  it('accepts a configured approver user or a member of an approver group', () => {
    expect(() => authorizeApproval(s, { channel: 'C01INC', approver: 'U0APPROVER', requester: 'U0ALICE' })).not.toThrow();
    expect(() => authorizeApproval(s, { channel: 'C01INC', approver: 'U0DBA', requester: 'U0ALICE', approverGroups: ['S0OTHER', 'S0DBAS'] })).not.toThrow();
  });

  it('never lets the requester approve, even an approver', () => {
    expect(refusal(() => authorizeApproval(s, { channel: 'C01INC', approver: 'U0ALICE', requester: 'U0ALICE' })).userMessage).toMatch(/your own/);
  });

  it('refuses people who are not approvers, other channels, and a bot with no approvers', () => {
    expect(refusal(() => authorizeApproval(s, { channel: 'C01INC', approver: 'U0BOB', requester: 'U0ALICE', approverGroups: ['S0OTHER'] })).hint).toBe('Ask <@U0APPROVER>, <@U0ALICE> or anyone in <!subteam^S0DBAS>.');
    expect(refusal(() => authorizeApproval(s, { channel: 'C0RANDOM', approver: 'U0APPROVER', requester: 'U0ALICE' })).code).toBe('NOT_ALLOWED');
    const none = slackSettings({ allowedChannels: ['C01INC'] });
    expect(refusal(() => authorizeApproval(none, { channel: 'C01INC', approver: 'U0APPROVER', requester: 'U0ALICE' })).userMessage).toMatch(/no approvers/i);
  });
});

describe('refusal messages', () => {
  it('shows the allowed channels as channel links, not escaped text', () => {
    const e = refusal(() => authorize(slackSettings({ allowedChannels: ['C01INC'] }), 'C0RANDOM', 'U1'));
    const json = JSON.stringify(ephemeralNotice(e));
    expect(json).toContain('<#C01INC>');
    expect(json).not.toContain('&lt;#C01INC&gt;');
    // Any other markup in a hint stays escaped.
    expect(JSON.stringify(ephemeralUsage({ message: 'x', hint: 'a <b> & <#C01INC>' }))).toContain('a &lt;b&gt; &amp; <#C01INC>');
  });

  it('a refusal names no customer and shows no usage line', () => {
    const e = refusal(() => authorize(slackSettings({ allowedChannels: ['C01INC'] }), 'C0RANDOM', 'U1'));
    const json = JSON.stringify(ephemeralNotice(e));
    expect(json).not.toMatch(/Usage|acme|rentokil/);
  });

  it('the usage examples name a configured customer', () => {
    expect(JSON.stringify(ephemeralUsage('bad', { customerExample: 'acme' }))).not.toContain('rentokil');
  });
});
