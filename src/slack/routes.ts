import type { RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { BotError } from '../shared/errors.js';
import type { Click } from './action-body.js';

// What a capability registers with the Slack adapter: its commands, its buttons and its events. The adapter gates
// each one (channel and user), parses clicks, and turns whatever a handler throws into one ephemeral reply; the
// handlers only do their own work.

export interface CommandRequest {
  command: SlashCommand;
  /** Acknowledges within Slack's 3 s, with an optional reply; only the first call counts. */
  ack(reply?: RespondArguments): Promise<void>;
  respond: RespondFn;
}

export interface CommandRoute {
  command: `/${string}`;
  /**
   * The first words of the text this route answers (e.g. ["silence", "unsilence"]), so two capabilities can share a
   * command; the route without any answers the rest.
   */
  subcommands?: readonly string[];
  /** Names the command in the log ("gap command refused"). */
  name: string;
  /** The reply to text refused before the ack (bad input, unknown customer): what was wrong and an example of right. */
  usage?: (err: BotError) => RespondArguments;
  handle(req: CommandRequest): Promise<void>;
}

export interface ActionRequest {
  click: Click;
  respond: RespondFn;
  /** The Web API, for buttons whose answer is not a message (a Home tab's page). */
  client?: WebClient;
}

export interface ActionRoute {
  /** A pattern for controls that carry their subject in the id (one menu per alert in one actions block). */
  actionId: string | RegExp;
  /** Names the button in the log ("backfill approve refused"). */
  name: string;
  /**
   * 'home': a button of the App Home. It has no channel, so the channel gate cannot apply; the handler gates who
   * may see (members of the allowed channels, slack.viewers). Clicks on such a route from a message, and clicks
   * from a view on any other route, are refused.
   */
  surface?: 'message' | 'home';
  handle(req: ActionRequest): Promise<void>;
}

export interface HomeOpenedEvent {
  user: string;
  tab?: string;
}

export interface EventRoute {
  event: 'app_home_opened';
  name: string;
  handle(req: { event: HomeOpenedEvent; client: WebClient }): Promise<void>;
}

/** One capability's Slack surface. */
export interface SlackSurface {
  commands?: CommandRoute[];
  actions?: ActionRoute[];
  events?: EventRoute[];
}
