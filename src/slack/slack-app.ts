import { App, type RespondArguments, type RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackSettings } from '../config/schema.js';
import { BotError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { parseActionBody, type Click } from './action-body.js';
import { authorize } from './authorize.js';
import { boltLogger } from './bolt-logger.js';
import { errorReply, logHandlerError } from './error-reply.js';
import type { SlackTransport } from './receiver.js';
import { threadedRespond, type PostEphemeralApi } from './threaded-respond.js';
import type { OutgoingMessage } from './slack-message.js';
import { withoutCodeFences, withoutTableBlocks } from './table-fallback.js';
import type { ActionRoute, CommandRoute, EventRoute, HomeOpenedEvent, SlackSurface } from './routes.js';

// The generic Slack adapter: capabilities hand in their routes, and every route gets the same treatment. The
// channel and user gate runs before any handler (so nothing about customers is said outside allowed channels), a
// click is parsed once, and whatever a handler throws becomes one ephemeral reply and one log line.

export interface SlackAppDeps {
  settings: SlackSettings;
  transport: SlackTransport;
  logger: Logger;
  surfaces: SlackSurface[];
}

/**
 * slack.tableBlocks false: the replies a handler sends through response_url (a check's answer, a plan) get the same
 * table fallback as the thread posts (table-fallback.ts), so no client is shown "[table]".
 */
function shapedRespond(settings: SlackSettings, respond: RespondFn): RespondFn {
  if (settings.tableBlocks !== false && !settings.tableImages) return respond;
  // A reply through response_url carries no files: tables as monospace lines (and, for a client that draws no
  // fences, fenced tables too).
  const shape = (m: OutgoingMessage): OutgoingMessage => (settings.tableImages ? withoutCodeFences(withoutTableBlocks(m)) : withoutTableBlocks(m));
  return (message) => respond(typeof message === 'string' ? message : (shape(message as OutgoingMessage) as RespondArguments));
}

/** Input refused before the ack gets the command's usage; anything else its plain reply. */
const USAGE_CODES = new Set(['BAD_INPUT', 'UNKNOWN_CUSTOMER']);

function commandListener(deps: SlackAppDeps, route: CommandRoute) {
  return async ({ command, ack, respond: raw }: { command: CommandRoutePayload; ack: (r?: RespondArguments) => Promise<void>; respond: RespondFn }) => {
    const respond = shapedRespond(deps.settings, raw);
    const who = { user: command.user_id, channel: command.channel_id };
    let acked = false;
    const ackOnce = async (reply?: RespondArguments): Promise<void> => {
      if (acked) return;
      acked = true;
      await ack(reply);
    };
    try {
      authorize(deps.settings, who.channel, who.user);
      await route.handle({ command, ack: ackOnce, respond });
      await ackOnce();
    } catch (err) {
      const errorId = logHandlerError(deps.logger, route.name, err, who);
      if (!acked) {
        const usage = route.usage && err instanceof BotError && USAGE_CODES.has(err.code) ? route.usage(err) : errorReply(err, errorId);
        await ackOnce(usage);
      } else {
        await respond(errorReply(err, errorId));
      }
    }
  };
}

type CommandRoutePayload = Parameters<CommandRoute['handle']>[0]['command'];

function actionListener(deps: SlackAppDeps, route: ActionRoute) {
  return async ({ ack, body, respond: raw, client }: { ack: () => Promise<void>; body: unknown; respond: RespondFn; client?: PostEphemeralApi & WebClient }) => {
    const respond = shapedRespond(deps.settings, raw);
    // Buttons are acknowledged at once; the answer, if any, goes to the clicked message's thread.
    await ack();
    let click: Click | null = null;
    let reply: RespondFn = respond;
    try {
      click = parseActionBody(body);
      reply = shapedRespond(deps.settings, threadedRespond(click, client, raw, deps.logger));
      if (route.surface === 'home') {
        if (!click.fromView) throw new BotError('NOT_ALLOWED', 'This button belongs to the App Home.');
      } else {
        authorize(deps.settings, click.channel, click.user);
      }
      await route.handle({ click, respond: reply, ...(client ? { client } : {}) });
    } catch (err) {
      const errorId = logHandlerError(deps.logger, route.name, err, { user: click?.user ?? '', channel: click?.channel ?? '' });
      await reply({ ...errorReply(err, errorId), replace_original: false }).catch((e: unknown) => deps.logger.warn({ err: e }, `${route.name}: could not reply`));
    }
  };
}

function eventListener(deps: SlackAppDeps, route: EventRoute) {
  return async ({ event, client }: { event: unknown; client: Parameters<EventRoute['handle']>[0]['client'] }) => {
    const e = event as HomeOpenedEvent;
    try {
      await route.handle({ event: e, client });
    } catch (err) {
      // Nobody asked for an answer: the log is the only destination.
      deps.logger.warn({ err, user: e.user }, `${route.name} failed`);
    }
  };
}

/** The routes of each command: one Bolt listener per command, so exactly one route answers each request. */
function commandsByName(surfaces: readonly SlackSurface[]): Map<string, CommandRoute[]> {
  const byName = new Map<string, CommandRoute[]>();
  for (const route of surfaces.flatMap((s) => s.commands ?? [])) byName.set(route.command, [...(byName.get(route.command) ?? []), route]);
  return byName;
}

/** The route whose subcommands name the text's first word, else the command's plain route. */
export function routeFor(routes: readonly CommandRoute[], text: string): CommandRoute | undefined {
  const first = (text.trim().split(/\s+/)[0] ?? '').toLowerCase();
  return routes.find((r) => r.subcommands?.includes(first)) ?? routes.find((r) => !r.subcommands || r.subcommands.length === 0);
}

function commandDispatcher(deps: SlackAppDeps, routes: CommandRoute[]) {
  const listeners = new Map(routes.map((r) => [r, commandListener(deps, r)]));
  return async (args: Parameters<ReturnType<typeof commandListener>>[0]): Promise<void> => {
    const route = routeFor(routes, args.command.text ?? '') ?? routes[0]!;
    await listeners.get(route)!(args);
  };
}

export function createSlackApp(deps: SlackAppDeps): App {
  const { transport } = deps;
  const app = new App({ token: transport.botToken, receiver: transport.receiver, clientOptions: transport.clientOptions, logger: boltLogger(deps.logger) });
  for (const [command, routes] of commandsByName(deps.surfaces)) app.command(command, commandDispatcher(deps, routes));
  for (const surface of deps.surfaces) {
    for (const route of surface.actions ?? []) app.action(route.actionId, actionListener(deps, route));
    for (const route of surface.events ?? []) app.event(route.event, eventListener(deps, route));
  }
  // Errors escaping the listeners above (a failed ack, a reply Slack refused): the log gets the detail.
  app.error(async (error) => {
    const original = (error as { original?: unknown }).original ?? error;
    deps.logger.error({ err: original, code: (error as { code?: string }).code }, 'slack handler failed');
  });
  return app;
}

/** Starts the app on its receiver; resolves with the HTTP port (HTTP mode) or null (Socket Mode). */
export async function startSlackApp(app: App, transport: SlackTransport): Promise<number | null> {
  if (transport.port === null) {
    await app.start();
    return null;
  }
  const server = (await app.start(transport.port)) as { address(): { port: number } | string | null };
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : transport.port;
}
