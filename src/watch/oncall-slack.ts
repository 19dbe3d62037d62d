import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { BotError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Click } from '../slack/action-body.js';
import { errorReply, logHandlerError } from '../slack/error-reply.js';
import { ephemeralNotice } from '../slack/ephemeral.js';
import type { EphemeralMessage } from '../slack/slack-message.js';
import type { ActionRoute } from '../slack/routes.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import type { AlertStore, StoredAlert } from './alert-store.js';
import {
  ACK_ACTION_ID,
  oncallLine,
  parseAckValue,
  parseMenuValue,
  parseSnoozeValue,
  SNOOZE_ACTION_ID,
  SNOOZE_CHOICES,
  SUMMARY_MENU_ACTION_ID,
  withOncallStatus,
  type SnoozeChoice,
} from './oncall-blocks.js';

// The alert's Acknowledge button and Snooze menu. The adapter has already gated the channel and user
// (slack.allowedChannels, allowedUsers); here only members of the alert's own channel may act (conversations.members,
// cached a minute). Each is one conditional UPDATE (alert-store.ts), so two clicks, or two processes, record it once;
// the one that records it edits the alert to show it. Every answer is ephemeral, in the alert's thread.

export interface OncallDeps {
  store: AlertStore;
  publisher: Pick<ThreadPublisher, 'getMessage' | 'updateRoot'>;
  /** Whether the user is a member of the channel; rejects when Slack cannot say. */
  isMember(user: string, channel: string): Promise<boolean>;
  logger: Logger;
  now: () => Date;
}

type Action = (alert: StoredAlert, click: Click, at: Date) => Promise<StoredAlert | string>;

/** The answer only the clicker sees, in the alert's thread (a click on the alert itself has no thread of its own). */
async function tell(click: Click, client: WebClient | undefined, threadTs: string | null, msg: EphemeralMessage, respond: RespondFn, logger: Logger): Promise<void> {
  if (client && threadTs && click.channel) {
    try {
      await client.chat.postEphemeral({ channel: click.channel, user: click.user, thread_ts: threadTs, text: msg.text, blocks: msg.blocks });
      return;
    } catch (err) {
      logger.warn({ err, channel: click.channel }, 'watch: could not answer in the alert thread; answering through response_url');
    }
  }
  await respond({ ...msg, replace_original: false });
}

function route(deps: OncallDeps, actionId: string | RegExp, name: string, alertIdOf: (value: string) => string | null, act: Action): ActionRoute {
  return {
    actionId,
    name,
    async handle({ click, respond, client }) {
      const threadTs = click.threadTs ?? click.messageTs;
      try {
        const id = alertIdOf(click.value);
        const alert = id ? await deps.store.byId(id) : null;
        if (!alert || alert.channel !== click.channel) throw new BotError('BAD_INPUT', 'This control names no alert of this channel; nothing was changed.');
        let member: boolean;
        try {
          member = await deps.isMember(click.user, alert.channel);
        } catch (cause) {
          throw new BotError('SOURCE_UNAVAILABLE', 'I could not check with Slack whether you are a member of this channel, so nothing was changed.', {
            cause,
            hint: 'Try again in a minute.',
          });
        }
        if (!member) {
          throw new BotError('NOT_ALLOWED', 'Only members of this channel can acknowledge or snooze its alerts, and you are not one; nothing was changed.', {
            hint: `Join <#${alert.channel}> first.`,
          });
        }
        const at = deps.now();
        const outcome = await act(alert, click, at);
        if (typeof outcome === 'string') {
          await tell(click, client, threadTs, ephemeralNotice(outcome), respond, deps.logger);
          return;
        }
        // Only the click that recorded it edits the alert (or the summary it was announced in); the message is read
        // back as posted, only its status line changes.
        const ts = outcome.threadTs;
        const posted = ts ? await deps.publisher.getMessage(outcome.channel, ts) : null;
        const summarised = outcome.summaryTs ? { alertId: outcome.id, subject: `${outcome.customer} ${outcome.population}` } : undefined;
        if (ts && posted) await deps.publisher.updateRoot(outcome.channel, ts, withOncallStatus(posted, oncallLine(outcome, at), summarised));
        deps.logger.info({ alert: outcome.id, user: click.user, action: click.actionId }, `${name} recorded`);
      } catch (err) {
        const errorId = logHandlerError(deps.logger, name, err, { user: click.user, channel: click.channel });
        await tell(click, client, threadTs, errorReply(err, errorId), respond, deps.logger);
      }
    },
  };
}

const until = (a: StoredAlert): string => (a.snoozedUntilResolved ? 'until it resolves' : `until ${a.snoozedUntil?.slice(0, 16).replace('T', ' ')} UTC`);

export function oncallRoutes(deps: OncallDeps): ActionRoute[] {
  const acknowledge = async (alert: StoredAlert, user: string, at: Date): Promise<StoredAlert | string> => {
    const done = await deps.store.acknowledge(alert.id, user, at);
    if (done) return done;
    const now = (await deps.store.byId(alert.id)) ?? alert;
    if (now.status !== 'open') return 'This alert is resolved already; nothing to acknowledge.';
    return `This alert was acknowledged already, by <@${now.ackedBy}> at ${now.ackedAt?.slice(11, 16)} UTC.`;
  };
  const snooze = async (alert: StoredAlert, user: string, at: Date, choice: SnoozeChoice): Promise<StoredAlert | string> => {
    const ms = SNOOZE_CHOICES[choice];
    const done = await deps.store.snooze(alert.id, user, at, ms === null ? null : new Date(at.getTime() + ms));
    if (done) return done;
    const now = (await deps.store.byId(alert.id)) ?? alert;
    if (now.status !== 'open') return 'This alert is resolved already; nothing to snooze.';
    return `This alert is snoozed ${until(now)} already (by <@${now.snoozedBy}>); a snooze can only be made longer.`;
  };
  return [
    route(deps, ACK_ACTION_ID, 'watch acknowledge', parseAckValue, (alert, click, at) => acknowledge(alert, click.user, at)),
    route(deps, SNOOZE_ACTION_ID, 'watch snooze', (v) => parseSnoozeValue(v)?.alertId ?? null, (alert, click, at) =>
      snooze(alert, click.user, at, parseSnoozeValue(click.value)!.choice),
    ),
    // A summary's menu per summarised alert: Acknowledge or a snooze.
    route(deps, SUMMARY_MENU_ACTION_ID, 'watch summary on-call', (v) => parseMenuValue(v)?.alertId ?? null, (alert, click, at) => {
      const choice = parseMenuValue(click.value)!.choice;
      return choice === 'ack' ? acknowledge(alert, click.user, at) : snooze(alert, click.user, at, choice);
    }),
  ];
}
