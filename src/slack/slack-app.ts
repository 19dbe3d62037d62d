import { App, type AppOptions } from '@slack/bolt';
import type { Config } from '../config/schema.js';
import { BotError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { handleGapCommand, type GapCommandDeps } from '../gap/gap-slash-command.js';
import { boltLogger } from './bolt-logger.js';

type SlackSettings = NonNullable<Config['slack']>;

export interface SlackAppDeps {
  settings: SlackSettings;
  logger: Logger;
  gap: GapCommandDeps;
  /** Registers the backfill buttons (request, approve, deny, cancel): src/backfill/backfill-actions.ts. */
  backfill: (app: App) => void;
  /** Registers further commands (e.g. /scorecard-check) without this file knowing them. */
  extraCommands?: ((app: App) => void)[];
}

/** Validates that the chosen transport has its secrets; one message naming what is missing. */
export function slackTransportOptions(settings: SlackSettings): AppOptions {
  const missing: string[] = [];
  if (!settings.botToken) missing.push('SLACK_BOT_TOKEN (slack.botToken, xoxb-...)');
  if (settings.mode === 'socket' && !settings.appToken) missing.push('SLACK_APP_TOKEN (slack.appToken, xapp-..., with connections:write)');
  if (settings.mode === 'http' && !settings.signingSecret) missing.push('SLACK_SIGNING_SECRET (slack.signingSecret)');
  if (missing.length > 0) {
    throw new BotError('BAD_CONFIG', `Slack ${settings.mode} mode needs: ${missing.join('; ')}.`, {
      hint: 'Set them in the environment (see .env.example) or in the config file.',
    });
  }
  const clientOptions = settings.apiUrl ? { slackApiUrl: settings.apiUrl.endsWith('/') ? settings.apiUrl : `${settings.apiUrl}/` } : undefined;
  return settings.mode === 'socket'
    ? { token: settings.botToken, appToken: settings.appToken, socketMode: true, clientOptions }
    : { token: settings.botToken, signingSecret: settings.signingSecret, clientOptions };
}

export function createSlackApp(deps: SlackAppDeps): App {
  const app = new App({ ...slackTransportOptions(deps.settings), logger: boltLogger(deps.logger) });

  app.command('/scorecard-gap', async ({ command, ack, respond }) => {
    await handleGapCommand(deps.gap, { command, ack, respond });
  });

  deps.backfill(app);

  for (const register of deps.extraCommands ?? []) register(app);

  // The single destination for errors escaping a handler: the log gets the detail, the person a plain line.
  app.error(async (error) => {
    const original = (error as { original?: unknown }).original ?? error;
    deps.logger.error({ err: original, code: (error as { code?: string }).code }, 'slack handler failed');
  });

  return app;
}
