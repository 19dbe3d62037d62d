import type { RespondArguments, RespondFn } from '@slack/bolt';
import type { Logger } from '../shared/logger.js';
import type { Click } from './action-body.js';

// A click's ephemeral answer belongs where the click was. Through response_url Slack shows it at the bottom of the
// channel, away from the thread the person is reading; for a click in a thread it goes to that thread instead
// (chat.postEphemeral with thread_ts), and falls back to response_url if Slack refuses. Replacing or deleting the
// clicked message still goes through response_url.

export interface PostEphemeralApi {
  chat: { postEphemeral(args: { channel: string; user: string; thread_ts: string; text: string; blocks?: unknown[] }): Promise<unknown> };
}

export function threadedRespond(click: Click, api: PostEphemeralApi | undefined, respond: RespondFn, logger: Logger): RespondFn {
  return async (message) => {
    const m: RespondArguments = typeof message === 'string' ? { text: message } : message;
    const inThread = click.threadTs !== null && click.channel !== '' && !click.ephemeral;
    const ephemeralReply = (m.response_type ?? 'ephemeral') === 'ephemeral' && m.replace_original !== true && m.delete_original !== true;
    if (!api || !inThread || !ephemeralReply) return respond(message);
    try {
      return await api.chat.postEphemeral({
        channel: click.channel,
        user: click.user,
        thread_ts: click.threadTs ?? '',
        text: m.text ?? '',
        ...('blocks' in m && Array.isArray(m.blocks) ? { blocks: m.blocks as unknown[] } : {}),
      });
    } catch (err) {
      logger.warn({ err, channel: click.channel }, 'could not answer in the thread; answering through response_url');
      return respond(message);
    }
  };
}
