import { createHmac } from 'node:crypto';
import type { SlackEmulator } from './slack-emulator.js';

// Correctly signed Slack requests (v0 signing: HMAC-SHA256 of "v0:{timestamp}:{body}"), sent over real HTTP
// into the real Bolt app.

export interface SignedRequestOptions {
  /** Seconds since the epoch; defaults to now. Older than 5 minutes is rejected by Bolt. */
  timestamp?: number;
  /** Sign with another secret (a forged request). */
  secret?: string;
}

export async function postSigned(url: string, secret: string, body: string, opts: SignedRequestOptions = {}): Promise<{ status: number; text: string; json: unknown }> {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const sig = 'v0=' + createHmac('sha256', opts.secret ?? secret).update(`v0:${ts}:${body}`).digest('hex');
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': sig,
    },
    body,
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}

export interface SlashCommandFields {
  command: string;
  text: string;
  user_id?: string;
  channel_id?: string;
  response_url: string;
}

export function slashCommandBody(f: SlashCommandFields): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: f.channel_id ?? 'C0INCIDENT',
    channel_name: 'incident',
    user_id: f.user_id ?? 'U0ALICE',
    user_name: 'alice',
    command: f.command,
    text: f.text,
    api_app_id: 'A0BOT',
    is_enterprise_install: 'false',
    response_url: f.response_url,
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
  }).toString();
}

export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function blockActionPayload(f: { actionId: string; value: string; user?: string; channel?: string; messageTs: string; responseUrl: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: f.user ?? 'U0BOB', username: 'bob', team_id: 'T0001' },
    api_app_id: 'A0BOT',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: f.messageTs, channel_id: f.channel ?? 'C0INCIDENT', is_ephemeral: false },
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    channel: { id: f.channel ?? 'C0INCIDENT', name: 'incident' },
    message: { type: 'message', ts: f.messageTs, text: '' },
    response_url: f.responseUrl,
    actions: [{ action_id: f.actionId, block_id: 'b1', value: f.value, type: 'button', action_ts: String(Date.now() / 1000) }],
  };
}

let homeEvents = 0;

/**
 * Opens a user's App Home tab as Slack would (a signed app_home_opened event callback, JSON) and returns the blocks
 * of the view the bot published for that user through the emulator's views.publish.
 */
export async function openHomeTab(
  slack: Pick<SlackEmulator, 'homeViews' | 'waitFor'>,
  eventsUrl: string,
  secret: string,
  user: string,
): Promise<Array<{ type: string; text?: { text: string } } & Record<string, unknown>>> {
  const n = ++homeEvents;
  const body = JSON.stringify({
    type: 'event_callback',
    team_id: 'T0TEST',
    api_app_id: 'A0TEST',
    event_id: `Ev0HOME${process.pid}x${n}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: `D0${user}`, tab: 'home', event_ts: `1700000000.${String(n).padStart(6, '0')}` },
  });
  const ts = Math.floor(Date.now() / 1000);
  const sig = 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  const before = slack.homeViews.filter((v) => v.userId === user).length;
  const res = await fetch(eventsUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig }, body });
  if (res.status !== 200) throw new Error(`app_home_opened for ${user}: HTTP ${res.status}`);
  const view = await slack.waitFor(() => slack.homeViews.filter((v) => v.userId === user)[before], 20_000);
  return view.view.blocks as Array<{ type: string; text?: { text: string } } & Record<string, unknown>>;
}
