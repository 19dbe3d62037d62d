import { createHash } from 'node:crypto';
import type { BackfillScope } from './scope.js';
import { canonicalIdentity, type WriterIdentity } from './writer-identity.js';

// The plan's identity: SHA-256 over the scope, the writer it is bound to, and each scorecard to write with the
// digest of what will be written for it, in plan order (created_at, then ID: the order the planner streams them in,
// so the hash is computed incrementally and never needs all IDs in memory). An approval names this hash; a button
// from an older plan carries another one and is refused.

export function canonicalScope(scope: BackfillScope): string {
  return JSON.stringify({
    customer: scope.customer,
    profile: scope.profile,
    from: scope.from,
    to: scope.to,
    scorecardId: scope.scorecardId ?? null,
    clickhouse: scope.clickhouse,
  });
}

export interface PlanHasher {
  /** IDs must arrive in plan order: (createdAt, id) strictly increasing. */
  add(id: string, createdAt: string, digest: string): void;
  digest(): string;
}

export function createPlanHasher(scope: BackfillScope, writer: WriterIdentity | null = null): PlanHasher {
  const h = createHash('sha256');
  h.update(canonicalScope(scope));
  h.update('\n');
  h.update(canonicalIdentity(writer));
  let last: [string, string] | null = null;
  return {
    add(id, createdAt, digest) {
      if (last && (createdAt < last[0] || (createdAt === last[0] && id <= last[1]))) {
        throw new Error(`plan hash: ${id} arrived out of order`);
      }
      last = [createdAt, id];
      h.update('\n');
      h.update(id);
      h.update(' ');
      h.update(digest);
    },
    digest: () => h.digest('hex'),
  };
}

/** The short form people compare in Slack. */
export const hashPrefix = (hash: string): string => hash.slice(0, 12);
