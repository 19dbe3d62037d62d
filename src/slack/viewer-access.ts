import type { SlackSettings } from '../config/schema.js';
import type { Logger } from '../shared/logger.js';
import type { UsergroupResolver } from './usergroups.js';

// Who may see the bot's data outside a channel (the App Home): the people who could see it in one. That is the
// members of the allowed channels (and, when slack.allowedUsers is set, only those users), plus slack.viewers by
// user or user group. Membership comes from conversations.members, cached for a minute, so a person who leaves
// the incident channel loses the view within a minute. Any doubt (Slack cannot be asked) is a refusal.

export interface ConversationsMembersApi {
  conversations: {
    members(args: { channel: string; limit?: number; cursor?: string }): Promise<{ ok?: boolean; members?: string[]; response_metadata?: { next_cursor?: string } }>;
  };
}

export type ViewerDecision = { ok: true } | { ok: false; reason: string };

export interface ViewerAccess {
  canView(user: string): Promise<ViewerDecision>;
  /** Of `channels`, those the user is a member of and the bot may work in; a channel Slack cannot answer for is left out. */
  channelsOf(user: string, channels: readonly string[]): Promise<string[]>;
  /** Whether the user is a member of the channel (the same cached read); rejects when Slack cannot say. */
  isMember(user: string, channel: string): Promise<boolean>;
}

export const VIEWER_CACHE_MS = 60_000;
const PAGE = 1000;
/** A channel bigger than this is not paged through for one Home tab: its members are the wrong audience anyway. */
const MAX_PAGES = 20;

export function createViewerAccess(
  api: ConversationsMembersApi,
  groups: UsergroupResolver,
  settings: Pick<SlackSettings, 'allowedChannels' | 'allowedUsers' | 'viewers'> & Partial<Pick<SlackSettings, 'allowAllChannels'>>,
  opts: { logger: Logger; ttlMs?: number; now?: () => number },
): ViewerAccess {
  const ttl = opts.ttlMs ?? VIEWER_CACHE_MS;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; members: Promise<Set<string>> }>();

  function members(channel: string): Promise<Set<string>> {
    const hit = cache.get(channel);
    if (hit && now() - hit.at < ttl) return hit.members;
    const read = (async () => {
      const out = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await api.conversations.members({ channel, limit: PAGE, ...(cursor ? { cursor } : {}) });
        for (const m of res.members ?? []) out.add(m);
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return out;
    })();
    read.catch(() => cache.delete(channel)); // a failed read is not remembered
    cache.set(channel, { at: now(), members: read });
    return read;
  }

  const refused = (reason: string): ViewerDecision => ({ ok: false, reason });
  const whoCanSee =
    'This board shows every customer\'s missing scorecards, so it is for the members of the bot\'s channels and the people in slack.viewers.';

  return {
    async canView(user) {
      const viewers = settings.viewers;
      if (viewers.users.includes(user)) return { ok: true };
      try {
        if (viewers.userGroups.length > 0 && (await groups.groupsOf(user, viewers.userGroups)).length > 0) return { ok: true };
        if (settings.allowedUsers.length > 0 && !settings.allowedUsers.includes(user)) return refused(whoCanSee);
        for (const channel of settings.allowedChannels) {
          if ((await members(channel)).has(user)) return { ok: true };
        }
      } catch (err) {
        opts.logger.warn({ err, user }, 'app home: could not read channel or group membership; showing nothing');
        return refused('I could not check with Slack whether you are in the bot\'s channels; try again in a minute.');
      }
      return refused(whoCanSee);
    },
    async isMember(user, channel) {
      return (await members(channel)).has(user);
    },
    async channelsOf(user, channels) {
      const allowed = new Set(settings.allowedChannels);
      const candidates = channels.filter((c) => settings.allowAllChannels === true || allowed.has(c));
      const seen = await Promise.all(
        candidates.map((c) =>
          members(c).then(
            (m) => m.has(user),
            (err: unknown) => {
              opts.logger.warn({ err, channel: c }, 'app home: could not read channel membership; its activity is not shown');
              return false;
            },
          ),
        ),
      );
      return candidates.filter((_, i) => seen[i]);
    },
  };
}
