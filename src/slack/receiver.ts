import { HTTPReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { SlackSettings } from '../config/schema.js';
import { BotError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { boltLogger } from './bolt-logger.js';

// How Slack reaches the bot, chosen once from the config and handed to the app: Socket Mode (an outbound
// WebSocket, no public URL) or HTTP (signed requests on a port). Bolt's receivers share one interface.

export interface SlackTransport {
  receiver: Receiver;
  botToken: string;
  /** Web API client options (the API URL of a Slack emulator in tests and the console). */
  clientOptions: WebClientOptions | undefined;
  /** Socket Mode: whether the WebSocket is connected now (readiness); HTTP mode has nothing to watch. */
  connected: (() => boolean) | null;
  /** HTTP mode's port; null in Socket Mode. */
  port: number | null;
}

/** Checks that the chosen transport has its secrets: one message naming everything missing. */
export function assertTransportSecrets(settings: SlackSettings): void {
  const missing: string[] = [];
  if (!settings.botToken) missing.push('SLACK_BOT_TOKEN (slack.botToken, xoxb-...)');
  if (settings.mode === 'socket' && !settings.appToken) missing.push('SLACK_APP_TOKEN (slack.appToken, xapp-..., with connections:write)');
  if (settings.mode === 'http' && !settings.signingSecret) missing.push('SLACK_SIGNING_SECRET (slack.signingSecret)');
  if (missing.length > 0) {
    throw new BotError('BAD_CONFIG', `Slack ${settings.mode} mode needs: ${missing.join('; ')}.`, {
      hint: 'Set them in the environment (see .env.example) or in the config file.',
    });
  }
}

export function slackClientOptions(settings: SlackSettings): WebClientOptions | undefined {
  return settings.apiUrl ? { slackApiUrl: settings.apiUrl.endsWith('/') ? settings.apiUrl : `${settings.apiUrl}/` } : undefined;
}

export function createSlackTransport(settings: SlackSettings, logger: Logger): SlackTransport {
  assertTransportSecrets(settings);
  const clientOptions = slackClientOptions(settings);
  const log = boltLogger(logger);
  if (settings.mode === 'socket') {
    const receiver = new SocketModeReceiver({ appToken: settings.appToken!, logger: log, installerOptions: { clientOptions } });
    let connected = false;
    receiver.client.on('connected', () => void (connected = true));
    receiver.client.on('disconnected', () => void (connected = false));
    return { receiver, botToken: settings.botToken!, clientOptions, connected: () => connected, port: null };
  }
  const receiver = new HTTPReceiver({ signingSecret: settings.signingSecret!, logger: log });
  return { receiver, botToken: settings.botToken!, clientOptions, connected: null, port: settings.port };
}
