import type { Cluster, Redis } from 'ioredis';
import type { RunState } from './run-state.js';

// How many investigations each person has in flight (slack.maxRunsPerUser). A sorted set per user: members are
// "runId|subject", scores the time the slot was taken. Self-healing, so a lost release can never lock someone
// out: a slot whose run no longer holds its (customer, period) claim is dropped (the run ended, even if nobody
// released the slot), and any slot older than maxAgeMs is dropped regardless.

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

export interface UserRunsOptions {
  /** A slot is dropped after this long whatever happens (runs are claimed for 2 h). */
  maxAgeMs?: number;
  /** A slot this young is never checked against the claim: its run claims (customer, period) right after the
   *  slot is taken, within milliseconds; 5 s covers a slow Redis. */
  graceMs?: number;
  now?: () => number;
}

export class UserRuns {
  private readonly maxAgeMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly runState: Pick<RunState, 'get'>,
    opts: UserRunsOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 2 * 3600_000;
    this.graceMs = opts.graceMs ?? 5_000;
    this.now = opts.now ?? Date.now;
  }

  private key(user: string): string {
    return `${this.prefix}:user-runs:${user}`;
  }

  /** Takes one of the user's `limit` slots for a run; false when all are taken by runs still in flight. */
  async acquire(user: string, runId: string, subject: string, limit: number): Promise<boolean> {
    await this.dropEnded(user);
    const now = this.now();
    const ok = await this.redis.eval(ACQUIRE, 1, this.key(user), String(now - this.maxAgeMs), String(limit), String(now), `${runId}|${subject}`, String(this.maxAgeMs));
    return ok === 1;
  }

  async release(user: string, runId: string, subject: string): Promise<void> {
    await this.redis.zrem(this.key(user), `${runId}|${subject}`);
  }

  async inFlight(user: string): Promise<number> {
    await this.dropEnded(user);
    await this.redis.zremrangebyscore(this.key(user), '-inf', this.now() - this.maxAgeMs);
    return this.redis.zcard(this.key(user));
  }

  /** Drops slots whose run no longer holds its claim: the run finished or failed for good. */
  private async dropEnded(user: string): Promise<void> {
    const old = await this.redis.zrangebyscore(this.key(user), '-inf', this.now() - this.graceMs);
    for (const member of old) {
      const cut = member.indexOf('|');
      const runId = member.slice(0, cut);
      const held = await this.runState.get(member.slice(cut + 1));
      if (held?.runId !== runId) await this.redis.zrem(this.key(user), member);
    }
  }
}
