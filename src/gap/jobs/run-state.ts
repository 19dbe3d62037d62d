import type { Cluster, Redis } from 'ioredis';

// Small pieces of shared run state in Redis: which run owns a (customer, period), which thread messages were
// already posted (so a job re-run after a crash never posts twice), whether a run was cancelled or resumed.
// Every key expires: nothing here may outlive its run for long.

export interface ActiveRun {
  runId: string;
  channel: string;
  rootTs: string;
}

export interface RunStateOptions {
  /** A claim whose run never started (crash between claim and enqueue) is gone after this long. */
  placeholderTtlMs?: number;
  /** A started run's claim lives this long unless the heartbeat extends it. */
  claimTtlMs?: number;
}

const DAY_S = 86_400;

export class RunState {
  readonly placeholderTtlMs: number;
  readonly claimTtlMs: number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    opts: RunStateOptions = {},
  ) {
    this.placeholderTtlMs = opts.placeholderTtlMs ?? 60_000;
    this.claimTtlMs = opts.claimTtlMs ?? 10 * 60_000;
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** Claims (customer, period) for a run; returns the run already holding it, if any. */
  async claim(subject: string, run: ActiveRun): Promise<ActiveRun | null> {
    const ok = await this.redis.set(this.key('active', subject), JSON.stringify(run), 'PX', this.placeholderTtlMs, 'NX');
    if (ok === 'OK') return null;
    const held = await this.redis.get(this.key('active', subject));
    return held ? (JSON.parse(held) as ActiveRun) : null;
  }

  /** The run holding (customer, period), if any: a placeholder (no rootTs yet) while its root message is posted. */
  async get(subject: string): Promise<ActiveRun | null> {
    const held = await this.redis.get(this.key('active', subject));
    return held ? (JSON.parse(held) as ActiveRun) : null;
  }

  /** Moves a claim from a placeholder to the real run once its root message exists. */
  async update(subject: string, run: ActiveRun): Promise<void> {
    await this.redis.set(this.key('active', subject), JSON.stringify(run), 'PX', this.claimTtlMs);
  }

  /** Heartbeat: keeps the claim of a live run from expiring; only the owner's claim is extended. */
  async extendClaim(subject: string, runId: string): Promise<boolean> {
    const n = await this.redis.eval(
      `local v = redis.call('GET', KEYS[1]) if v and cjson.decode(v).runId == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`,
      1,
      this.key('active', subject),
      runId,
      String(this.claimTtlMs),
    );
    return n === 1;
  }

  async release(subject: string, runId: string): Promise<void> {
    // Only the owner releases: compare-and-delete in one step.
    await this.redis.eval(
      `local v = redis.call('GET', KEYS[1]) if v and cjson.decode(v).runId == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
      1,
      this.key('active', subject),
      runId,
    );
  }

  async postedStep(runId: string, step: string): Promise<string | null> {
    return this.redis.hget(this.key('posted', runId), step);
  }

  async markPosted(runId: string, step: string, ts: string): Promise<void> {
    await this.redis.hset(this.key('posted', runId), step, ts);
    await this.redis.expire(this.key('posted', runId), DAY_S);
  }

  /** Once per run: true for the first caller only (e.g. posting a failure message). */
  async once(runId: string, what: string): Promise<boolean> {
    return (await this.redis.set(this.key('once', runId, what), '1', 'EX', DAY_S, 'NX')) === 'OK';
  }

  /** A failed run (or one customer of an `all` run): its remaining windows are skipped, not scanned. */
  async cancel(runId: string, scope: string): Promise<void> {
    await this.redis.set(this.key('cancelled', runId, scope), '1', 'EX', DAY_S);
  }

  async isCancelled(runId: string, scopes: string[]): Promise<boolean> {
    const values = await this.redis.mget(...scopes.map((s) => this.key('cancelled', runId, s)));
    return values.some((v) => v !== null);
  }

  /** Marks a run as picked up again after a worker died; the root message says so from then on. */
  async markResumed(runId: string): Promise<void> {
    await this.redis.set(this.key('resumed', runId), '1', 'EX', DAY_S);
  }

  async isResumed(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.key('resumed', runId))) === 1;
  }

  /** Ended runs get no more progress edits (a late one would overwrite the final root message). */
  async markEnded(runId: string): Promise<void> {
    await this.redis.set(this.key('ended', runId), '1', 'EX', DAY_S);
  }

  async isEnded(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.key('ended', runId))) === 1;
  }

  /** A retry in progress, shown in the root message until a window of the run succeeds again. */
  async setWaiting(runId: string, what: string | null): Promise<void> {
    if (what === null) await this.redis.del(this.key('waiting', runId));
    else await this.redis.set(this.key('waiting', runId), what, 'EX', 3600);
  }

  async waiting(runId: string): Promise<string | null> {
    return this.redis.get(this.key('waiting', runId));
  }
}
