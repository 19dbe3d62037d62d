import type { Redis } from 'ioredis';

// Small pieces of shared run state in Redis: which run owns a (customer, period), how many windows are done,
// which thread messages were already posted (so a job re-run after a crash never posts twice).

export interface ActiveRun {
  runId: string;
  channel: string;
  rootTs: string;
}

export class RunState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** Claims (customer, period) for a run; returns the run already holding it, if any. */
  async claim(subject: string, run: ActiveRun, ttlSeconds = 7200): Promise<ActiveRun | null> {
    const ok = await this.redis.set(this.key('active', subject), JSON.stringify(run), 'EX', ttlSeconds, 'NX');
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
  async update(subject: string, run: ActiveRun, ttlSeconds = 7200): Promise<void> {
    await this.redis.set(this.key('active', subject), JSON.stringify(run), 'EX', ttlSeconds);
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

  /** Counts a finished window; true when this caller may refresh the progress display (at most once a second). */
  async windowDone(runId: string, windowKey: string): Promise<{ done: number; mayUpdate: boolean }> {
    const k = this.key('progress', runId);
    await this.redis.sadd(k, windowKey);
    await this.redis.expire(k, 86_400);
    const done = await this.redis.scard(k);
    const lock = await this.redis.set(this.key('progress-lock', runId), '1', 'PX', 1000, 'NX');
    return { done, mayUpdate: lock === 'OK' };
  }

  async postedStep(runId: string, step: string): Promise<string | null> {
    return this.redis.hget(this.key('posted', runId), step);
  }

  async markPosted(runId: string, step: string, ts: string): Promise<void> {
    await this.redis.hset(this.key('posted', runId), step, ts);
    await this.redis.expire(this.key('posted', runId), 7 * 86_400);
  }

  /** Once per run: true for the first caller only (e.g. posting a failure message). */
  async once(runId: string, what: string): Promise<boolean> {
    return (await this.redis.set(this.key('once', runId, what), '1', 'EX', 7 * 86_400, 'NX')) === 'OK';
  }
}
