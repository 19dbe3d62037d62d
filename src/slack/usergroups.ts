import { BotError } from '../shared/errors.js';

// Approvers may be named by Slack user group (slack.approvers.userGroups). Membership is read with
// usergroups.users.list (scope usergroups:read) and cached briefly, so a burst of clicks costs one call per group
// and a person removed from the group loses the right within a minute.

export interface UsergroupsApi {
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ ok?: boolean; users?: string[]; error?: string }> } };
}

export interface UsergroupResolver {
  /** The configured groups the user belongs to. */
  groupsOf(user: string, groups: readonly string[]): Promise<string[]>;
}

export const USERGROUP_CACHE_MS = 60_000;

export function createUsergroupResolver(api: UsergroupsApi, opts: { ttlMs?: number; now?: () => number } = {}): UsergroupResolver {
  const ttl = opts.ttlMs ?? USERGROUP_CACHE_MS;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; members: Promise<Set<string>> }>();

  function members(group: string): Promise<Set<string>> {
    const hit = cache.get(group);
    if (hit && now() - hit.at < ttl) return hit.members;
    const p = api.usergroups.users
      .list({ usergroup: group })
      .then((res) => new Set(res.users ?? []))
      .catch((cause: unknown) => {
        cache.delete(group); // a failed lookup is not remembered
        throw new BotError('SOURCE_UNAVAILABLE', 'I could not read the approver user group from Slack, so I cannot tell whether you are an approver.', {
          cause,
          hint: 'Try again in a minute. The bot needs the usergroups:read scope.',
        });
      });
    cache.set(group, { at: now(), members: p });
    return p;
  }

  return {
    async groupsOf(user, groups) {
      const found: string[] = [];
      for (const g of groups) if ((await members(g)).has(user)) found.push(g);
      return found;
    },
  };
}
