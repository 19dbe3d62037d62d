import type { CustomerConfig } from '../config/schema.js';
import { clickhouseFor, type ClickhouseTiers } from '../sources/clickhouse-tiers.js';
import type { CustomerSources } from '../sources/customer-sources.js';
import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { describeCause, describeMany, type Cause, type CauseFacts } from '../shared/user-messages.js';
import { maskSecrets } from '../shared/mask.js';
import type { CheckResult, ClickhouseTierState, Unreachable } from './check-result.js';
import { gatherClickhouse, gatherPostgres, type PostgresFacts } from './gather.js';
import { parseScorecardId } from './scorecard-id.js';
import { decide } from './verdict.js';

// One entry point for `/scorecard-check` and `scorecard-bot check`: validate the ID, ask the named customer (or
// every configured customer at once, each under its own deadline), then ClickHouse for the one that has it, and
// decide. A customer that cannot answer is reported, never mistaken for "not there".

export const DEFAULT_CHECK_TIMEOUT_MS = 15_000;

export interface CheckDeps {
  sources: CustomerSources;
  /** Each customer's ClickHouse: the one the scorecard was found in is asked, in its own ClickHouse. */
  clickhouse: ClickhouseTiers | null;
  /** Deadline per customer database, and for the ClickHouse lookup. */
  timeoutMs: number;
  logger: Logger;
}

export interface CheckInput {
  /** As typed: validated here (any case; BAD_INPUT with an example otherwise). */
  id: string;
  /** Omitted: search every configured customer. */
  customer?: string;
}

export async function checkScorecard(deps: CheckDeps, input: CheckInput): Promise<CheckResult> {
  const parsed = parseScorecardId(input.id);
  const named = input.customer?.trim() ?? '';
  const customerGiven = named !== '';
  const targets: CustomerConfig[] = customerGiven ? [deps.sources.customer(named)] : deps.sources.customers;

  const settled = await Promise.allSettled(
    targets.map((c) =>
      withDeadline(deps.timeoutMs, { store: 'customer', customer: c.name }, async () => {
        const db = await deps.sources.readOnly(c.name, 'check');
        return gatherPostgres(db, c.name, c.profile, parsed.id, parsed.createdAt);
      }),
    ),
  );

  const hits: { customer: CustomerConfig; facts: PostgresFacts }[] = [];
  const unreachable: Unreachable[] = [];
  const causes: { customer: string; cause: Cause }[] = [];
  settled.forEach((s, i) => {
    const c = targets[i] as CustomerConfig;
    if (s.status === 'fulfilled') {
      if (s.value) hits.push({ customer: c, facts: s.value });
      return;
    }
    deps.logger.warn({ err: s.reason, customer: c.name, scorecardId: parsed.id }, 'scorecard check: customer unreachable');
    if (s.reason instanceof BotError && s.reason.code === 'SOURCE_UNAVAILABLE') void deps.sources.reset(c.name).catch(() => undefined);
    const shown = userFacing(s.reason);
    unreachable.push({ customer: c.name, message: shown.message });
    causes.push({ customer: c.name, cause: shown.cause });
  });

  // A named customer that cannot answer is an error, not "not found"; so is a fan-out that reached no one.
  if (customerGiven && settled[0]?.status === 'rejected') throw settled[0].reason;
  if (!customerGiven && hits.length === 0 && unreachable.length === targets.length && targets.length > 0) {
    // The shared cause when there is one ("none of the 4 customer databases has a free connection"), else a count.
    const all = describeMany(causes);
    const lines = unreachable.map((u) => `${u.customer}: ${u.message}`).join('\n');
    throw new BotError('SOURCE_UNAVAILABLE', all.message, { hint: all.hint ? `${all.hint}\n${lines}` : lines, kind: all.cause });
  }

  const searched = targets.map((c) => c.name);
  const createdAtFromId = parsed.createdAt?.toISOString() ?? null;
  const hit = hits[0];
  if (!hit) {
    const decision = decide({ id: parsed.id, createdAtFromId, found: null, searched, customerGiven, unreachable });
    return {
      id: parsed.id,
      customer: customerGiven ? (targets[0]?.name ?? null) : null,
      profile: customerGiven ? (targets[0]?.profile ?? null) : null,
      createdAtFromId,
      tiers: { director: null, scores: null, historic: null, clickhouse: null, conversation: null },
      ...decision,
      searched,
      unreachable,
    };
  }

  const { customer, facts } = hit;
  const around = parsed.createdAt ?? new Date(facts.director.createdAt);
  const clickhouse = await clickhouseState(deps, customer, parsed.id, around);
  const decision = decide({
    id: parsed.id,
    createdAtFromId,
    found: { customer: customer.name, profile: customer.profile, ...facts, clickhouse },
    searched,
    customerGiven,
    unreachable,
    alsoFoundIn: hits.slice(1).map((h) => h.customer.name),
  });
  return {
    id: parsed.id,
    customer: customer.name,
    profile: customer.profile,
    createdAtFromId,
    tiers: { director: facts.director, scores: facts.scores, historic: facts.historic, clickhouse, conversation: facts.conversation },
    ...decision,
    searched,
    unreachable,
  };
}

async function clickhouseState(deps: CheckDeps, customer: CustomerConfig, id: string, around: Date): Promise<ClickhouseTierState> {
  const ch = clickhouseFor(deps.clickhouse, customer.name);
  if (!ch) return { status: 'not_configured' };
  try {
    return await withDeadline(deps.timeoutMs, { store: 'clickhouse' }, (signal) => gatherClickhouse(ch, customer.name, customer.profile, id, around, signal));
  } catch (err) {
    deps.logger.warn({ err, customer: customer.name, scorecardId: id }, 'scorecard check: ClickHouse lookup failed');
    const message = err instanceof BotError ? err.userMessage : maskSecrets(err instanceof Error ? err.message : String(err)).slice(0, 200);
    return { status: 'unavailable', message };
  }
}

/**
 * Runs fn under a deadline: on expiry the signal aborts (ClickHouse cancels its request; a Postgres statement is
 * bounded by its own statement_timeout) and the caller gets QUERY_TIMEOUT without waiting for the straggler.
 */
export async function withDeadline<T>(ms: number, subject: CauseFacts, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const work = fn(controller.signal);
  work.catch(() => undefined); // the loser of the race must not become an unhandled rejection
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Reject first: an aborted request rejects too, and the deadline must win the race.
      const facts = { ...subject, timeoutMs: ms };
      const shown = describeCause('stopped_answering', facts);
      reject(new BotError('QUERY_TIMEOUT', shown.message, { hint: shown.hint, kind: 'stopped_answering', facts }));
      controller.abort();
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
