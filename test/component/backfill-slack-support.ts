import type { Queue } from 'bullmq';
import type pg from 'pg';
import { expect } from 'vitest';
import type { DemoDatabase } from '../support/demo-database.js';
import type { SlackEmulator, StoredMessage } from '../support/slack-emulator.js';
import { blockActionPayload, interactionBody, postSigned, slashCommandBody } from '../support/slack-requests.js';

// Helpers of test/component/backfill-slack.test.ts: signed clicks and commands, reading the thread back, and the
// ops database's view of a request. `env` is filled by the test's beforeAll.

export const SECRET = 'test-signing-secret';
export const CHANNEL = 'C0INCIDENT';
export const [ALICE, BOB, CAROL, GRACE] = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0GRACE'];
export const GROUP = 'S0APPROVERS';
export const CHUNK = 100;

export const env = {} as { demo: DemoDatabase; slack: SlackEmulator; url: string; ops: pg.Pool; admin: pg.Pool; queue: Queue };


let clicks = 0;
/** Where each click was, so its answer can be found where it must be: in the clicked message's thread. */
const clickContext = new Map<string, { user: string; channel: string; threadTs?: string; ephemeralsBefore: number }>();
/** A fresh response_url id. */
export const nextId = (prefix: string): string => `${prefix}-${++clicks}`;
export const fmt = (n: number): string => n.toLocaleString('en-US');
export const textOf = (m: { text?: string; blocks?: unknown[] }): string => JSON.stringify(m.blocks ?? []) + (m.text ?? '');

/** A signed button click; resolves with the response_url id its ephemeral answer arrives on. */
export async function click(actionId: string, value: string, o: { user: string; messageTs: string; threadTs?: string; ephemeral?: boolean; channel?: string }): Promise<string> {
  const id = `click-${++clicks}`;
  const payload = blockActionPayload({ actionId, value, user: o.user, channel: o.channel ?? CHANNEL, messageTs: o.messageTs, responseUrl: env.slack.responseUrl(id) });
  if (o.threadTs) (payload.message as Record<string, unknown>).thread_ts = o.threadTs;
  if (o.ephemeral) (payload.container as Record<string, unknown>).is_ephemeral = true;
  clickContext.set(id, { user: o.user, channel: o.channel ?? CHANNEL, ...(o.threadTs && !o.ephemeral ? { threadTs: o.threadTs } : {}), ephemeralsBefore: env.slack.ephemerals.length });
  const res = await postSigned(env.url, SECRET, interactionBody(payload));
  expect(res.status).toBe(200);
  return id;
}

/**
 * The ephemeral answer to one click, where it must be: for a click in a thread, an ephemeral message in that thread
 * to the clicker (chat.postEphemeral with thread_ts); otherwise through the click's response_url.
 */
export async function answer(id: string, pattern: RegExp): Promise<string> {
  const ctx = clickContext.get(id);
  const inThread = (): Array<{ text?: string; blocks?: unknown[] }> =>
    env.slack.ephemerals.slice(ctx?.ephemeralsBefore ?? 0).filter((e) => e.user === ctx?.user && e.channel === ctx?.channel && e.thread_ts === ctx?.threadTs);
  if (ctx?.threadTs) {
    const e = await env.slack.waitFor(() => inThread().find((x) => pattern.test(textOf(x as never))), 60_000).catch((err: Error) => {
      const got = inThread().map((x) => textOf(x as never));
      throw new Error(`${err.message}: no answer matching ${pattern} to ${id} in thread ${ctx.threadTs}; got ${JSON.stringify(got)}`);
    });
    // Nothing went to the bottom of the channel.
    expect(env.slack.responses.filter((x) => x.id === id)).toEqual([]);
    return textOf(e as never);
  }
  const r = await env.slack
    .waitFor(() => env.slack.responses.find((x) => x.id === id && pattern.test(textOf(x.body as never))), 60_000)
    .catch((err: Error) => {
      const got = env.slack.responses.filter((x) => x.id === id).map((x) => textOf(x.body as never));
      throw new Error(`${err.message}: no answer matching ${pattern} to ${id}; got ${JSON.stringify(got)}`);
    });
  expect(r.body.response_type).toBe('ephemeral');
  expect(r.body.replace_original).toBe(false);
  return textOf(r.body);
}

/** How many of these clicks got an answer matching `pattern` (in their thread, or through response_url). */
export function answersTo(ids: readonly string[], pattern: RegExp): number {
  const viaUrl = env.slack.responses.filter((r) => ids.includes(r.id) && pattern.test(textOf(r.body as never))).length;
  const ctxs = ids.map((id) => clickContext.get(id)).filter((c): c is NonNullable<typeof c> => c !== undefined && c.threadTs !== undefined);
  const since = Math.min(...ctxs.map((c) => c.ephemeralsBefore), env.slack.ephemerals.length);
  const inThread = env.slack.ephemerals
    .slice(since)
    .filter((e) => ctxs.some((c) => c.user === e.user && c.channel === e.channel && c.threadTs === e.thread_ts) && pattern.test(textOf(e as never))).length;
  return viaUrl + inThread;
}

export function buttonsOf(m: { blocks?: unknown[] }): Array<{ action_id: string; value: string }> {
  return ((m.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
}

export const isPlan = (m: StoredMessage): boolean => (m.text ?? '').startsWith('Backfill plan for');

const isPlanning = (m: StoredMessage): boolean => /^Backfill plan for .*: planning/.test(m.text ?? '');

/**
 * The click is answered in the thread, not ephemerally: a "Planning…" message (with Cancel) appears there, and
 * nothing goes to the clicker's response_url.
 */
export async function planningShown(threadTs: string, clickId: string): Promise<StoredMessage> {
  const msg = await env.slack.waitFor(() => env.slack.threadReplies(CHANNEL, threadTs).filter(isPlan).find((m) => isPlanning(m) || buttonsOf(m).length > 0), 60_000);
  expect(env.slack.responses.filter((r) => r.id === clickId)).toEqual([]);
  return msg;
}

/** Waits for the plan message that follows a request click, planned; returns it with its request ID and plan hash. */
export async function newPlan(threadTs: string, seen: number): Promise<{ msg: StoredMessage; requestId: string; hash: string }> {
  const msg = await env.slack.waitFor(() => {
    const m = env.slack.threadReplies(CHANNEL, threadTs).filter(isPlan)[seen];
    return m && !isPlanning(m) ? m : undefined;
  }, 120_000);
  const approve = buttonsOf(msg).find((b) => b.action_id === 'backfill_approve');
  expect(approve, `a pending plan carries an Approve button: ${textOf(msg)}`).toBeTruthy();
  const [requestId, hash] = approve!.value.split(' ');
  return { msg, requestId: requestId!, hash: hash! };
}

export const plansIn = (threadTs: string): number => env.slack.threadReplies(CHANNEL, threadTs).filter(isPlan).length;
/** A message as it is now (after edits), wherever it is. */
export function current(ts: string): StoredMessage {
  for (const root of env.slack.messages(CHANNEL)) {
    if (root.ts === ts) return root;
    const hit = env.slack.threadReplies(CHANNEL, root.ts).find((m) => m.ts === ts);
    if (hit) return hit;
  }
  throw new Error(`no message ${ts}`);
}

/** A message in the channel to thread under (as a gap report's root would be). */
export async function postAnchor(): Promise<string> {
  const res = await fetch(`${env.slack.apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test-token' },
    body: JSON.stringify({ channel: CHANNEL, text: 'a report root' }),
  });
  return String(((await res.json()) as { ts: string }).ts);
}

export async function status(requestId: string): Promise<string | null> {
  const { rows } = await env.ops.query<{ status: string }>('SELECT status FROM scorecard_bot.backfill_requests WHERE id = $1', [requestId]);
  return rows[0]?.status ?? null;
}

export async function requestCount(): Promise<number> {
  const { rows } = await env.ops.query<{ n: number }>('SELECT count(*)::int AS n FROM scorecard_bot.backfill_requests');
  return rows[0]!.n;
}

export async function auditActions(requestId: string): Promise<string[]> {
  const { rows } = await env.ops.query<{ action: string }>('SELECT action FROM scorecard_bot.backfill_audit WHERE request_id = $1 ORDER BY id', [requestId]);
  return rows.map((r) => r.action);
}

export async function jobCount(): Promise<number> {
  return Object.values(await env.queue.getJobCounts()).reduce((a, b) => a + b, 0);
}

export async function until<T>(fn: () => Promise<T | null | undefined | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** /scorecard-gap by alice, to the end; returns the root ts and the thread. */
export async function gapRun(text: string): Promise<{ rootTs: string; replies: StoredMessage[] }> {
  const before = new Set(env.slack.messages(CHANNEL).map((m) => m.ts));
  const res = await postSigned(env.url, SECRET, slashCommandBody({ command: '/scorecard-gap', text, response_url: env.slack.responseUrl(), user_id: ALICE, channel_id: CHANNEL }));
  expect(res.status).toBe(200);
  const root = await env.slack.waitFor(() => env.slack.messages(CHANNEL).find((m) => !before.has(m.ts) && /Investigating/.test(m.text ?? '')), 60_000);
  await until(async () => (await env.ops.query(`SELECT 1 FROM scorecard_bot.gap_runs WHERE root_ts = $1 AND status = 'done'`, [root.ts])).rowCount);
  return { rootTs: root.ts, replies: env.slack.threadReplies(CHANNEL, root.ts) };
}

export function requestButton(replies: StoredMessage[]): { value: string; ts: string } {
  const msg = replies.find((m) => buttonsOf(m).some((b) => b.action_id === 'backfill_request'));
  if (!msg) throw new Error('no Request backfill button in the thread');
  return { value: buttonsOf(msg).find((b) => b.action_id === 'backfill_request')!.value, ts: msg.ts };
}

/** The headline's "*Submitted*\n1,165 of 3,637 missing (32.0%)" as [missing, total]. */
export function headline(replies: StoredMessage[], label: string): [number, number] {
  const fields = replies.flatMap((m) => ((m.blocks ?? []) as Array<{ fields?: { text: string }[] }>).flatMap((b) => (b.fields ?? []).map((f) => f.text)));
  const m = /^\*[^*]+\*\n([\d,]+) of ([\d,]+) missing/.exec(fields.find((f) => f.startsWith(`*${label}*\n`)) ?? '');
  if (!m) throw new Error(`no ${label} headline field`);
  return [Number(m[1]!.replaceAll(',', '')), Number(m[2]!.replaceAll(',', ''))];
}

export async function historicRows(customer: string, from: string, to: string): Promise<number> {
  const { rows } = await env.admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM historic.scorecard_scores WHERE customer_id = $1 AND scorecard_created_at >= $2 AND scorecard_created_at < $3`,
    [customer, from, to],
  );
  return rows[0]!.n;
}

export const truthJan = (customer: 'rentokil' | 'spirit') => {
  const t = env.demo.truth.perCustomer[customer]!;
  const ch = (pop: string) => t.clickhouseMissing.filter((d) => d.date.startsWith('2026-01') && d.population === pop).reduce((a, d) => a + d.missing, 0);
  return {
    submitted: t.monthly.submitted['2026-01']!,
    unsubmitted: t.monthly.unsubmitted['2026-01']!,
    chSubmitted: ch('submitted'),
    chUnsubmitted: ch('unsubmitted'),
  };
};

