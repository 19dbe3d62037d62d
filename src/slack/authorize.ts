import type { Config } from '../config/schema.js';
import { BotError } from '../shared/errors.js';

type SlackSettings = NonNullable<Config['slack']>;

/** Channel and user allowlists; empty lists allow everyone (the workspace's own membership is the gate). */
export function authorize(settings: Pick<SlackSettings, 'allowedChannels' | 'allowedUsers'>, channel: string, user: string): void {
  if (settings.allowedChannels.length > 0 && !settings.allowedChannels.includes(channel)) {
    throw new BotError('NOT_ALLOWED', 'This bot is not enabled in this channel.', {
      hint: `Use it in one of: ${settings.allowedChannels.map((c) => `<#${c}>`).join(', ')}`,
    });
  }
  if (settings.allowedUsers.length > 0 && !settings.allowedUsers.includes(user)) {
    throw new BotError('NOT_ALLOWED', 'You are not on the list of people who may run investigations.', {
      hint: 'Ask an owner of the bot to add your Slack user ID to slack.allowedUsers.',
    });
  }
}

export function permalink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}
