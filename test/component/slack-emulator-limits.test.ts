import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator.js';

// The emulated Slack refuses, like Slack, what breaks Slack's published Block Kit limits: on every way the bot
// posts (chat.postMessage, chat.update, chat.postEphemeral and response_url).

let slack: SlackEmulator;
beforeAll(async () => {
  slack = await startSlackEmulator();
});
afterAll(async () => {
  await slack?.close();
});

async function api(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' },
    body: JSON.stringify(args),
  });
  return (await res.json()) as Record<string, unknown>;
}

const plain = (text: string) => ({ type: 'plain_text', text });
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const table = () => ({ type: 'table', rows: [[{ type: 'raw_text', text: 'a' }], [{ type: 'raw_text', text: '1' }]] });
// Passes the project's own checker (it never looks at a section's accessory), not Slack's button limit of 75.
const longAccessory = { ...section('Backfill?'), accessory: { type: 'button', action_id: 'b', text: plain('x'.repeat(76)) } };

describe('the Slack emulator enforces the published limits', () => {
  it('chat.postMessage: refuses a 76-character button label with invalid_blocks and stores nothing', async () => {
    const before = slack.messages('C1').length;
    const r = await api('chat.postMessage', { channel: 'C1', text: 't', blocks: [longAccessory] });
    expect(r).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(String((r.errors as string[])[0])).toMatch(/button text is 76 chars \(max 75\)/);
    expect(slack.messages('C1').length).toBe(before);
    expect(slack.rejected.at(-1)).toMatchObject({ method: 'chat.postMessage' });
  });

  it('chat.postMessage: takes a message exactly at the limits', async () => {
    const blocks = [{ type: 'header', text: plain('h'.repeat(150)) }, section('s'.repeat(3000)), ...Array.from({ length: 48 }, () => ({ type: 'divider' }))];
    expect(await api('chat.postMessage', { channel: 'C1', text: 't', blocks })).toMatchObject({ ok: true });
  });

  it('chat.update: refuses two tables in one message', async () => {
    const posted = await api('chat.postMessage', { channel: 'C1', text: 't', blocks: [table()] });
    const r = await api('chat.update', { channel: 'C1', ts: posted.ts, text: 't', blocks: [table(), table()] });
    expect(r).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(slack.messages('C1').find((m) => m.ts === posted.ts)?.blocks).toHaveLength(1);
  });

  it('chat.postEphemeral: refuses a 151-character header', async () => {
    const r = await api('chat.postEphemeral', { channel: 'C1', user: 'U1', text: 't', blocks: [{ type: 'header', text: plain('h'.repeat(151)) }] });
    expect(r).toMatchObject({ ok: false, error: 'invalid_blocks' });
  });

  it('response_url: refuses 51 blocks with HTTP 400 invalid_blocks and records no response', async () => {
    const url = slack.responseUrl('too-many');
    const blocks = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 't', blocks }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(slack.responses.find((r) => r.id === 'too-many')).toBeUndefined();
    const fine = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 't', blocks: blocks.slice(0, 50) }) });
    expect(fine.status).toBe(200);
    expect(slack.responses.filter((r) => r.id === 'too-many')).toHaveLength(1);
  });
});
