import { WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rentokilReport } from '../unit/fixtures/gap-report-fixture.js';
import { rootMessage, threadMessages } from '../../src/gap/views/gap-blocks.js';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

describe('Slack emulator, driven by a real @slack/web-api WebClient', () => {
  let slack: SlackEmulator;
  let client: WebClient;

  beforeEach(async () => {
    slack = await startSlackEmulator();
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('answers auth.test and records the call with its token', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, user_id: 'UBOT0001', bot_id: 'BBOT0001' });
    expect(slack.calls).toEqual([expect.objectContaining({ method: 'auth.test', token: 'xoxb-test' })]);
  });

  it('posts a root message, updates it, and keeps thread replies in order with their blocks decoded', async () => {
    const report = rentokilReport();
    const root = await client.chat.postMessage({
      channel: 'C0OPS',
      ...rootMessage({ status: 'running', customer: 'rentokil', periodLabel: 'Jan 2026', windowsDone: 12, windowsTotal: 31 }),
    });
    expect(root).toMatchObject({ ok: true, channel: 'C0OPS' });
    const rootTs = String(root.ts);
    const update = await client.chat.update({ channel: 'C0OPS', ts: rootTs, ...rootMessage({ status: 'done', report }) });
    expect(update.ok).toBe(true);
    const thread = threadMessages(report);
    for (const msg of thread) await client.chat.postMessage({ channel: 'C0OPS', thread_ts: rootTs, ...msg });

    const [top] = slack.messages('C0OPS');
    expect(slack.messages('C0OPS')).toHaveLength(1);
    expect(top?.edited).toBe(true);
    expect(top?.text).toContain('1,165 of 3,637 submitted');
    const replies = slack.threadReplies('C0OPS', rootTs);
    expect(replies.map((r) => r.text)).toEqual(thread.map((m) => m.text));
    // blocks arrive JSON-encoded in a form field and are decoded back to objects
    expect(replies[0]?.blocks).toEqual(thread[0]?.blocks);
    const postCall = slack.callsTo('chat.postMessage')[1];
    expect(postCall?.args.thread_ts).toBe(rootTs);
    // timestamps increase
    const ts = replies.map((r) => Number(r.ts));
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
  });

  it('uploads a file with filesUploadV2 into a thread, end to end', async () => {
    const root = await client.chat.postMessage({ channel: 'C0OPS', text: 'root' });
    const res = await client.filesUploadV2({
      channel_id: 'C0OPS',
      thread_ts: String(root.ts),
      file: PNG,
      filename: 'rentokil-jan-2026.png',
      title: 'rentokil daily missing rate',
    });
    expect(res.ok).toBe(true);
    expect(slack.uploads).toHaveLength(1);
    const [upload] = slack.uploads;
    expect(upload).toMatchObject({ filename: 'rentokil-jan-2026.png', length: PNG.length, completed: true, channel: 'C0OPS', threadTs: String(root.ts), title: 'rentokil daily missing rate' });
    expect(upload?.bytes?.equals(PNG)).toBe(true);
    expect(slack.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'files.completeUploadExternal']);
    const replies = slack.threadReplies('C0OPS', String(root.ts));
    expect(replies).toEqual([expect.objectContaining({ files: [{ id: upload?.fileId, title: 'rentokil daily missing rate' }] })]);
  });

  it('posts ephemerals, answers conversations.info, users.info and usergroups.users.list', async () => {
    slack.setUser('U0ALICE', { name: 'alice', real_name: 'Alice Approver' });
    slack.setUsergroup('S0APPROVERS', ['U0ALICE', 'U0BOB']);
    await client.chat.postEphemeral({ channel: 'C0OPS', user: 'U0ALICE', text: 'only you' });
    expect(slack.ephemerals).toEqual([expect.objectContaining({ channel: 'C0OPS', user: 'U0ALICE', text: 'only you' })]);
    expect((await client.conversations.info({ channel: 'C0OPS' })).channel).toMatchObject({ id: 'C0OPS', is_member: true });
    expect((await client.users.info({ user: 'U0ALICE' })).user).toMatchObject({ id: 'U0ALICE', real_name: 'Alice Approver' });
    expect((await client.usergroups.users.list({ usergroup: 'S0APPROVERS' })).users).toEqual(['U0ALICE', 'U0BOB']);
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({ data: { error: 'no_such_subteam' } });
  });

  it('answers unknown methods with unknown_method', async () => {
    const err = (await client.apiCall('nope.nothing', {}).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(err.data).toMatchObject({ ok: false, error: 'unknown_method' });
  });

  it('injects failures: a platform error once, then success', async () => {
    slack.failNext('chat.postMessage', 'channel_not_found');
    await expect(client.chat.postMessage({ channel: 'C0OPS', text: 'a' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(client.chat.postMessage({ channel: 'C0OPS', text: 'b' })).resolves.toMatchObject({ ok: true });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(slack.messages('C0OPS').map((m) => m.text)).toEqual(['b']);
  });

  it('injects rate limiting as HTTP 429 with Retry-After, which the WebClient honours', async () => {
    slack.failNext('chat.postMessage', 'ratelimited', { retryAfterSeconds: 0 });
    const retrying = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } });
    await expect(retrying.chat.postMessage({ channel: 'C0OPS', text: 'after a 429' })).resolves.toMatchObject({ ok: true });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2);

    slack.failNext('chat.postMessage', 'ratelimited', { retryAfterSeconds: 7 });
    const strict = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true });
    await expect(strict.chat.postMessage({ channel: 'C0OPS', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 });
  });

  it('rejects messages over Slack limits with invalid_blocks, like Slack', async () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    await expect(client.chat.postMessage({ channel: 'C0OPS', text: 'too many', blocks })).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
  });

  it('records posts to a response_url, and waitFor resolves once they arrive', async () => {
    const url = slack.responseUrl('cmd-1');
    setTimeout(() => {
      void fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text: 'usage' }) });
    }, 20);
    const response = await slack.waitFor(() => slack.responses.find((r) => r.id === 'cmd-1'), 2_000);
    expect(response.body).toEqual({ response_type: 'ephemeral', text: 'usage' });
    await expect(slack.waitFor(() => false, 50)).rejects.toThrow(/not met within 50 ms/);
  });

  it('accepts JSON bodies too', async () => {
    const res = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-json' },
      body: JSON.stringify({ channel: 'C0OPS', text: 'json', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0OPS' });
    expect(slack.calls[0]).toMatchObject({ token: 'xoxb-json', args: { blocks: [{ type: 'section' }] } });
  });
});
