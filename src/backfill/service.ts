import { randomUUID } from 'node:crypto';
import { clickhouseOf } from '../config/clickhouse-of.js';
import type { Config } from '../config/schema.js';
import type { GapDeps } from '../gap/gap-service.js';
import type { Period } from '../period/parse-period.js';
import { BotError, userFacing } from '../shared/errors.js';
import { clickhouseFor } from '../sources/clickhouse-tiers.js';
import type { ConnectionUrlResolver } from '../sources/connection-url.js';
import { findCustomer } from '../sources/customer-sources.js';
import { explainRefusal, type Decision } from './decide.js';
import { runBackfillJob, type BackfillProgress, type BackfillResult } from './job.js';
import { computePlan, type BackfillPlan, type PlanProgress } from './plan.js';
import { periodScope, scorecardScope, type BackfillScope } from './scope.js';
import type { BackfillRequest, BackfillStore } from './store.js';
import { configuredWriterIdentity, describeIdentity, type WriterIdentity } from './writer-identity.js';

// The API the Slack layer (and the CLI, and tests) drive: request → plan stored as pending; approve / deny /
// cancel as single conditional UPDATEs that either win or say why not; run executes an approved request.
// Who may approve (slack.approvers) is the Slack layer's check; the two-person rule is enforced here as well.

export interface BackfillServiceDeps {
  store: BackfillStore;
  config: Pick<Config, 'customers' | 'clusters' | 'clickhouse' | 'backfill' | 'gap'>;
  /** The read path: sources (read-only pools), each customer's ClickHouse as reader, gap settings. */
  gap: GapDeps;
  resolver: ConnectionUrlResolver;
  now?: () => Date;
  newId?: () => string;
  workerId?: string;
  /** First retry delay of a failed chunk (doubles per attempt); short in tests. */
  chunkBackoffMs?: number;
}

export type ScopeInput = { customer: string; period: Period } | { customer: string; scorecardId: string };

export function expiresAfterMs(text: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (!m) throw new BotError('BAD_CONFIG', `backfill.expiresAfter "${text}" is not a duration.`, { hint: 'For example: 24h' });
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

/** Resolves the input to a scope (read-only lookups only); refuses unknown customers, long periods, unknown IDs. */
export async function resolveScope(deps: Pick<BackfillServiceDeps, 'config' | 'gap'>, input: ScopeInput): Promise<BackfillScope> {
  const customer = findCustomer(deps.config, input.customer);
  const clickhouse = deps.config.backfill.clickhouse && clickhouseFor(deps.gap.clickhouse, customer.name) !== null;
  if ('period' in input) return periodScope(customer, input.period, clickhouse);
  const db = await deps.gap.sources.readOnly(customer.name);
  const [row] = await db.query<{ created_at: Date }>(
    `SELECT created_at FROM director.scorecards WHERE customer = $1 AND profile = $2 AND resource_id = $3`,
    [customer.name, customer.profile, input.scorecardId],
  );
  if (!row) {
    throw new BotError('BAD_INPUT', `${customer.name} has no scorecard ${input.scorecardId.slice(0, 60)} in director.scorecards.`, {
      hint: 'Check the ID with /scorecard-check first.',
    });
  }
  return scorecardScope(customer, input.scorecardId, row.created_at, clickhouse);
}

/** The writer a plan binds: configured now, named without credentials. */
export function planTarget(deps: Pick<BackfillServiceDeps, 'config'>, scope: BackfillScope): { target: string | null; writerIdentity: WriterIdentity | null } {
  const writerIdentity = configuredWriterIdentity(findCustomer(deps.config, scope.customer), clickhouseOf(deps.config, scope.customer), scope.clickhouse);
  return { target: writerIdentity ? describeIdentity(writerIdentity) : null, writerIdentity };
}

/** The dry run: the same plan, read-only, written nowhere (no ops database needed). */
export async function dryRunPlan(deps: Pick<BackfillServiceDeps, 'config' | 'gap'>, input: ScopeInput): Promise<BackfillPlan> {
  const scope = await resolveScope(deps, input);
  const db = await deps.gap.sources.readOnly(scope.customer);
  return computePlan({ db, clickhouse: clickhouseFor(deps.gap.clickhouse, scope.customer), scope, ...planTarget(deps, scope) });
}

export class BackfillService {
  constructor(private readonly deps: BackfillServiceDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Resolves the input to a scope; unknown customers and over-long periods are refused before anything is stored. */
  scopeOf(input: ScopeInput): Promise<BackfillScope> {
    return resolveScope(this.deps, input);
  }

  /** The dry run: the same plan, read-only, written nowhere. */
  dryRun(input: ScopeInput): Promise<BackfillPlan> {
    return dryRunPlan(this.deps, input);
  }

  /**
   * Stores a request in `planning` (its plan is computed by plan(), in a job): the scope is resolved and the
   * per-person cap checked first, so a refusal stores nothing.
   */
  async createRequest(input: ScopeInput, who: { requester: string; channel: string; threadTs: string | null; sourceRunId?: string | null }): Promise<BackfillRequest> {
    const scope = await this.scopeOf(input);
    const { store } = this.deps;
    const limit = this.deps.config.backfill.maxOpenPerUser ?? 2;
    const open = await store.openCountBy(who.requester);
    if (open >= limit) {
      throw new BotError('TOO_MANY_RUNS', `You already have ${open} open backfill request${open === 1 ? '' : 's'}, so I did not plan another.`, {
        hint: `Let one finish, or cancel one (at most ${limit} per person at once: backfill.maxOpenPerUser).`,
      });
    }
    const id = this.deps.newId?.() ?? `bf-${randomUUID()}`;
    const expiresAt = new Date(this.now().getTime() + expiresAfterMs(this.deps.config.backfill.expiresAfter));
    return store.create({ id, scope, requester: who.requester, channel: who.channel, threadTs: who.threadTs, expiresAt, sourceRunId: who.sourceRunId ?? null });
  }

  /**
   * Computes the plan of a request in `planning`: its items streamed into the ops database (each page a heartbeat),
   * then pending, or done at once when there is nothing to write. A request no longer planning (cancelled, lost)
   * is left as it is. A plan over backfill.maxScorecards fails with a shorter period to try.
   */
  async plan(id: string, onProgress?: (p: PlanProgress) => void): Promise<BackfillRequest | null> {
    const { store } = this.deps;
    const req = await store.get(id);
    if (!req || req.status !== 'planning') return req;
    const scope = req.scope;
    await store.clearItems(id); // a retried plan job starts over
    let plan: BackfillPlan;
    let beat = 0;
    try {
      const db = await this.deps.gap.sources.readOnly(scope.customer);
      plan = await computePlan({
        db,
        clickhouse: clickhouseFor(this.deps.gap.clickhouse, scope.customer),
        scope,
        ...planTarget(this.deps, scope),
        sink: (items) => store.addItems(id, items),
        maxScorecards: this.deps.config.backfill.maxScorecards,
        onPage: async (p) => {
          onProgress?.(p);
          if (Date.now() - beat > 10_000) {
            beat = Date.now();
            await store.heartbeat(id);
          }
        },
      });
    } catch (err) {
      await store.planFailed(id, userFacing(err).message);
      throw err;
    }
    const next = plan.toWrite.scorecards === 0 ? await store.nothingToWrite(id, plan) : await store.planned(id, plan);
    // Cancelled or lost while the scan ran: it stays so.
    return next ?? store.get(id);
  }

  /** Creates and plans a request in one go (the CLI, the tests). */
  async request(input: ScopeInput, who: { requester: string; channel: string; threadTs: string | null; sourceRunId?: string | null }): Promise<BackfillRequest> {
    const created = await this.createRequest(input, who);
    const planned = await this.plan(created.id);
    if (!planned || (planned.status !== 'pending' && planned.status !== 'done')) {
      throw new BotError('INTERNAL', `The backfill request changed while it was being planned (now ${planned?.status ?? 'gone'}).`);
    }
    return planned;
  }

  private async decided(
    won: BackfillRequest | null,
    id: string,
    click: { action: 'approve' | 'deny' | 'cancel'; actor: string; planHash?: string },
  ): Promise<Decision> {
    if (won) return { ok: true, request: won };
    let req = await this.deps.store.get(id);
    if (req && req.status === 'pending' && req.expiresAt <= this.now()) req = (await this.deps.store.expire(id)) ?? (await this.deps.store.get(id));
    return { ok: false, request: req, ...explainRefusal(req, click, this.now()) };
  }

  async approve(id: string, approver: string, planHash: string): Promise<Decision> {
    return this.decided(await this.deps.store.approve(id, approver, planHash), id, { action: 'approve', actor: approver, planHash });
  }

  async deny(id: string, approver: string, planHash: string): Promise<Decision> {
    return this.decided(await this.deps.store.deny(id, approver, planHash), id, { action: 'deny', actor: approver, planHash });
  }

  async cancel(id: string, actor: string): Promise<Decision> {
    return this.decided(await this.deps.store.cancel(id, actor), id, { action: 'cancel', actor });
  }

  /** The job died outside its chunks on its last attempt: end the request as failed, with a reason people can read. */
  async failUnexpectedly(id: string, err: unknown): Promise<string> {
    const error = `the job stopped: ${userFacing(err).message}`;
    await this.deps.store.fail(id, error, {});
    return error;
  }

  /** Executes an approved request (or resumes a running one); progress at most once a second. */
  run(id: string, onProgress?: (p: BackfillProgress) => void): Promise<BackfillResult> {
    return runBackfillJob(
      {
        store: this.deps.store,
        config: this.deps.config,
        resolver: this.deps.resolver,
        gap: this.deps.gap,
        workerId: this.deps.workerId,
        chunkBackoffMs: this.deps.chunkBackoffMs,
      },
      id,
      onProgress,
    );
  }
}
